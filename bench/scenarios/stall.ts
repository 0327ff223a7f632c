// Stalled clients (issue 12, goal 5): 10 clients in a closed Getvar loop; then
// K more clients log in, stop reading, and keep sending ListCommands at
// 200/s each. A stalled client must cost the others nothing measurable:
// Asterisk runs each session on its own thread, and a thread blocked on a
// full socket stops reading that client's input. The 10 clients' rate and
// p99 while K clients are stalled are compared with the mean of the windows
// just before and just after.

import { sleep, type Child } from '../lib/child-proc.js';
import type { WindowResult } from '../lib/closed-loop.js';
import { fmt } from '../lib/stats.js';
import { median, print, verdict } from '../lib/report.js';
import type { Path } from './rtt.js';

export interface StallRow {
  path: Path; stalled: number; before: number; during: number; p99Before: number; p99During: number; stillConnected: number;
  /** CPU µs of the server on the path (amigate, or the sim when direct) per answered Getvar, before and during the stall. */
  cpuBefore: number; cpuDuring: number;
}

const LISTCOMMANDS = 'Action: ListCommands\r\n';

export async function stall(load: Child, server: (p: Path) => Child, paths: Path[], o: { request: string; stalledCounts: number[]; seconds: number; reps: number; rate: number; settle: number }): Promise<StallRow[]> {
  print(`## Stalled clients: 10 clients in a closed Getvar loop, then K clients that stop reading and send ListCommands at ${o.rate}/s each`);
  print('');
  print(`Windows of ${o.seconds} s: before, during (after ${o.settle} s: at ${o.rate}/s a stalled client's socket buffers, several MB of ListCommands answers, take about 3 s to fill, `
    + `and until then the server, Asterisk included, keeps answering it), after. "Baseline" is the mean of before and after; `
    + `medians of ${o.reps} interleaved repetitions. Goal (issue 12): during the stall >= 90% of the baseline rate and < 10% more p99. `
    + 'The server CPU per Getvar (amigate on the amigate path, the sim when direct) shows what the stalled clients cost the server even on a busy machine.');
  print('');
  const runs = new Map<string, StallRow[]>();
  for (let rep = 0; rep < o.reps; rep++) {
    for (const k of o.stalledCounts) {
      for (const path of rep % 2 === 0 ? paths : [...paths].reverse()) {
        await load.call('loop-start', { target: path.target, clients: 10, request: o.request });
        await sleep(300);
        const srv = server(path);
        // The server's CPU time per answered Getvar over a window: what the stalled clients cost it shows here even when the machine is noisy.
        const measure = async () => {
          const c0 = await srv.call<number>('cpu');
          const w = await load.call<WindowResult>('loop-window', { seconds: o.seconds });
          return { w, cpu: ((await srv.call<number>('cpu')) - c0) / (w.perSecond * o.seconds) };
        };
        const before = await measure();
        await load.call('stall-start', { target: path.target, clients: k, rate: o.rate, request: LISTCOMMANDS });
        await sleep(o.settle * 1000);
        const during = await measure();
        const stillConnected = await load.call<number>('stall-stop');
        await sleep(300);
        const after = (await measure()).w;
        await load.call('loop-stop');
        await sleep(200);
        const key = `${path.key}/${k}`;
        if (!runs.has(key)) runs.set(key, []);
        runs.get(key)!.push({
          path, stalled: k, before: (before.w.perSecond + after.perSecond) / 2, during: during.w.perSecond,
          p99Before: (before.w.p99 + after.p99) / 2, p99During: during.w.p99, stillConnected, cpuBefore: before.cpu, cpuDuring: during.cpu,
        });
      }
    }
  }
  print('| stalled clients | path | baseline actions/s | during | rate during / baseline | baseline p99 ms | during | p99 during / baseline | server CPU µs per Getvar before / during | stalled still connected | goal |');
  print('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const rows: StallRow[] = [];
  for (const k of o.stalledCounts) {
    for (const path of paths) {
      const rs = runs.get(`${path.key}/${k}`)!;
      const m = (f: (r: StallRow) => number) => median(rs.map(f));
      const row: StallRow = {
        path, stalled: k, before: m((r) => r.before), during: m((r) => r.during), p99Before: m((r) => r.p99Before), p99During: m((r) => r.p99During),
        stillConnected: Math.min(...rs.map((r) => r.stillConnected)), cpuBefore: m((r) => r.cpuBefore), cpuDuring: m((r) => r.cpuDuring),
      };
      rows.push(row);
      const rateRatio = row.during / row.before;
      const p99Ratio = row.p99During / row.p99Before;
      const goal = path.via === 'amigate' ? verdict(rateRatio >= 0.9 && p99Ratio < 1.1) : '(reference)';
      print(`| ${k} | (${path.key}) ${path.name} | ${fmt(row.before)} | ${fmt(row.during)} | ${(rateRatio * 100).toFixed(0)}% | ${row.p99Before.toFixed(3)} | ${row.p99During.toFixed(3)} | ${p99Ratio.toFixed(2)} | ${row.cpuBefore.toFixed(1)} / ${row.cpuDuring.toFixed(1)} | ${row.stillConnected} of ${k} | ${goal} |`);
    }
  }
  print('');
  return rows;
}
