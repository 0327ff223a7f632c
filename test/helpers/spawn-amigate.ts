// spawnAmigate(t, yamlText): amigate as a real process (src/main.ts under
// tap's TypeScript loader), for tests that kill or signal an instance. Its
// JSON log lines are collected; the ports of its listeners (port 0 in the
// file) and admin server are read from its 'listening' lines. Killed with
// SIGKILL at teardown if it is still running.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { waitUntil } from './start-proxy.js';

const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript') || a === '--enable-source-maps');

export interface SpawnedAmigate {
  readonly pid: number;
  /** The config file it was started with (rewrite it, then SIGHUP, to reload). */
  readonly file: string;
  /** JSON log lines so far. */
  readonly lines: Array<Record<string, unknown>>;
  stderr(): string;
  /** Port of the listener named `name`. */
  portOf(name: string): number;
  /** The admin server's port (when the config has `admin:`). */
  readonly adminPort: number | undefined;
  /** Exit code (null: killed by a signal); undefined while running. */
  readonly exitCode: number | null | undefined;
  readonly exited: Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  /** The first log line `pred` accepts, waiting up to `ms`. */
  logged(pred: (l: Record<string, unknown>) => boolean, what: string, ms?: number): Promise<Record<string, unknown>>;
}

export async function spawnAmigate(t: Test, yaml: string, opts: { name?: string; env?: NodeJS.ProcessEnv } = {}): Promise<SpawnedAmigate> {
  const dir = t.testdir({});
  const file = join(dir, `${opts.name ?? 'amigate'}.yaml`);
  await writeFile(file, yaml);
  const child = spawn(process.execPath, [...loader, 'src/main.ts', '--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.on('exit', (code) => { exitCode = code; resolve(); }));
  t.teardown(async () => {
    if (exitCode === undefined) { child.kill('SIGKILL'); await exited; }
  });
  const lines: Array<Record<string, unknown>> = [];
  let err = '';
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try { lines.push(JSON.parse(line) as Record<string, unknown>); } catch { /* not JSON */ }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const logged = async (pred: (l: Record<string, unknown>) => boolean, what: string, ms = 20_000) => {
    await waitUntil(() => lines.some(pred) || exitCode !== undefined, ms, what);
    const found = lines.find(pred);
    if (!found) throw new Error(`${what}: amigate ended (${exitCode}) ${err}`);
    return found;
  };
  // The admin server starts after every listener, so its line means all are up.
  const hasAdmin = /^admin:/m.test(yaml);
  if (hasAdmin) await logged((l) => l['msg'] === 'admin listening', 'admin listening');
  else await logged((l) => l['msg'] === 'listening', 'listening');
  const admin = lines.find((l) => l['msg'] === 'admin listening');
  const adminPort = admin ? Number(String(admin['admin']).split(':').pop()) : undefined;
  return {
    pid: child.pid!,
    file,
    lines,
    stderr: () => err,
    portOf(name) {
      const l = lines.find((x) => x['msg'] === 'listening' && x['listener'] === name);
      if (!l) throw new Error(`no listener ${name} in the log`);
      return (l['address'] as { port: number }).port;
    },
    adminPort,
    get exitCode() { return exitCode; },
    exited,
    kill: (signal = 'SIGTERM') => { child.kill(signal); },
    logged,
  };
}

/**
 * runAmigate(t, configPath): amigate as a real process on a config file the
 * test wrote itself, stdout ignored (for tests that read `log.file` instead of
 * the process's output). Killed with SIGKILL at teardown if still running.
 */
export function runAmigate(t: Test, config: string): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [...loader, 'src/main.ts', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => { code = c; resolve(c); }));
  t.teardown(() => { if (code === undefined) child.kill('SIGKILL'); });
  return { child, exited, stderr: () => err };
}
