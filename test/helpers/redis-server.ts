// startRedis(t): Debian's real redis-server on a free loopback port, no
// persistence, stopped with the test. stop() and restart() (same port) let a
// test take Redis away mid-run and bring it back. .ci/run installs the
// package when it is missing; without it the test fails, it does not skip.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Test } from 'tap';
import { freePort, waitForPort } from './free-port.js';

export const REDIS_SERVER = process.env['AMIGATE_TEST_REDIS_SERVER'] ?? '/usr/bin/redis-server';

export interface RedisHarness {
  readonly port: number;
  /** redis://127.0.0.1:port */
  readonly url: string;
  /** Kill the server (SIGKILL: nothing is saved) and wait for it to exit. */
  stop(): Promise<void>;
  /** Start it again on the same port, empty. */
  restart(): Promise<void>;
  readonly running: boolean;
}

export async function startRedis(t: Test): Promise<RedisHarness> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const launch = async (): Promise<void> => {
    const c = spawn(REDIS_SERVER, [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'warning',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child = c;
    exited = new Promise<void>((resolve) => c.once('exit', () => { if (child === c) child = undefined; resolve(); }));
    c.once('error', () => { /* reported by waitForPort below */ });
    await waitForPort(port, 10_000, `redis-server on ${port} ${stderr}`);
  };
  await launch();
  const h: RedisHarness = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const c = child;
      if (!c) return;
      c.kill('SIGKILL');
      await exited;
    },
    async restart() {
      await h.stop();
      await launch();
    },
    get running() { return child !== undefined; },
  };
  t.teardown(() => h.stop());
  return h;
}
