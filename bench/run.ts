// `npm run bench [-- --quick] [-- --only rtt,fanout,connections,mixed,parser,tunnel,websocket]`
//
// Runs every path in the same run, interleaved per scenario:
//   (a) direct   clients -> simulated Asterisk
//   (b) relay    clients -> raw TCP relay (net, pipes bytes) -> sim
//   (c) amigate  clients -> amigate plaintext -> sim
//   (d) tls      clients -> amigate TLS -> sim
// The sim, the relay, amigate and the load generator are separate processes
// (bench/child.ts). Prints Markdown tables (absolute numbers and ratios
// against (b) and (a) from the same run) and writes them to bench/results/.

import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, type LatencySummary } from './lib/stats.js';
import type { Target } from './lib/light-client.js';
import { tunnelBench } from './tunnel.js';
import { websocketBench } from './websocket.js';
import { userEventFanout } from './userevent.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const onlyArg = args.indexOf('--only');
const ONLY = onlyArg >= 0 ? new Set(args[onlyArg + 1]!.split(',')) : undefined;
const want = (s: string) => ONLY === undefined || ONLY.has(s);

const out: string[] = [];
function print(line = ''): void { console.log(line); out.push(line); }

class Child {
  readonly proc: ChildProcess;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<Record<string, unknown>>;

  constructor(role: string, extra: string[] = [], execArgv: string[] = []) {
    this.proc = fork(join(here, 'child.js'), [role, ...extra], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve, reject) => {
      this.proc.on('message', (raw) => {
        const m = raw as { id?: number; ready?: boolean; ok?: boolean; result?: unknown; error?: string };
        if (m.ready) { resolve(m as Record<string, unknown>); return; }
        const w = this.waiting.get(m.id!);
        if (!w) return;
        this.waiting.delete(m.id!);
        if (m.ok) w.resolve(m.result); else w.reject(new Error(m.error));
      });
      this.proc.on('exit', (code) => reject(new Error(`${role} exited ${code}`)));
    });
  }

  call<T>(cmd: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, cmd, ...params });
    });
  }

  kill(): void { this.proc.kill(); }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Path { key: 'a' | 'b' | 'c' | 'd'; name: string; target: Target }

async function main(): Promise<void> {
  const started = Date.now();
  const cpus = os.cpus();
  print(`# amigate benchmark ${QUICK ? '(--quick)' : ''}`);
  print('');
  print(`machine: ${os.type()} ${os.release()} ${os.arch()}, ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; ${new Date().toISOString()}`);
  print('processes: sim, relay, amigate and load generator are separate; all share this machine\'s cores.');
  print('');

  if (want('parser')) {
    const r = spawnSync(process.execPath, [join(here, 'micro/parser.bench.js'), '--rounds', QUICK ? '2' : '5', '--events', QUICK ? '100000' : '400000'], { encoding: 'utf8' });
    print('## Parser (one core, in-process)');
    print('');
    for (const l of r.stdout.trim().split('\n')) print(l);
    print('');
  }

  const sim = new Child('sim');
  const simPort = (await sim.ready)['port'] as number;
  const relay = new Child('relay', [String(simPort)]);
  // BENCH_PROFILE=1: amigate runs under --cpu-prof (profile in bench/results/prof/ at the end).
  const prof = process.env['BENCH_PROFILE'] ? ['--cpu-prof', `--cpu-prof-dir=${join(here, '../../bench/results/prof')}`] : [];
  const proxy = new Child('proxy', [String(simPort)], ['--expose-gc', ...prof]);
  const load = new Child('load');
  const [r, p] = await Promise.all([relay.ready, proxy.ready, load.ready]);
  const user = { user: 'bench', secret: 'bench-secret' };
  const paths: Path[] = [
    { key: 'a', name: 'direct', target: { port: simPort, ...user } },
    { key: 'b', name: 'relay', target: { port: r['port'] as number, ...user } },
    { key: 'c', name: 'amigate', target: { port: p['plain'] as number, ...user } },
    { key: 'd', name: 'amigate TLS', target: { port: p['tls'] as number, tls: { ca: p['ca'] as string }, ...user } },
  ];
  try {
    if (want('rtt')) await rtt(load, paths);
    if (want('fanout')) await fanout(load, sim, paths);
    if (want('userevent')) await userEventFanout(load, paths, print, QUICK);
    if (want('mixed')) await mixed(load, sim, paths);
    if (want('websocket')) await websocketBench(load, sim, proxy, paths[2]!.target, p['web'] as number, print, QUICK);
    if (want('tunnel')) await tunnelBench(load, paths[2]!.target, paths[3]!.target as Target & { tls: { ca: string } }, print, QUICK);
    if (want('connections')) await connections(load, proxy, paths[3]!);
  } finally {
    if (prof.length > 0) await proxy.call('exit').catch(() => undefined);
    await sleep(prof.length > 0 ? 500 : 0);
    for (const c of [load, proxy, relay, sim]) c.kill();
  }
  print(`total time: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const dir = join(here, '../../bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}${QUICK ? '-quick' : ''}.md`);
  writeFileSync(file, out.join('\n') + '\n');
  console.log(`\nwritten to ${file}`);
}

const ratio = (x: number, base: number) => (Number.isFinite(x) && Number.isFinite(base) && base > 0 ? (x / base).toFixed(2) : '-');

async function rtt(load: Child, paths: Path[]): Promise<void> {
  const seconds = QUICK ? 0.5 : 2;
  for (const action of ['Ping', 'CoreStatus']) {
    print(`## Action round trip: ${action}, closed loop (${seconds} s per cell)`);
    print('');
    print(action === 'Ping'
      ? 'amigate answers Ping itself (issue 3), so through amigate this is the proxy hop alone; direct and relay reach the sim.'
      : 'CoreStatus is forwarded to the sim on every path: the full proxy path (parse, policy, ActionID rewrite, pool, restore).');
    print('');
    // Warm every path up first (JIT, pools, buffers), unmeasured: otherwise the
    // first path to run an action pays for compiling its code.
    for (const path of paths) await load.call('rtt', { target: path.target, clients: 10, seconds: 0.3, action });
    print('| clients | path | actions/s | p50 ms | p99 ms | max ms | p50 / relay | p99 / relay | p50 / direct |');
    print('|---:|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const clients of QUICK ? [1, 100] : [1, 10, 100]) {
      const res = new Map<string, LatencySummary & { perSecond: number }>();
      for (const path of paths) res.set(path.key, await load.call('rtt', { target: path.target, clients, seconds, action }));
      for (const path of paths) {
        const x = res.get(path.key)!;
        print(`| ${clients} | (${path.key}) ${path.name} | ${fmt(x.perSecond)} | ${x.p50.toFixed(3)} | ${x.p99.toFixed(3)} | ${x.max.toFixed(1)} | ${ratio(x.p50, res.get('b')!.p50)} | ${ratio(x.p99, res.get('b')!.p99)} | ${ratio(x.p50, res.get('a')!.p50)} |`);
      }
    }
    print('');
  }
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
  for (const path of paths.filter((x) => x.key !== 'd')) {
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
