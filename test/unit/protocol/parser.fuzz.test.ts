// The codec fuzz properties (src/fuzz/codec-properties.ts) with a fixed seed and
// a small number of runs, so CI stays fast and deterministic. The long, random-
// seeded campaign is `npm run fuzz` (docs/fuzzing.md). On failure the message
// holds fast-check's seed, counterexample path and shrunk counterexample.

import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { codecProperties, defineProperty } from '../../../src/fuzz/codec-properties.js';
import { failureReport, main, runCampaign } from '../../../src/fuzz/run.js';
import { loadTranscript, stream, transcriptNames } from '../../helpers/transcripts.js';

const SEED = 20240607;
const RUNS = 150;

const corpus: string[] = [];
for (const name of transcriptNames()) {
  const records = loadTranscript(name);
  for (const dir of ['c2s', 's2c'] as const) {
    const s = stream(records, dir);
    if (s.length > 0) corpus.push(s);
  }
}

// The one Asterisk 13 `Response: Follows` stream: the captures are all Asterisk 22.
corpus.push(readFileSync(new URL('../../fixtures/ami/asterisk13-command.ami', import.meta.url), 'latin1'));

t.ok(corpus.length >= 20, `corpus loaded from the captures (${corpus.length} streams)`);

const properties = codecProperties(corpus);

t.same(new Set(properties.map((p) => p.name)).size, properties.length, 'property names are unique');

for (const p of properties) {
  t.test(p.name, async (t) => {
    const out = p.check({ seed: SEED, numRuns: RUNS });
    if (out.failed) {
      t.fail(`${p.summary}\n${failureReport(out)}\nreplay: npm run fuzz -- --property ${p.name} --seed ${out.seed} --path ${out.counterexamplePath ?? ''}`);
    } else {
      t.equal(out.numRuns, RUNS, `${p.summary}: ${out.numRuns} cases`);
    }
  });
}

t.test('campaign runner: reports a failure with a replayable seed and path', async (t) => {
  const failing = defineProperty('demo/fails', 'every nat is below 1000', fc.property(fc.nat(), (n) => n < 1000));
  const lines: string[] = [];
  t.equal(runCampaign([failing], { seed: 7, runs: 200 }, (l) => lines.push(l)), 1, 'exit code 1 on a failure');
  t.match(lines[0], /^demo\/fails\s+\d+ cases\s+\d+ ms\s+FAIL$/);
  const replay = lines.find((l) => l.includes('replay: npm run fuzz'));
  const m = replay?.match(/--property demo\/fails --seed (-?\d+) --path (\S+)$/);
  t.ok(m, `replay command printed: ${replay}`);
  t.ok(lines.some((l) => l.includes('Counterexample: [1000]')), 'shrunk counterexample printed');
  const again: string[] = [];
  t.equal(runCampaign([failing], { seed: Number(m![1]), path: m![2]! }, (l) => again.push(l)), 1, 'the path replays the failure');
  t.ok(again.some((l) => l.includes('Counterexample: [1000]')), 'same counterexample on replay');
});

t.test('campaign runner: a time budget runs until it is spent', async (t) => {
  const passing = defineProperty('demo/passes', 'nats are nats', fc.property(fc.nat(), (n) => n >= 0));
  const lines: string[] = [];
  const started = Date.now();
  t.equal(runCampaign([passing], { seed: 1, minutes: 0.002 }, (l) => lines.push(l)), 0);
  t.ok(Date.now() - started < 5000, 'stops near the budget');
  const cases = Number(lines[0]!.match(/(\d+) cases/)![1]);
  t.ok(cases > 10, `${cases} cases in 120 ms`);
  t.match(lines.at(-1), /0 failed \(seed 1\)$/);
});

t.test('campaign CLI: selection, listing and usage errors', async (t) => {
  const out: string[] = [];
  t.equal(await main(['--list'], (l) => out.push(l)), 0);
  t.same(out.map((l) => l.split(' ')[0]), [...properties.map((p) => p.name), 'session/pipelined'], '--list prints every property, the session one last');
  out.length = 0;
  t.equal(await main(['--property', 'chunking', '--runs', '5', '--seed', '3'], (l) => out.push(l)), 0);
  t.same(out.filter((l) => / cases .* ok$/.test(l)).map((l) => l.split(' ')[0]), ['chunking/request', 'chunking/upstream', 'chunking/legacy'], 'a prefix selects a group');
  t.match(out[0], /^corpus: \d+ streams/);
  t.ok(out.some((l) => l === '15 cases, 3 properties, 0 failed (seed 3)'));
  for (const bad of [['--bogus'], ['--runs', '0'], ['--runs', '5', '--minutes', '1'], ['--path', '1:2'], ['--property', 'nope'], ['--seed', 'x'], ['--corpus', '/nonexistent-amigate-corpus']]) {
    const err: string[] = [];
    t.equal(await main(bad, (l) => err.push(l)), 2, `exit 2 for ${bad.join(' ')}`);
    t.match(err[0], /^fuzz: /);
  }
});
