// Action round trip, closed loop: every path at 1/10/100 clients, repeated
// `reps` times with the path order rotated each repetition (interleaved, so a
// noisy second hurts every path alike); the table gives the median of the
// repetitions. amigate runs once with the audit of every action on (as
// deployed) and once with `log.auditactions: none`, switched by a reload.

import type { Child } from '../lib/child-proc.js';
import { CpuMeter } from '../lib/child-proc.js';
import type { Target } from '../lib/light-client.js';
import { fmt } from '../lib/stats.js';
import { median, print, ratio } from '../lib/report.js';

export interface Path {
  key: string;
  name: string;
  target: Target;
  /** What its latency is compared with: the relay of the same kind (plain or TLS). */
  kind: 'plain' | 'tls';
  via: 'direct' | 'relay' | 'amigate';
  /** amigate only: log.auditactions for this path. */
  audit?: 'all' | 'none';
}

export interface Cell { perSecond: number; p50: number; p99: number; max: number; answered: number; proxyCpu: number; simCpu: number }

export interface RttProcs { load: Child; proxy: Child; sim: Child }

export interface RttResult {
  clients: number[];
  /** clients -> path key -> the median cell. */
  cells: Map<number, Map<string, Cell>>;
  /** Actions answered on audited amigate paths (warm-up included): the audit file must hold as many records. */
  auditedAnswered: number;
}

/** The relay path a path is compared with. */
export function baselineOf(paths: readonly Path[], p: Path): Path {
  return paths.find((x) => x.via === 'relay' && x.kind === p.kind)!;
}

export async function rtt(procs: RttProcs, paths: Path[], o: { label: string; request: string; clients: number[]; seconds: number; reps: number; note: string }): Promise<RttResult> {
  const { load, proxy, sim } = procs;
  let mode: string | undefined;
  let auditedAnswered = 0;
  const setAudit = async (p: Path) => {
    if (p.via !== 'amigate' || p.audit === mode) return;
    await proxy.call('audit', { actions: p.audit });
    mode = p.audit;
  };
  const cpu = new CpuMeter([proxy, sim]);
  const one = async (p: Path, clients: number, seconds: number): Promise<Cell> => {
    await setAudit(p);
    await cpu.start();
    const r = await load.call<Omit<Cell, 'proxyCpu' | 'simCpu'>>('rtt', { target: p.target, clients, seconds, request: o.request });
    const [proxyCpu, simCpu] = await cpu.stop();
    if (p.via === 'amigate' && p.audit === 'all') auditedAnswered += r.answered;
    return { ...r, proxyCpu: proxyCpu!, simCpu: simCpu! };
  };

  print(`## Action round trip: ${o.label}, closed loop (${o.seconds} s per cell, median of ${o.reps} interleaved repetitions)`);
  print('');
  print(o.note);
  print('');
  // Warm every path up first (JIT, pools, buffers), unmeasured.
  for (const p of paths) await one(p, 10, 0.3);
  const cells = new Map<number, Map<string, Cell>>();
  for (const clients of o.clients) {
    const runs = new Map<string, Cell[]>(paths.map((p) => [p.key, []]));
    for (let rep = 0; rep < o.reps; rep++) {
      // Rotate the order each repetition, so no path always runs first or last.
      const order = paths.map((_, i) => paths[(i + rep * 3) % paths.length]!);
      for (const p of order) runs.get(p.key)!.push(await one(p, clients, o.seconds));
    }
    const med = new Map<string, Cell>();
    for (const [k, rs] of runs) {
      const m = (f: (c: Cell) => number) => median(rs.map(f));
      med.set(k, { perSecond: m((c) => c.perSecond), p50: m((c) => c.p50), p99: m((c) => c.p99), max: Math.max(...rs.map((c) => c.max)), answered: 0, proxyCpu: m((c) => c.proxyCpu), simCpu: m((c) => c.simCpu) });
    }
    cells.set(clients, med);
  }
  print('| clients | path | actions/s | p50 ms | p99 ms | max ms | p50 / relay | p99 / relay | actions/s / relay | amigate CPU % | amigate CPU µs per action | sim CPU % |');
  print('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const clients of o.clients) {
    const med = cells.get(clients)!;
    for (const p of paths) {
      const x = med.get(p.key)!;
      const b = med.get(baselineOf(paths, p).key)!;
      print(`| ${clients} | (${p.key}) ${p.name} | ${fmt(x.perSecond)} | ${x.p50.toFixed(3)} | ${x.p99.toFixed(3)} | ${x.max.toFixed(1)} | ${ratio(x.p50, b.p50)} | ${ratio(x.p99, b.p99)} | ${ratio(x.perSecond, b.perSecond)} | ${p.via === 'amigate' ? x.proxyCpu.toFixed(0) : '-'} | ${p.via === 'amigate' ? (x.proxyCpu * 1e4 / x.perSecond).toFixed(1) : '-'} | ${x.simCpu.toFixed(0)} |`);
    }
  }
  print('');
  return { clients: o.clients, cells, auditedAnswered };
}
