// Parser and serializer micro-benchmark on a realistic upstream event stream.
//
//   npm run build && node dist/bench/micro/parser.bench.js [--events N] [--rounds R]
//
// The stream is the 192 broadcast events Asterisk 22 sent in the call captures
// (bench/fixtures/events.ami, see extract-events.mjs), repeated to N events and
// parsed with the upstream settings. Each scenario runs one warm-up round and R
// timed rounds; the table shows the median round (best in brackets).
// Goal (issue 2): >= 500,000 typical events/s on one core with 64 KiB chunks.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AmiParser, type ParserOptions } from '../../src/protocol/parser.js';
import { AmiMessage } from '../../src/protocol/message.js';

const UPSTREAM: ParserOptions = { banner: false, maxLineBytes: 1 << 20, maxLines: 1e5, emitEmpty: false };
const GOAL_EVENTS_PER_S = 500_000;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** The repository root: works from bench/micro (ts) and dist/bench/micro (js). */
function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'bench/fixtures/events.ami'))) return d;
    d = dirname(d);
  }
  throw new Error('bench/fixtures/events.ami not found above ' + fileURLToPath(import.meta.url));
}

function buildStream(events: number): { buf: Buffer; events: number } {
  const one = readFileSync(join(repoRoot(), 'bench/fixtures/events.ami'));
  const perCopy = one.toString('latin1').split('\r\n\r\n').length - 1;
  const copies = Math.max(1, Math.round(events / perCopy));
  return { buf: Buffer.concat(Array.from({ length: copies }, () => one)), events: copies * perCopy };
}

function chunksOf(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

function parseAll(chunks: readonly Buffer[]): number {
  let n = 0;
  const p = new AmiParser({ onMessage: () => { n++; } }, UPSTREAM);
  for (const c of chunks) p.write(c);
  return n;
}

interface Row { name: string; messages: number; bytes: number; ns: bigint[] }

function run(name: string, messages: number, bytes: number, rounds: number, round: () => number): Row {
  if (round() !== messages) throw new Error(`${name}: warm-up saw the wrong number of messages`);
  const ns: bigint[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    const got = round();
    ns.push(process.hrtime.bigint() - t0);
    if (got !== messages) throw new Error(`${name}: round ${r} saw ${got} messages, want ${messages}`);
  }
  ns.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { name, messages, bytes, ns };
}

/** Serializing cold messages: the wire cache is empty, as for a freshly built or rewritten packet. */
function serializeRound(lineSets: readonly string[][]): () => number {
  return () => {
    let n = 0;
    let bytes = 0;
    for (const lines of lineSets) {
      bytes += new AmiMessage(lines.slice()).toBuffer().length;
      n++;
    }
    return bytes > 0 ? n : -1;
  };
}

function fmt(n: number): string { return Math.round(n).toLocaleString('en-US'); }

function main(): void {
  const events = arg('--events', 200_000);
  const rounds = arg('--rounds', 7);
  const big = buildStream(events);
  const small = buildStream(Math.min(events, 4_000));
  const whole = [big.buf];
  const c64k = chunksOf(big.buf, 64 * 1024);
  const c1 = chunksOf(small.buf, 1);
  const lineSets: string[][] = [];
  new AmiParser({ onMessage: (m) => lineSets.push(m.lines) }, UPSTREAM).write(big.buf);
  const pairs = lineSets.slice(0, 20_000).map((lines) => lines.map((l): [string, string] => {
    const c = l.indexOf(':');
    return [l.slice(0, c), l.slice(c + 2)];
  }));

  const rows: Row[] = [
    run('parse, one large write', big.events, big.buf.length, rounds, () => parseAll(whole)),
    run('parse, 64 KiB chunks', big.events, big.buf.length, rounds, () => parseAll(c64k)),
    run('parse, 1-byte chunks', small.events, small.buf.length, Math.min(rounds, 3), () => parseAll(c1)),
    run('serialize parsed (toBuffer)', big.events, big.buf.length, rounds, serializeRound(lineSets)),
    run('build + serialize (from)', pairs.length, 0, rounds, () => {
      let n = 0;
      for (const p of pairs) if (AmiMessage.from(p).toBuffer().length > 0) n++;
      return n;
    }),
  ];

  console.log(`amigate parser micro-benchmark: node ${process.version}, ${big.events.toLocaleString('en-US')} events (${(big.buf.length / 1e6).toFixed(1)} MB, ${(big.buf.length / big.events).toFixed(0)} B/event), ${rounds} rounds`);
  console.log('');
  console.log('| scenario | messages | messages/s | MB/s | ms/round (median) |');
  console.log('|---|---:|---:|---:|---:|');
  let goal = 0;
  for (const r of rows) {
    const med = Number(r.ns[Math.floor(r.ns.length / 2)]!) / 1e9;
    const best = Number(r.ns[0]!) / 1e9;
    const mps = r.messages / med;
    const mbps = r.bytes > 0 ? `${(r.bytes / 1e6 / med).toFixed(1)} (${(r.bytes / 1e6 / best).toFixed(1)})` : '-';
    console.log(`| ${r.name} | ${fmt(r.messages)} | ${fmt(mps)} (${fmt(r.messages / best)}) | ${mbps} | ${(med * 1e3).toFixed(1)} |`);
    if (r.name === 'parse, 64 KiB chunks') goal = mps;
  }
  console.log('');
  console.log(`goal: >= ${fmt(GOAL_EVENTS_PER_S)} events/s with 64 KiB chunks: ${goal >= GOAL_EVENTS_PER_S ? 'met' : 'MISSED'} (${fmt(goal)})`);
}

main();
