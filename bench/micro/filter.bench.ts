// Event-filter micro-benchmark (issue 11.6): how many events per second one
// core can test against a session's filters, on realistic events.
//
//   npm run build && node dist/bench/micro/filter.bench.js [--events N] [--rounds R] [--hostile-events N]
//
// The events are the 192 broadcast events Asterisk 22 sent in the call captures
// (bench/fixtures/events.ami), parsed once; each round asks EventFilterSet.passes()
// about every event with its wire text, as fan-out does. Scenarios:
//   - one session with 10 typical filters (literal, alternation, anchored,
//     bracket, header and advanced forms, includes and excludes)
//   - 100 sessions with those filters, each event asked of every session, the
//     filters compiled the way the proxy compiles them (shared through
//     FilterCache where the build has it, one copy per session otherwise)
//   - one session with the four patterns of issue 11.6 (.*.*.*ZZ and friends)
// The same file runs against an older build (no FilterCache) for the "before"
// numbers in docs/benchmarks.md (with --hostile-events 0 there: on a
// backtracking engine `(\s|.)*ZZ` is exponential in the blanks of an event and
// never finishes). Each scenario runs one warm-up round and R
// timed rounds; the table shows the median round (best in brackets).

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AmiParser } from '../../src/protocol/parser.js';
import type { AmiMessage } from '../../src/protocol/message.js';
import * as filters from '../../src/policy/event-filter.js';

type Spec = filters.FilterSpec;

export const TYPICAL: readonly Spec[] = [
  'Event: Newchannel',
  'Event: (Hangup|Newstate|DialBegin|DialEnd)',
  '^Event: (Bridge|Local)',
  'Channel: (PJSIP|SIP|Local)/[0-9]+',
  '!Event: (VarSet|Newexten)',
  'Uniqueid: [a-z]+-[0-9]+\\.[0-9]+',
  '[Cc]aller[Ii][Dd]Num: 1[0-9]{2}',
  '!Privilege: .*dialplan',
  { matchcriteria: 'name(Hangup),header(Cause),method(regex)', filter: '^(16|17|19)$' },
  { matchcriteria: 'header(Context),method(starts_with)', filter: 'from-' },
];
export const HOSTILE: readonly Spec[] = ['.*.*.*ZZ', '(.|[^Z])*ZZ', '(\\s|.)*ZZ', '(a|a)*b'];

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'bench/fixtures/events.ami'))) return d;
    d = dirname(d);
  }
  throw new Error('bench/fixtures/events.ami not found above ' + fileURLToPath(import.meta.url));
}

interface Ev { name: string; msg: AmiMessage; text: string }

function loadEvents(): Ev[] {
  const out: Ev[] = [];
  new AmiParser({ onMessage: (m) => out.push({ name: m.get('Event') ?? '', msg: m, text: m.toString() }) },
    { banner: false, maxLineBytes: 1 << 20, maxLines: 1e5, emitEmpty: false }).write(readFileSync(join(repoRoot(), 'bench/fixtures/events.ami')));
  return out;
}

/** One set per session, compiled as the proxy does: shared through FilterCache when there is one. */
function sessions(specs: readonly Spec[], n: number): filters.EventFilterSet[] {
  const Cache = (filters as { FilterCache?: new () => { get(s: Spec): filters.CompiledFilter } }).FilterCache;
  const cache = Cache ? new Cache() : undefined;
  return Array.from({ length: n }, () => new filters.EventFilterSet(specs.map((s) => (cache ? cache.get(s) : filters.compileFilter(s)))));
}

interface Row { name: string; asks: number; passed: number; ns: bigint[] }

function run(name: string, events: readonly Ev[], sets: readonly filters.EventFilterSet[], rounds: number, total: number): Row {
  const round = (): number => {
    let passed = 0;
    for (let i = 0; i < total; i++) {
      const e = events[i % events.length]!;
      for (const s of sets) if (s.passes(e.name, e.msg, e.text)) passed++;
    }
    return passed;
  };
  const passed = round();
  const ns: bigint[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    if (round() !== passed) throw new Error(`${name}: rounds disagree`);
    ns.push(process.hrtime.bigint() - t0);
  }
  ns.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { name, asks: total * sets.length, passed, ns };
}

function fmt(n: number): string { return Math.round(n).toLocaleString('en-US'); }

function main(): void {
  const total = arg('--events', 100_000);
  const rounds = arg('--rounds', 5);
  const events = loadEvents();
  const hostile = arg('--hostile-events', Math.max(1, Math.round(total / 10)));
  const rows = [
    run('1 session, 10 typical filters', events, sessions(TYPICAL, 1), rounds, total),
    run('100 sessions, 10 typical filters each', events, sessions(TYPICAL, 100), rounds, Math.max(1, Math.round(total / 100))),
    ...(hostile > 0 ? [run('1 session, the 4 patterns of issue 11.6', events, sessions(HOSTILE, 1), rounds, hostile)] : []),
  ];
  const bytes = events.reduce((a, e) => a + e.text.length, 0) / events.length;
  console.log(`amigate event-filter micro-benchmark: node ${process.version}, ${events.length} distinct events (${bytes.toFixed(0)} B/event), ${rounds} rounds, FilterCache: ${'FilterCache' in filters ? 'yes' : 'no'}`);
  console.log('');
  console.log('| scenario | events x sessions | passed | session-events/s (best) | events/s through all sessions |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    const med = Number(r.ns[Math.floor(r.ns.length / 2)]!) / 1e9;
    const best = Number(r.ns[0]!) / 1e9;
    const perSession = r.asks / med;
    const sessionsN = r.name.startsWith('100') ? 100 : 1;
    console.log(`| ${r.name} | ${fmt(r.asks)} | ${fmt(r.passed)} | ${fmt(perSession)} (${fmt(r.asks / best)}) | ${fmt(perSession / sessionsN)} |`);
  }
}

main();
