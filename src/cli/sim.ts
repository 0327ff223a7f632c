// `amigate sim`: run the simulated Asterisk 22 (src/sim) as a process, for
// manual tests, the demo and benchmarks against a separate process.
//
//   amigate sim --port 5038 [--host 127.0.0.1] [--config users.yaml]
//               [--events-per-second N] [--seed S] [--system-name X]
//               [--legacy-command] [--auth-timeout SECONDS]

import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { startSim } from '../sim/server.js';
import { parseUsersFile } from '../sim/users-file.js';
import { DEFAULT_USERS } from '../sim/users.js';
import type { CliIo, CliResult } from './types.js';
import { parseCliArgs } from './args.js';

const USAGE = 'usage: amigate sim --port N [--host 127.0.0.1] [--config users.yaml] [--events-per-second N] [--seed S] [--system-name X] [--legacy-command] [--auth-timeout SECONDS]';

function number(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min}\n${USAGE}`);
  return n;
}

export async function run(args: string[], io: CliIo): Promise<CliResult> {
  const values = parseCliArgs(args, {
    port: { type: 'string', default: '5038' },
    host: { type: 'string', default: '127.0.0.1' },
    config: { type: 'string', short: 'c' },
    'events-per-second': { type: 'string' },
    seed: { type: 'string' },
    'system-name': { type: 'string' },
    'legacy-command': { type: 'boolean', default: false },
    'auth-timeout': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  } as const, USAGE, io);
  if (values === undefined) return 0;
  const port = number('port', values.port, 0)!;
  if (!Number.isInteger(port) || port > 65535) throw new UsageError(`--port must be 0..65535\n${USAGE}`);
  const users = values.config ? parseUsersFile(await readFile(values.config, 'utf8'), values.config) : [...DEFAULT_USERS];
  const authTimeout = number('auth-timeout', values['auth-timeout'], 1);
  const sim = await startSim({
    port,
    host: values.host!,
    users,
    eventsPerSecond: number('events-per-second', values['events-per-second'], 0) ?? 0,
    seed: number('seed', values.seed, 0) ?? 1,
    systemName: values['system-name'],
    legacyCommand: values['legacy-command'],
    ...(authTimeout !== undefined ? { authTimeoutMs: authTimeout * 1000 } : {}),
  });
  io.stdout.write(`amigate sim: simulated Asterisk 22 (AMI 11.0.0) listening on ${values.host}:${sim.port}\n` +
    `  users: ${users.map((u) => u.name).join(', ')}\n`);
  return { close: () => sim.close() };
}
