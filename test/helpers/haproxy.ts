// startHaproxy(t, config): Debian's real haproxy in the foreground (-db) with
// a configuration the test writes, stopped with the test. `config` is the
// text after the global/defaults sections this helper writes itself; use
// `${name}` placeholders of your own and fill them in before calling. Every
// address must be 127.0.0.1. .ci/run installs haproxy when it is missing.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { waitForPort } from './free-port.js';

export const HAPROXY = process.env['AMIGATE_TEST_HAPROXY'] ?? '/usr/sbin/haproxy';

export const HAPROXY_PREAMBLE = `global
  log stderr format raw local0 warning
  maxconn 2000
defaults
  log global
  mode tcp
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h
`;

export interface HaproxyHarness {
  /** The configuration file written (for error messages). */
  readonly file: string;
  stop(): Promise<void>;
  output(): string;
}

/** Start haproxy with PREAMBLE + `body`; waits until every port in `ports` accepts. */
export async function startHaproxy(t: Test, body: string, ports: number[]): Promise<HaproxyHarness> {
  const dir = t.testdir({});
  const file = join(dir, 'haproxy.cfg');
  await writeFile(file, HAPROXY_PREAMBLE + body);
  const check = spawn(HAPROXY, ['-c', '-q', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let checkOut = '';
  check.stdout!.setEncoding('utf8').on('data', (d: string) => { checkOut += d; });
  check.stderr!.setEncoding('utf8').on('data', (d: string) => { checkOut += d; });
  const code = await new Promise<number | null>((resolve) => check.once('exit', resolve));
  if (code !== 0) throw new Error(`haproxy -c refused ${file}: ${checkOut}`);
  let out = '';
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  let running = true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => { running = false; resolve(); }));
  const h: HaproxyHarness = {
    file,
    async stop() {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
    output: () => out,
  };
  t.teardown(() => h.stop());
  for (const p of ports) await waitForPort(p, 10_000, `haproxy on ${p} (${out})`);
  return h;
}
