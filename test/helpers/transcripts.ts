// Loads the real Asterisk 22 wire captures (vendored in test/fixtures/ami-transcripts)
// (one JSON object per line: {dir, t, data, eof?, close?, enc?}).

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Record { dir: 'c2s' | 's2c'; t: number; data: string; eof?: boolean; close?: boolean; enc?: string }

const here = dirname(fileURLToPath(import.meta.url));
/**
 * The captures are vendored in test/fixtures/ami-transcripts (a byte-exact copy
 * of ../shared/ami-transcripts) so a clean clone is self-contained.
 */
export const TRANSCRIPT_DIR = [resolve(here, '../fixtures/ami-transcripts'), resolve(here, '../../../shared/ami-transcripts')]
  .find((d) => existsSync(d)) ?? resolve(here, '../fixtures/ami-transcripts');

export function transcriptNames(): string[] {
  return readdirSync(TRANSCRIPT_DIR).filter((f) => f.endsWith('.jsonl')).sort();
}

export function loadTranscript(name: string): Record[] {
  return readFileSync(join(TRANSCRIPT_DIR, name), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record);
}

/** The bytes of one direction, concatenated (latin1 text, one char per byte). */
export function stream(records: Record[], dir: 'c2s' | 's2c'): string {
  return records.filter((r) => r.dir === dir).map((r) => r.enc === 'latin1' ? r.data : Buffer.from(r.data, 'utf8').toString('latin1')).join('');
}
