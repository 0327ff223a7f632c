// `npm run fuzz [-- --minutes N | --runs N] [--seed S] [--property NAME]
//               [--path P] [--corpus DIR]... [--list]`
//
// Long fuzzing campaign over the codec properties (codec-properties.ts) and
// the session property (session-properties.ts: whole sessions through a real
// proxy and sim started in this process). All properties share one seed, so
// `--property NAME --seed S --path P` replays a reported failure exactly
// (docs/fuzzing.md). A time budget is split evenly between the properties.
// Exit code: 0 all passed, 1 a property failed, 2 usage.
//
// A developer tool: it imports fast-check (a devDependency) and is never loaded
// by the proxy.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import { codecProperties, type CodecProperty } from './codec-properties.js';
import { loadCorpus } from './corpus.js';
import { checkSessions, startSessionTarget } from './session-properties.js';

/** The session campaign's one property (async, so it runs after the codec ones). */
export const SESSION_PROPERTY = {
  name: 'session/pipelined',
  summary: 'three clients pipeline random actions through amigate to the sim: each gets exactly its own replies, in order, right for the action, the user and the client',
} as const;

export interface CampaignOptions {
  seed: number;
  /** Cases per property; when set, `minutes` is ignored. */
  runs?: number;
  /** Total wall-clock budget, split evenly between the properties. @default 2 */
  minutes?: number;
  /** Replay one counterexample path (needs exactly one property and its seed). */
  path?: string;
}

const DEFAULT_MINUTES = 2;
/** The session campaign's smallest time slice. */
const MIN_SESSION_SLICE_MS = 5000;
/** fast-check stops at numRuns or at the time limit, whichever comes first. */
const UNBOUNDED_RUNS = 0x7fffffff;
/** A replay walks one path; numRuns only has to cover it. */
const REPLAY_RUNS = 100;

/** Runs the properties; returns the exit code. `print` receives whole lines. */
export function runCampaign(properties: readonly CodecProperty[], options: CampaignOptions, print: (line: string) => void): number {
  const budgetMs = (options.minutes ?? DEFAULT_MINUTES) * 60_000;
  const sliceMs = Math.max(1, Math.floor(budgetMs / Math.max(1, properties.length)));
  const width = Math.max(...properties.map((p) => p.name.length));
  let failures = 0;
  let total = 0;
  for (const p of properties) {
    const started = process.hrtime.bigint();
    const out = options.path !== undefined
      ? p.check({ seed: options.seed, numRuns: options.runs ?? REPLAY_RUNS, path: options.path })
      : options.runs !== undefined
        ? p.check({ seed: options.seed, numRuns: options.runs })
        : p.check({ seed: options.seed, numRuns: UNBOUNDED_RUNS, interruptAfterTimeLimit: sliceMs });
    const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
    total += out.numRuns;
    print(`${p.name.padEnd(width)}  ${String(out.numRuns).padStart(9)} cases  ${String(ms).padStart(7)} ms  ${out.failed ? 'FAIL' : 'ok'}`);
    if (!out.failed) continue;
    failures++;
    print(`  ${p.summary}`);
    for (const l of failureReport(out).split('\n')) print(`  ${l}`);
    if (out.counterexamplePath !== null) {
      print(`  replay: npm run fuzz -- --property ${p.name} --seed ${out.seed} --path ${out.counterexamplePath}`);
    }
  }
  print(`${total} cases, ${properties.length} properties, ${failures} failed (seed ${options.seed})`);
  return failures > 0 ? 1 : 0;
}

/** Run the session property against a fresh proxy and sim; prints like runCampaign. Returns the exit code. */
export async function runSessionCampaign(options: CampaignOptions, sliceMs: number, print: (line: string) => void): Promise<number> {
  const target = await startSessionTarget();
  const started = process.hrtime.bigint();
  let out;
  try {
    out = await checkSessions(target.port, options.path !== undefined
      ? { seed: options.seed, numRuns: options.runs ?? REPLAY_RUNS, path: options.path }
      : options.runs !== undefined
        ? { seed: options.seed, numRuns: options.runs }
        // fast-check reports a run interrupted before its first case as failed; a
        // session case takes up to a few hundred ms, so the slice has a floor.
        : { seed: options.seed, numRuns: UNBOUNDED_RUNS, interruptAfterTimeLimit: Math.max(sliceMs, MIN_SESSION_SLICE_MS) });
  } finally {
    await target.close();
  }
  const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
  const p = SESSION_PROPERTY;
  print(`${p.name}  ${String(out.tried).padStart(9)} cases  ${String(ms).padStart(7)} ms  ${out.failed ? 'FAIL' : 'ok'}`);
  if (out.failed) {
    print(`  ${p.summary}`);
    for (const l of failureReport(out).split('\n')) print(`  ${l}`);
    if (out.counterexamplePath !== null) print(`  replay: npm run fuzz -- --property ${p.name} --seed ${out.seed} --path ${out.counterexamplePath}`);
  }
  print(`session campaign: ${out.tried} cases tried, ${out.failed ? 1 : 0} failed (seed ${options.seed})`);
  return out.failed ? 1 : 0;
}

/** fast-check's report plus the first lines of the assertion that failed (v4 leaves it out). */
export function failureReport<Ts>(out: fc.RunDetails<Ts>): string {
  const report = (fc.defaultReportMessage(out) ?? '').replace(/\n+Hint: Enable verbose mode[^\n]*/, '');
  const e = out.errorInstance;
  if (e === null || e === undefined) return report;
  const text = e instanceof Error ? e.message : String(e);
  return report + '\nError: ' + text.split('\n').slice(0, 20).join('\n');
}

/** The directory holding package.json, searched upwards from this file (src/ or dist/src/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

const USAGE = `usage: npm run fuzz -- [--minutes N | --runs N] [--seed S] [--property NAME]... [--path P] [--corpus DIR]... [--list]
  --minutes N     total time budget, split between the properties (default ${DEFAULT_MINUTES})
  --runs N        exactly N cases per property instead of a time budget
  --seed S        fast-check seed (default: random, printed)
  --property NAME run only this property, or every property under NAME/ (repeatable)
  --path P        replay the counterexample path P of a failure (with --property and --seed)
  --corpus DIR    seed corpus: *.jsonl captures and *.ami streams (repeatable;
                  default test/fixtures/ami-transcripts and test/fixtures/ami beside package.json)
  --list          print the property names and exit`;

function positiveNumber(name: string, v: string | undefined, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} wants a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}`);
  return n;
}

class UsageError extends Error {}

/** CLI entry: parses `args`, loads the corpus, runs the campaign; returns the exit code. */
export async function main(args: readonly string[], print: (line: string) => void = console.log): Promise<number> {
  let seed: number;
  let selected: CodecProperty[];
  let withSession: boolean;
  let options: CampaignOptions;
  try {
    const { values } = parseArgs({
      args: [...args],
      options: {
        minutes: { type: 'string' }, runs: { type: 'string' }, seed: { type: 'string' }, path: { type: 'string' },
        property: { type: 'string', multiple: true }, corpus: { type: 'string', multiple: true },
        list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) { print(USAGE); return 0; }
    const root = packageRoot();
    const dirs = values.corpus?.map((d) => resolve(d))
      ?? [resolve(root, 'test/fixtures/ami-transcripts'), resolve(root, 'test/fixtures/ami')].filter((d) => existsSync(d));
    for (const d of dirs) if (!existsSync(d)) throw new UsageError(`--corpus ${d}: no such directory`);
    const corpus = await loadCorpus(dirs);
    const all = codecProperties(corpus.streams);
    if (values.list) { for (const p of [...all, SESSION_PROPERTY]) print(`${p.name}  ${p.summary}`); return 0; }
    const wanted = values.property ?? [];
    const picks = (name: string) => wanted.some((w) => name === w || name.startsWith(w.replace(/\/$/, '') + '/'));
    selected = wanted.length === 0 ? all : all.filter((p) => picks(p.name));
    withSession = wanted.length === 0 || picks(SESSION_PROPERTY.name);
    const unknown = wanted.filter((w) => ![...all, SESSION_PROPERTY].some((p) => p.name === w || p.name.startsWith(w.replace(/\/$/, '') + '/')));
    if (unknown.length > 0) throw new UsageError(`unknown property ${unknown.join(', ')} (see --list)`);
    if (values.seed !== undefined && !/^-?\d+$/.test(values.seed)) throw new UsageError(`--seed wants an integer, got ${JSON.stringify(values.seed)}`);
    seed = values.seed !== undefined ? Number(values.seed) : randomInt(0x7fffffff);
    if (values.path !== undefined && (selected.length + (withSession ? 1 : 0) !== 1 || values.seed === undefined)) {
      throw new UsageError('--path replays one failure: give exactly one --property and its --seed');
    }
    const runs = positiveNumber('runs', values.runs, true);
    const minutes = positiveNumber('minutes', values.minutes, false);
    if (runs !== undefined && minutes !== undefined) throw new UsageError('--runs and --minutes exclude each other');
    options = { seed };
    if (runs !== undefined) options.runs = runs;
    if (minutes !== undefined) options.minutes = minutes;
    if (values.path !== undefined) options.path = values.path;
    print(`corpus: ${corpus.streams.length} streams, ${corpus.bytes} bytes from ${corpus.files} files in ${dirs.join(', ') || '(none)'}`);
    const plan = options.path !== undefined ? `replaying path ${options.path}`
      : runs !== undefined ? `${runs} cases per property` : `${options.minutes ?? DEFAULT_MINUTES} min over ${selected.length + (withSession ? 1 : 0)} properties`;
    print(`seed: ${seed}; ${plan}`);
  } catch (e) {
    if (!(e instanceof UsageError) && !(e instanceof TypeError)) throw e;
    // parseArgs reports unknown or malformed options as TypeError (ERR_PARSE_ARGS_*).
    print(`fuzz: ${e.message}\n${USAGE}`);
    return 2;
  }
  // The budget is split evenly over every selected property, the session one included.
  const count = selected.length + (withSession ? 1 : 0);
  const sliceMs = Math.max(1, Math.floor((options.minutes ?? DEFAULT_MINUTES) * 60_000 / Math.max(1, count)));
  let code = 0;
  if (selected.length > 0) {
    const codecOptions = options.runs === undefined && options.path === undefined
      ? { ...options, minutes: (sliceMs * selected.length) / 60_000 } : options;
    code = runCampaign(selected, codecOptions, print);
  }
  if (withSession) code = Math.max(code, await runSessionCampaign(options, sliceMs, print));
  return code;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
    console.error(e);
    process.exitCode = 2;
  });
}
