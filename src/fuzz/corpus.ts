// Seed corpus for the codec fuzzer: real wire bytes to mutate. A directory may
// hold capture files (*.jsonl, ../shared/ami-transcripts/README.md: one
// {dir, data, enc?} record per chunk; each direction becomes one stream) and
// raw stream files (*.ami, e.g. test/fixtures/ami), read as latin1 bytes.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Corpus {
  /** Whole streams, latin1 (one char per byte). */
  streams: string[];
  files: number;
  bytes: number;
}

interface CaptureRecord { dir?: string; data?: string; enc?: string }

/** Each direction of a capture, concatenated (chunk boundaries are TCP's, not AMI's). */
export function captureStreams(jsonl: string): string[] {
  const by = new Map<string, string>();
  for (const line of jsonl.split('\n')) {
    if (line.trim() === '') continue;
    const r = JSON.parse(line) as CaptureRecord;
    if (typeof r.dir !== 'string' || typeof r.data !== 'string') continue;
    // `data` is UTF-8 text unless the capture tool fell back to latin1 (`enc`).
    const bytes = r.enc === 'latin1' ? r.data : Buffer.from(r.data, 'utf8').toString('latin1');
    by.set(r.dir, (by.get(r.dir) ?? '') + bytes);
  }
  return [...by.values()].filter((s) => s.length > 0);
}

/** Loads every *.jsonl and *.ami file of `dirs` (not recursive), in name order. */
export async function loadCorpus(dirs: readonly string[]): Promise<Corpus> {
  const corpus: Corpus = { streams: [], files: 0, bytes: 0 };
  for (const dir of dirs) {
    const names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl') || n.endsWith('.ami')).sort();
    for (const name of names) {
      const path = join(dir, name);
      const streams = name.endsWith('.jsonl') ? captureStreams(await readFile(path, 'utf8')) : [await readFile(path, 'latin1')];
      corpus.files++;
      for (const s of streams) {
        corpus.streams.push(s);
        corpus.bytes += s.length;
      }
    }
  }
  return corpus;
}
