// `npm run bench [-- --quick] [-- --only rtt,stall,fanout,userevent,mixed,connections,parser,tunnel,filter,scope,websocket]`
//
// Runs every path in the same run, interleaved per scenario:
//   (a) direct     clients -> simulated Asterisk
//   (b) relay      clients -> raw TCP relay (net, pipes bytes) -> sim
//   (c) amigate    clients -> amigate plaintext -> sim, as deployed: log level
//                  info, every action audited to a file
//   (d) amigate, audit off   the same process after a reload with log.auditactions: none
//   (e) TLS relay  clients -> TLS terminator piping to the sim (node tls + net)
//   (f) amigate TLS, (g) amigate TLS audit off
// The sim, the relays, amigate and the load generator are separate processes
// (bench/child.ts). Prints Markdown tables (absolute numbers and ratios
// against the relay of the same kind from the same run) and writes them to bench/results/.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, type LatencySummary } from './lib/stats.js';
import { Child, sleep } from './lib/child-proc.js';
import { out, print, ratio } from './lib/report.js';
import { rtt, type Path } from './scenarios/rtt.js';
import { goals } from './scenarios/goals.js';
import { stall } from './scenarios/stall.js';
import type { Target } from './lib/light-client.js';
import { tunnelBench } from './tunnel.js';
import { websocketBench } from './websocket.js';
import { userEventFanout } from './userevent.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
/** The node flags the Dockerfile starts amigate with (docs/operations.md, "Node.js flags"). */
const DEPLOY_NODE_FLAGS = '--max-semi-space-size=64';
const onlyArg = args.indexOf('--only');
const ONLY = onlyArg >= 0 ? new Set(args[onlyArg + 1]!.split(',')) : undefined;
const want = (s: string) => ONLY === undefined || ONLY.has(s);

/** Getvar of a global variable: forwarded on every path, answered by the sim at once (the measure). */
const GETVAR = 'Action: Getvar\r\nVariable: BENCHVAR\r\n';

async function main(): Promise<void> {
  const started = Date.now();
  const cpus = os.cpus();
  print(`# amigate benchmark ${QUICK ? '(--quick)' : ''}`);
  print('');
  print(`machine: ${os.type()} ${os.release()} ${os.arch()}, ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; ${new Date().toISOString()}; load average before: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  print('processes: sim, relays, amigate and load generator are separate; all share this machine\'s cores.');
  print('amigate runs as deployed: default log level (info), log.file, every action audited (log.auditactions: all) unless a path says "audit off".');
  print('');

  if (want('parser')) {
    const r = spawnSync(process.execPath, [join(here, 'micro/parser.bench.js'), '--rounds', QUICK ? '2' : '5', '--events', QUICK ? '100000' : '400000'], { encoding: 'utf8' });
    print('## Parser (one core, in-process)');
    print('');
    for (const l of r.stdout.trim().split('\n')) print(l);
    print('');
  }
  if (want('filter')) {
    const r = spawnSync(process.execPath, [join(here, 'micro/filter.bench.js'), '--rounds', QUICK ? '2' : '5', '--events', QUICK ? '20000' : '100000'], { encoding: 'utf8' });
    print('## Event filters (one core, in-process)');
    print('');
    for (const l of r.stdout.trim().split('\n')) print(l);
    print('');
  }

  // [scope] tenant scoping's fan-out cost, 100 scoped sessions (bench/micro/scope-fanout.bench.ts).
  if (want('scope')) {
    const r = spawnSync(process.execPath, [join(here, 'micro/scope-fanout.bench.js'), '--rounds', QUICK ? '2' : '5', '--events', QUICK ? '50000' : '200000'], { encoding: 'utf8' });
    print('## Fan-out with tenant scoping (one core, in-process)');
    print('');
    for (const l of r.stdout.trim().split('\n')) print(l);
    print('');
  }

  const sim = new Child('sim');
  const simPort = (await sim.ready)['port'] as number;
  const relay = new Child('relay', [String(simPort)]);
  const tlsRelay = new Child('tlsrelay', [String(simPort)]);
  // BENCH_PROFILE=1: amigate runs under --cpu-prof (profile in bench/results/prof/ at the end).
  const prof = process.env['BENCH_PROFILE'] ? ['--cpu-prof', `--cpu-prof-dir=${join(here, '../../bench/results/prof')}`] : [];
  // amigate runs with the node flags it is deployed with (Dockerfile, docs/operations.md:
  // a 64 MiB young generation); PROXY_NODE_FLAGS replaces them (e.g. '' for node's defaults).
  const deployFlags = (process.env['PROXY_NODE_FLAGS'] ?? DEPLOY_NODE_FLAGS).split(' ').filter((x) => x.length > 0);
  const proxy = new Child('proxy', [String(simPort)], ['--expose-gc', ...prof, ...deployFlags]);
  const load = new Child('load');
  const [r, tr, p] = await Promise.all([relay.ready, tlsRelay.ready, proxy.ready, load.ready]);
  const user = { user: 'bench', secret: 'bench-secret' };
  const plain = (port: unknown) => ({ port: port as number, ...user });
  const tls = (port: unknown, ca: unknown) => ({ port: port as number, tls: { ca: ca as string }, ...user });
  const all: Path[] = [
    { key: 'a', name: 'direct', target: plain(simPort), kind: 'plain', via: 'direct' },
    { key: 'b', name: 'relay', target: plain(r['port']), kind: 'plain', via: 'relay' },
    { key: 'c', name: 'amigate', target: plain(p['plain']), kind: 'plain', via: 'amigate', audit: 'all' },
    { key: 'd', name: 'amigate, audit off', target: plain(p['plain']), kind: 'plain', via: 'amigate', audit: 'none' },
    { key: 'e', name: 'TLS relay', target: tls(tr['port'], tr['ca']), kind: 'tls', via: 'relay' },
    { key: 'f', name: 'amigate TLS', target: tls(p['tls'], p['ca']), kind: 'tls', via: 'amigate', audit: 'all' },
    { key: 'g', name: 'amigate TLS, audit off', target: tls(p['tls'], p['ca']), kind: 'tls', via: 'amigate', audit: 'none' },
  ];
  const key = (k: string) => all.find((x) => x.key === k)!;
  // The event scenarios: direct, relay, and amigate with the audit on, plain and TLS.
  const paths = ['a', 'b', 'c', 'f'].map(key);
  try {
    if (want('rtt')) {
      const fileBefore = await proxy.call<{ actionRecords: number }>('audit-file');
      const res = await rtt({ load, proxy, sim }, all, {
        label: 'Getvar', request: GETVAR, clients: [1, 10, 100], seconds: QUICK ? 0.3 : 1.5, reps: QUICK ? 1 : 3,
        note: 'Getvar is forwarded on every path (parse, policy, ActionID rewrite, pool, restore, audit record). The 100 clients use colliding ActionIDs (each counts 0, 1, 2…). '
          + 'Ratios compare each path with the relay of its own kind: plain paths with (b), TLS paths with (e).',
      });
      await proxy.call('audit', { actions: 'all' });
      const file = await proxy.call<{ actionRecords: number; bytes: number }>('audit-file');
      goals(res, all);
      const written = file.actionRecords - fileBefore.actionRecords;
      print(`Audit file: ${fmt(written)} action records written for ${fmt(res.auditedAnswered)} actions answered on the audited paths (${written === res.auditedAnswered ? 'complete' : '**records missing or extra**'}); the file holds ${fmt(file.bytes / 2 ** 20, 1)} MiB.`);
      print('');
      if (!QUICK) {
        await rtt({ load, proxy, sim }, ['a', 'b', 'c', 'e', 'f'].map(key), {
          label: 'Ping', request: 'Action: Ping\r\n', clients: [1, 10, 100], seconds: 1, reps: 1,
          note: 'amigate answers Ping itself (issue 3), so through amigate this is the proxy hop alone (audited); direct and the relays reach the sim.',
        });
        await proxy.call('audit', { actions: 'all' });
      }
    }
    if (want('stall')) {
      await proxy.call('audit', { actions: 'all' });
      await stall(load, (x) => (x.via === 'direct' ? sim : proxy), [key('a'), key('c')], { request: GETVAR, stalledCounts: [1, 10], seconds: QUICK ? 0.5 : 1.5, reps: QUICK ? 1 : 2, rate: 200, settle: QUICK ? 1.5 : 3.5 });
    }
    if (want('fanout')) await fanout(load, sim, paths);
    if (want('userevent')) await userEventFanout(load, paths, print, QUICK);
    if (want('mixed')) await mixed(load, sim, paths);
    if (want('connections')) await connections(load, proxy, key('f'));
    if (want('tunnel')) await tunnelBench(load, key('c').target, key('f').target as Target & { tls: { ca: string } }, print, QUICK);
    if (want('websocket')) await websocketBench(load, sim, proxy, key('c').target, p['web'] as number, print, QUICK);
  } finally {
    if (prof.length > 0) await proxy.call('exit').catch(() => undefined);
    await sleep(prof.length > 0 ? 500 : 0);
    for (const c of [load, proxy, relay, tlsRelay, sim]) c.kill();
  }
  print(`total time: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const dir = join(here, '../../bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}${QUICK ? '-quick' : ''}.md`);
  writeFileSync(file, out.join('\n') + '\n');
  console.log(`\nwritten to ${file}`);
}

interface FanoutResult { received: number; dropped: number; p50: number; p99: number; max: number; expected: number; rate: number; seconds: number }

async function fanoutCell(load: Child, sim: Child, path: Path, clients: number, rate: number, seconds: number): Promise<FanoutResult> {
  await load.call('subscribe', { target: path.target, clients });
  await sleep(300);
  await load.call('measure-start');
  const { emitted } = await sim.call<{ emitted: number }>('emit', { rate, seconds });
  // Let what is in flight arrive: until all expected arrived or nothing moved for 300 ms (bounded).
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const now = await load.call<number>('peek');
    if (now >= emitted * clients || now === last) break;
    last = now;
    await sleep(300);
  }
  const r = await load.call<Omit<FanoutResult, 'expected' | 'rate' | 'seconds'>>('measure-stop');
  await load.call('close-all');
  await sleep(200);
  return { ...r, expected: emitted * clients, rate, seconds };
}

async function fanout(load: Child, sim: Child, paths: Path[]): Promise<void> {
  const seconds = QUICK ? 1 : 3;
  const rate = 200;
  print(`## Event fan-out: ${rate} Newstate events/s for ${seconds} s to N subscribed clients`);
  print('');
  print('| clients | path | deliveries/s | loss | p50 ms | p99 ms | deliveries / relay | deliveries / direct |');
  print('|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const clients of QUICK ? [10, 100] : [10, 100, 1000]) {
    const res = new Map<string, FanoutResult>();
    for (const path of paths) res.set(path.key, await fanoutCell(load, sim, path, clients, rate, seconds));
    for (const path of paths) {
      const x = res.get(path.key)!;
      const dps = x.received / x.seconds;
      print(`| ${clients} | (${path.key}) ${path.name} | ${fmt(dps)} | ${fmt(x.expected - x.received)} | ${x.p50.toFixed(2)} | ${x.p99.toFixed(2)} | ${ratio(dps, res.get('b')!.received / seconds)} | ${ratio(dps, res.get('a')!.received / seconds)} |`);
    }
  }
  print('');
  if (QUICK) return;
  print('### Saturation at 100 clients: highest rate with 0 loss and p99 < 50 ms');
  print('');
  print('| path | rates tried (events/s -> loss, p99 ms) | saturation events/s | deliveries/s there |');
  print('|---|---|---:|---:|');
  for (const path of paths.filter((x) => x.kind !== 'tls')) {
    const tried: string[] = [];
    let best = 0;
    const rates = [1000, 2000, 4000, 8000, 16000, 32000];
    for (const r of rates) {
      const x = await fanoutCell(load, sim, path, 100, r, 2);
      const loss = x.expected - x.received;
      tried.push(`${r} -> ${loss}, ${x.p99.toFixed(1)}`);
      if (loss === 0 && x.p99 < 50) best = r; else break;
    }
    const capped = best === rates.at(-1) ? ' (not reached)' : '';
    print(`| (${path.key}) ${path.name} | ${tried.join('; ')} | ${best === rates.at(-1) ? '>= ' : ''}${fmt(best)}${capped} | ${fmt(best * 100)} |`);
  }
  print('');
}

async function mixed(load: Child, sim: Child, paths: Path[]): Promise<void> {
  const seconds = QUICK ? 1 : 4;
  const clients = QUICK ? 50 : 100;
  print(`## Mixed: ${clients} clients, each 10 CoreStatus/s, while 200 events/s fan out to all (${seconds} s)`);
  print('');
  print('| path | action p50 ms | action p99 ms | event p50 ms | event p99 ms | event loss | action p99 / relay |');
  print('|---|---:|---:|---:|---:|---:|---:|');
  const rows: Array<[Path, LatencySummary, FanoutResult & { expected: number }]> = [];
  for (const path of paths) {
    await load.call('subscribe', { target: path.target, clients });
    await sleep(300);
    await load.call('measure-start');
    const [act, emitted] = await Promise.all([
      load.call<LatencySummary>('paced', { rate: 10, seconds, action: 'CoreStatus' }),
      sim.call<{ emitted: number }>('emit', { rate: 200, seconds }),
    ]);
    await sleep(500);
    const ev = await load.call<FanoutResult>('measure-stop');
    await load.call('close-all');
    await sleep(200);
    rows.push([path, act, { ...ev, expected: emitted.emitted * clients }]);
  }
  const relayP99 = rows.find(([p]) => p.key === 'b')![1].p99;
  for (const [path, act, ev] of rows) {
    print(`| (${path.key}) ${path.name} | ${act.p50.toFixed(3)} | ${act.p99.toFixed(3)} | ${ev.p50.toFixed(2)} | ${ev.p99.toFixed(2)} | ${fmt(ev.expected - ev.received)} | ${ratio(act.p99, relayP99)} |`);
  }
  print('');
}

async function connections(load: Child, proxy: Child, tlsPath: Path): Promise<void> {
  const n = QUICK ? 1000 : 10000;
  print(`## Connections: ${fmt(n)} idle logged-in clients over TLS through amigate`);
  print('');
  const before = await proxy.call<number>('rss');
  const r = await load.call<{ clients: number; ms: number }>('idle', { target: tlsPath.target, clients: n, concurrency: 200 });
  await sleep(500);
  const after = await proxy.call<number>('rss');
  const sessions = await proxy.call<number>('sessions');
  await load.call('close-all');
  const per = (after - before) / n;
  print('| clients | logged in (amigate sessions) | time to accept and log in all | amigate RSS before | after | per client | goal |');
  print('|---:|---:|---:|---:|---:|---:|---|');
  print(`| ${fmt(n)} | ${fmt(sessions)} | ${(r.ms / 1000).toFixed(1)} s (${fmt(n / (r.ms / 1000))}/s) | ${fmt(before / 2 ** 20, 1)} MiB | ${fmt(after / 2 ** 20, 1)} MiB | ${fmt(per / 1024, 1)} KiB | <= 48 KiB: ${per / 1024 <= 48 ? 'met' : 'missed'} |`);
  print('');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
