// `node dist/bench/cpu-per-action.js [--clients 1,10] [--seconds 3] [--reps 3] [--kinds plain,tls] [--audit all,none] [--prof]`
//
// amigate's CPU time per forwarded Getvar, the number that stays comparable on
// a loaded machine (latency does not). Only amigate paths, closed loop: for each
// cell the load generator logs its clients in and starts the loop, then the
// proxy's CPU time (process.cpuUsage: user + system, every thread) and the
// actions answered are read at the start and the end of a window of `seconds`.
// Logins, TLS handshakes and the warm-up are outside the window. Cells are
// interleaved and repeated; the table gives the median and the range.
// `--prof` runs amigate under --cpu-prof (bench/results/prof/).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child, sleep } from './lib/child-proc.js';
import type { Target } from './lib/light-client.js';
import { median } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : def;
};
const CLIENTS = opt('clients', '1,10').split(',').map(Number);
const KINDS = opt('kinds', 'plain,tls').split(',') as Array<'plain' | 'tls'>;
/** `all` / `none`: amigate with log.auditactions so; `relay`: the raw relay of the same kind (the floor), its own CPU. */
const AUDIT = opt('audit', 'all,none,relay').split(',');
const SECONDS = Number(opt('seconds', '3'));
const REPS = Number(opt('reps', '3'));
const GETVAR = 'Action: Getvar\r\nVariable: BENCHVAR\r\n';

async function main(): Promise<void> {
  const sim = new Child('sim');
  const simPort = (await sim.ready)['port'] as number;
  const prof = args.includes('--prof') ? ['--cpu-prof', `--cpu-prof-dir=${join(here, '../../bench/results/prof')}`] : [];
  // PROXY_NODE_FLAGS: more node flags for amigate (e.g. --perf-basic-prof for `perf record`).
  const extra = (process.env['PROXY_NODE_FLAGS'] ?? '').split(' ').filter((x) => x.length > 0);
  const proxy = new Child('proxy', [String(simPort)], ['--expose-gc', ...prof, ...extra]);
  console.error(`amigate pid ${proxy.proc.pid}`);
  const load = new Child('load');
  const relay = new Child('relay', [String(simPort)]);
  const tlsRelay = new Child('tlsrelay', [String(simPort)]);
  const [p, r, tr] = await Promise.all([proxy.ready, relay.ready, tlsRelay.ready, load.ready]);
  const user = { user: 'bench', secret: 'bench-secret' };
  const target = (kind: 'plain' | 'tls', audit: string): Target => {
    if (audit === 'relay') return kind === 'plain' ? { port: r['port'] as number, ...user } : { port: tr['port'] as number, tls: { ca: tr['ca'] as string }, ...user };
    return kind === 'plain' ? { port: p['plain'] as number, ...user } : { port: p['tls'] as number, tls: { ca: p['ca'] as string }, ...user };
  };
  const cells: Array<{ clients: number; kind: 'plain' | 'tls'; audit: string }> = [];
  for (const clients of CLIENTS) for (const kind of KINDS) for (const audit of AUDIT) cells.push({ clients, kind, audit });
  const results = new Map<string, number[]>(cells.map((c) => [`${c.clients} ${c.kind} ${c.audit}`, []]));
  const rates = new Map<string, number[]>(cells.map((c) => [`${c.clients} ${c.kind} ${c.audit}`, []]));
  const sys = new Map<string, Array<{ reads: number; writes: number; user: number; system: number }>>(cells.map((c) => [`${c.clients} ${c.kind} ${c.audit}`, []]));
  let mode = '';
  const one = async (c: typeof cells[number], seconds: number): Promise<{ us: number; user: number; system: number; perSecond: number; reads: number; writes: number }> => {
    if (c.audit !== 'relay' && mode !== c.audit) { await proxy.call('audit', { actions: c.audit }); mode = c.audit; }
    const measured = c.audit !== 'relay' ? proxy : c.kind === 'plain' ? relay : tlsRelay;
    await load.call('loop-start', { target: target(c.kind, c.audit), clients: c.clients, request: GETVAR });
    await sleep(300); // warm-up
    const a0 = await load.call<number>('loop-answered');
    const io0 = await measured.call<{ syscr: number; syscw: number }>('io');
    const cpu0 = await measured.call<{ user: number; system: number }>('cpu-split');
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpu1 = await measured.call<{ user: number; system: number }>('cpu-split');
    const io1 = await measured.call<{ syscr: number; syscw: number }>('io');
    const a1 = await load.call<number>('loop-answered');
    const wall = (performance.now() - t0) / 1000;
    await load.call('loop-stop');
    const n = a1 - a0;
    const user = (cpu1.user - cpu0.user) / n;
    const system = (cpu1.system - cpu0.system) / n;
    return { us: user + system, user, system, perSecond: n / wall, reads: (io1.syscr - io0.syscr) / n, writes: (io1.syscw - io0.syscw) / n };
  };
  for (const c of cells) await one(c, 0.5); // JIT warm-up of every path
  for (let rep = 0; rep < REPS; rep++) {
    const order = cells.map((_, i) => cells[(i + rep * 3) % cells.length]!);
    for (const c of order) {
      const r = await one(c, SECONDS);
      results.get(`${c.clients} ${c.kind} ${c.audit}`)!.push(r.us);
      rates.get(`${c.clients} ${c.kind} ${c.audit}`)!.push(r.perSecond);
      sys.get(`${c.clients} ${c.kind} ${c.audit}`)!.push(r);
    }
  }
  console.log(`CPU µs per forwarded Getvar of the process measured (amigate or the relay): median of ${REPS} x ${SECONDS} s (min-max); load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log('');
  console.log('| clients | kind | path | µs CPU / action | range | actions/s | user / system µs | read / write syscalls per action |');
  console.log('|---:|---|---|---:|---|---:|---:|---:|');
  for (const c of cells) {
    const k = `${c.clients} ${c.kind} ${c.audit}`;
    const xs = results.get(k)!;
    console.log(`| ${c.clients} | ${c.kind} | ${c.audit === 'all' ? 'amigate, audit on' : c.audit === 'none' ? 'amigate, audit off' : 'relay'} | ${median(xs).toFixed(1)} | ${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)} | ${median(rates.get(k)!).toFixed(0)} | ${median(sys.get(k)!.map((x) => x.user)).toFixed(1)} / ${median(sys.get(k)!.map((x) => x.system)).toFixed(1)} | ${median(sys.get(k)!.map((x) => x.reads)).toFixed(2)} / ${median(sys.get(k)!.map((x) => x.writes)).toFixed(2)} |`);
  }
  await proxy.call('exit');
  for (const ch of [sim, load, relay, tlsRelay]) ch.kill();
  await sleep(200);
  process.exit(0);
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
