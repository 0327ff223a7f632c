// The issue-12 verdicts, computed from the round-trip cells of the same run:
// goal 2 (audited amigate vs a relay of the same kind, and the audit's cost in
// throughput) and goal 3 (the simulated upstream at least as fast as Asterisk).

import { fmt } from '../lib/stats.js';
import { print, ratio, verdict } from '../lib/report.js';
import { baselineOf, type Path, type RttResult } from './rtt.js';

/** Direct Getvar to a real Asterisk 22 at 10 clients, measured on the reference 2-core machine (issue 12). */
export const ASTERISK_REFERENCE = { clients: 10, perSecond: 49_000, p50Ms: 0.179, cpu: 87 };

export function goals(r: RttResult, paths: Path[]): void {
  print('## Goals (issue 12), from the Getvar round trips above');
  print('');
  print('Goal 2: with the audit on, forwarded Getvar p50 <= 1.3x and p99 <= 2x a relay of the same kind (plain vs the TCP relay, TLS vs the TLS relay); '
    + 'throughput with the audit on >= 90% of the audit off.');
  print('');
  print('| clients | kind | relay p50 / p99 ms | amigate, audit on: p50 / p99 ms | p50 / relay | p99 / relay | actions/s audit on / off | verdict |');
  print('|---:|---|---:|---:|---:|---:|---:|---|');
  for (const clients of r.clients) {
    const cells = r.cells.get(clients)!;
    for (const kind of ['plain', 'tls'] as const) {
      const on = paths.find((p) => p.via === 'amigate' && p.kind === kind && p.audit === 'all');
      const off = paths.find((p) => p.via === 'amigate' && p.kind === kind && p.audit === 'none');
      if (!on || !off) continue;
      const rel = cells.get(baselineOf(paths, on).key)!;
      const a = cells.get(on.key)!;
      const b = cells.get(off.key)!;
      const ok = a.p50 <= 1.3 * rel.p50 && a.p99 <= 2 * rel.p99 && a.perSecond >= 0.9 * b.perSecond;
      print(`| ${clients} | ${kind} | ${rel.p50.toFixed(3)} / ${rel.p99.toFixed(3)} | ${a.p50.toFixed(3)} / ${a.p99.toFixed(3)} | ${ratio(a.p50, rel.p50)} | ${ratio(a.p99, rel.p99)} | ${fmt(a.perSecond)} / ${fmt(b.perSecond)} = ${ratio(a.perSecond, b.perSecond)} | ${verdict(ok)} |`);
    }
  }
  print('');
  const direct = paths.find((p) => p.via === 'direct')!;
  const ref = ASTERISK_REFERENCE;
  print(`Goal 3: the simulated upstream answers a forwarded action at least as fast as Asterisk 22 does: direct Getvar at ${ref.clients} clients `
    + `>= ${fmt(ref.perSecond)}/s at p50 <= ${(ref.p50Ms * 1000).toFixed(0)} µs (Asterisk at ${ref.cpu}% of a core, on the issue's 2-core machine). `
    + 'Direct rate and p50 per cell, with the sim\'s CPU:');
  print('');
  print('| clients | direct actions/s | direct p50 µs | sim CPU % | sim µs CPU per action | verdict |');
  print('|---:|---:|---:|---:|---:|---|');
  for (const clients of r.clients) {
    const d = r.cells.get(clients)!.get(direct.key)!;
    const v = clients === ref.clients ? verdict(d.perSecond >= ref.perSecond && d.p50 <= ref.p50Ms) : '(no reference)';
    print(`| ${clients} | ${fmt(d.perSecond)} | ${(d.p50 * 1000).toFixed(0)} | ${d.simCpu.toFixed(0)} | ${(d.simCpu * 1e4 / d.perSecond).toFixed(1)} | ${v} |`);
  }
  print('');
}
