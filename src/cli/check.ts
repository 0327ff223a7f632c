// `amigate check --config FILE`: validate a configuration without starting
// anything. Exit 0 and "ok" (plus any warnings), or exit 1 and every problem
// as `file:line: key: message`. Certificate files are not opened here (the
// listener opens them at start), so a config can be checked before deployment.

import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { ConfigInvalidError, UsageError } from '../errors.js';
import type { CliIo, CliResult } from './types.js';

export async function run(args: string[], io: CliIo): Promise<CliResult> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  if (!values.config) throw new UsageError('usage: amigate check --config FILE');
  try {
    const { config, warnings } = await loadConfig(values.config, io.env);
    const users = Object.keys(config.users).length;
    io.stdout.write(`ok: ${config.file}: ${config.listeners.length} listener(s), ${config.upstreams.length} upstream(s), ${users} user(s)\n`);
    for (const w of warnings) io.stdout.write(`warning: ${w}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigInvalidError)) throw err;
    for (const p of err.problems) io.stderr.write(`${p.file}:${p.line ?? '?'}: ${p.key}: ${p.message}\n`);
    io.stderr.write(`amigate: ${err.problems.length} problem(s) in ${values.config}\n`);
    return 1;
  }
}
