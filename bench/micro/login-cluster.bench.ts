// What the shared login state (cluster.redis, docs/shared-state.md) adds to a
// login: sequential logins on fresh connections, against an in-process amigate
// without `cluster:` and one with it (a local Debian redis-server on loopback).
//
//   npm run build && node dist/bench/micro/login-cluster.bench.js [--logins N]
//
// Cases: a hashed-secret user that already logged in once (the repeated-login
// fast path: no scrypt, so the Redis round trips are most of the cost), an MD5
// Challenge login of a plain-secret user (Login timed alone), and the MD5 login
// of a one-session user (allowmultiplelogin: no: Challenge asks Redis for the
// user's session count too; Challenge + Login timed). Each session logs off
// before the next, so the one-session user is always admitted. The time is
// from the request to its response, as the client sees it.

import { spawn } from 'node:child_process';
import net from 'node:net';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { createProxy, type Proxy } from '../../src/proxy.js';
import { startSim } from '../../src/sim/server.js';
import { hashSecret } from '../../src/auth/secret-hash.js';
import { md5Key } from '../../src/protocol/md5-challenge.js';
import { createLogger } from '../../src/observability/logger.js';
import { Samples, fmt } from '../lib/stats.js';

const N = Number(process.argv[process.argv.indexOf('--logins') + 1]) || 200;
const REDIS = process.env['REDIS_SERVER'] ?? '/usr/bin/redis-server';

/** One connection: send, wait for each response, in order. */
class Conn {
  private buf = '';
  private waiting: ((msg: string) => void) | undefined;
  constructor(readonly s: net.Socket) {
    s.setNoDelay(true);
    s.setEncoding('latin1').on('data', (d: string) => { this.buf += d; this.pump(); });
  }
  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }
  private pump(): void {
    if (!this.waiting) return;
    const nl = this.buf.indexOf('\r\n');
    if (this.buf.startsWith('Asterisk Call Manager') && nl >= 0) { this.buf = this.buf.slice(nl + 2); }
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const msg = this.buf.slice(0, end);
    this.buf = this.buf.slice(end + 4);
    const w = this.waiting;
    this.waiting = undefined;
    w(msg);
  }
  async banner(): Promise<void> {
    while (!this.buf.includes('\r\n')) await new Promise((r) => setTimeout(r, 1));
    this.buf = this.buf.slice(this.buf.indexOf('\r\n') + 2);
  }
  ask(text: string): Promise<string> {
    return new Promise((resolve) => { this.waiting = resolve; this.s.write(text); this.pump(); });
  }
  close(): void { this.s.destroy(); }
}

async function startRedis(): Promise<{ url: string; stop(): void }> {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
  const child = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => { const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); }); s.once('error', () => resolve(false)); });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

async function proxyWith(simPort: number, cluster: object | undefined): Promise<Proxy> {
  const doc = {
    listeners: [{ name: 'plain', bindaddr: '127.0.0.1', port: 0 }],
    upstreams: [{ name: 'pbx1', host: '127.0.0.1', port: simPort, username: 'amigate', secret: 'upstream-secret' }],
    log: { level: 'warn' },
    users: {
      hashed: { secret: await hashSecret('hashed-pw'), read: 'call' },
      md5: { secret: 'md5-pw', read: 'call' },
      single: { secret: 'single-pw', read: 'call', allowmultiplelogin: false },
    },
    ...(cluster ? { cluster } : {}),
  };
  const { config } = await parseConfig(stringify(doc), '<bench>', {});
  return createProxy(config, { logger: createLogger({ level: 'warn' }) });
}

type Case = (port: number) => Promise<number>;

const plainLogin: Case = async (port) => {
  const c = await Conn.open(port);
  await c.banner();
  const t0 = process.hrtime.bigint();
  const r = await c.ask('Action: Login\r\nUsername: hashed\r\nSecret: hashed-pw\r\n\r\n');
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!r.includes('Success')) throw new Error(r);
  await c.ask('Action: Logoff\r\n\r\n');
  c.close();
  return ms;
};

const md5 = (user: string, secret: string, withChallenge: boolean): Case => async (port) => {
  const c = await Conn.open(port);
  await c.banner();
  const t0 = process.hrtime.bigint();
  const ch = await c.ask(`Action: Challenge\r\nAuthType: MD5\r\nUsername: ${user}\r\n\r\n`);
  const challenge = /Challenge: (\d+)/.exec(ch)![1]!;
  const t1 = process.hrtime.bigint();
  const r = await c.ask(`Action: Login\r\nAuthType: MD5\r\nUsername: ${user}\r\nKey: ${md5Key(challenge, secret)}\r\n\r\n`);
  const ms = Number(process.hrtime.bigint() - (withChallenge ? t0 : t1)) / 1e6;
  if (!r.includes('Success')) throw new Error(r);
  await c.ask('Action: Logoff\r\n\r\n');
  c.close();
  return ms;
};

async function measure(port: number, run: Case): Promise<ReturnType<Samples['summary']>> {
  for (let i = 0; i < 20; i++) await run(port); // warm-up (the first plain login pays scrypt)
  const s = new Samples();
  for (let i = 0; i < N; i++) s.add(await run(port));
  return s.summary();
}

async function main(): Promise<void> {
  const sim = await startSim({ users: [{ name: 'amigate', secret: 'upstream-secret', read: 'all', write: 'all' }] });
  const redis = await startRedis();
  const local = await proxyWith(sim.port, undefined);
  const shared = await proxyWith(sim.port, { redis: redis.url, instance: 'bench' });
  await new Promise((r) => setTimeout(r, 500));
  const cases: Array<[string, Case]> = [
    ['Login, hashed secret, repeated (no scrypt)', plainLogin],
    ['MD5 Login (after Challenge)', md5('md5', 'md5-pw', false)],
    ['MD5 Challenge + Login, allowmultiplelogin: no', md5('single', 'single-pw', true)],
  ];
  console.log(`| case (${N} sequential logins each) | without cluster p50 / p99 ms | with cluster.redis p50 / p99 ms | added at p50 |`);
  console.log('|---|---|---|---|');
  for (const [name, run] of cases) {
    // Interleaved halves, so a change in machine load hits both sides alike.
    const a = await measure(local.listeners[0]!.address.port, run);
    const b = await measure(shared.listeners[0]!.address.port, run);
    console.log(`| ${name} | ${fmt(a.p50, 3)} / ${fmt(a.p99, 3)} | ${fmt(b.p50, 3)} / ${fmt(b.p99, 3)} | ${fmt((b.p50 - a.p50) * 1000, 0)} µs |`);
  }
  await local.close();
  await shared.close();
  await sim.close();
  redis.stop();
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
