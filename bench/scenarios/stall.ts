// Stalled clients (issue 12, goal 5): 10 clients in a closed Getvar loop; then
// K more clients log in, stop reading, and keep sending ListCommands at
// 200/s each. A stalled client must cost the others nothing measurable:
// Asterisk runs each session on its own thread, and a thread blocked on a
// full socket stops reading that client's input. The 10 clients' rate and
// p99 while K clients are stalled are compared with the mean of the windows
// just before and just after.

import type { Child } from '../lib/child-proc.js';
import { sleep } from '../lib/child-proc.js';
import type { WindowResult } from '../lib/closed-loop.js';
import { fmt } from '../lib/stats.js';
import { median, print, verdict } from '../lib/report.js';
import type { Path } from './rtt.js';

export interface StallRow { path: Path; stalled: number; before: number; during: number; p99Before: number; p99During: number; stillConnected: number }

const LISTCOMMANDS = 'Action: ListCommands\r\n';

export async function stall(load: Child, paths: Path[], o: { request: string; stalledCounts: number[]; seconds: number; reps: number; rate: number }): Promise<StallRow[]> {
  print(`## Stalled clients: 10 clients in a closed Getvar loop, then K clients that stop reading and send ListCommands at ${o.rate}/s each`);
  print('');
  print(`Windows of ${o.seconds} s: before, during (after 0.5 s for the socket buffers to fill), after. "Baseline" is the mean of before and after; `
    + `medians of ${o.reps} interleaved repetitions. Goal (issue 12): during the stall >= 90% of the baseline rate and < 10% more p99.`);
  print('');
  const runs = new Map<string, StallRow[]>();
  for (let rep = 0; rep < o.reps; rep++) {
    for (const k of o.stalledCounts) {
      for (const path of rep % 2 === 0 ? paths : [...paths].reverse()) {
        await load.call('loop-start', { target: path.target, clients: 10, request: o.request });
        await sleep(300);
        const before = await load.call<WindowResult>('loop-window', { seconds: o.seconds });
        await load.call('stall-start', { target: path.target, clients: k, rate: o.rate, request: LISTCOMMANDS });
        await sleep(500);
        const during = await load.call<WindowResult>('loop-window', { seconds: o.seconds });
        const stillConnected = await load.call<number>('stall-stop');
        await sleep(300);
        const after = await load.call<WindowResult>('loop-window', { seconds: o.seconds });
        await load.call('loop-stop');
        await sleep(200);
        const key = `${path.key}/${k}`;
        if (!runs.has(key)) runs.set(key, []);
        runs.get(key)!.push({
          path, stalled: k, before: (before.perSecond + after.perSecond) / 2, during: during.perSecond,
          p99Before: (before.p99 + after.p99) / 2, p99During: during.p99, stillConnected,
        });
      }
    }
  }
  print('| stalled clients | path | baseline actions/s | during | rate during / baseline | baseline p99 ms | during | p99 during / baseline | stalled still connected | goal |');
  print('|---:|---|---:|---:|---:|---:|---:|---:|---:|---|');
  const rows: StallRow[] = [];
  for (const k of o.stalledCounts) {
    for (const path of paths) {
      const rs = runs.get(`${path.key}/${k}`)!;
      const m = (f: (r: StallRow) => number) => median(rs.map(f));
      const row: StallRow = { path, stalled: k, before: m((r) => r.before), during: m((r) => r.during), p99Before: m((r) => r.p99Before), p99During: m((r) => r.p99During), stillConnected: Math.min(...rs.map((r) => r.stillConnected)) };
      rows.push(row);
      const rateRatio = row.during / row.before;
      const p99Ratio = row.p99During / row.p99Before;
      const goal = path.via === 'amigate' ? verdict(rateRatio >= 0.9 && p99Ratio < 1.1) : '(reference)';
      print(`| ${k} | (${path.key}) ${path.name} | ${fmt(row.before)} | ${fmt(row.during)} | ${(rateRatio * 100).toFixed(0)}% | ${row.p99Before.toFixed(3)} | ${row.p99During.toFixed(3)} | ${p99Ratio.toFixed(2)} | ${row.stillConnected} of ${k} | ${goal} |`);
    }
  }
  print('');
  return rows;
}
