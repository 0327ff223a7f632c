// `amigate check --config FILE`: validate a configuration without starting
// anything. Exit 0 and "ok" (plus any warnings), or exit 1 and every problem
// as `file:line: key: message`. Each TLS listener's certificate, key and CA
// are loaded exactly as the start loads them (tls/listener-tls.ts: readable,
// PEM, the key matches the certificate, OpenSSL takes them with the configured
// ciphers), and a certificate that expires within 30 days is warned about.

import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import type { LoadedConfig } from '../config/schema.js';
import { loadListenerTls } from '../tls/listener-tls.js';
import { ConfigInvalidError, TlsError, UsageError } from '../errors.js';
import type { CliIo, CliResult } from './types.js';

/** A certificate closer than this to its end is warned about. */
export const EXPIRY_WARNING_DAYS = 30;

export async function run(args: string[], io: CliIo, now: () => Date = () => new Date()): Promise<CliResult> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  if (!values.config) throw new UsageError('usage: amigate check --config FILE');
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig(values.config, io.env);
  } catch (err) {
    if (!(err instanceof ConfigInvalidError)) throw err;
    for (const p of err.problems) io.stderr.write(`${p.file}:${p.line ?? '?'}: ${p.key}: ${p.message}\n`);
    io.stderr.write(`amigate: ${err.problems.length} problem(s) in ${values.config}\n`);
    return 1;
  }
  const { config } = loaded;
  const warnings = [...loaded.warnings];
  const problems: string[] = [];
  const at = (key: string) => `${config.file}:${loaded.lineOf(key) ?? '?'}`;
  for (const [i, l] of config.listeners.entries()) {
    if (!l.tls) continue;
    try {
      const { notAfter, subject } = await loadListenerTls(l, i);
      const days = Math.floor((notAfter.getTime() - now().getTime()) / 86_400_000);
      const key = `listeners[${i}].tls.certfile`;
      if (notAfter.getTime() <= now().getTime()) {
        warnings.push(`${at(key)}: ${key}: listener ${JSON.stringify(l.name)}: certificate ${subject} expired on ${notAfter.toISOString()}; clients will refuse it`);
      } else if (days < EXPIRY_WARNING_DAYS) {
        warnings.push(`${at(key)}: ${key}: listener ${JSON.stringify(l.name)}: certificate ${subject} expires in ${days} day(s), on ${notAfter.toISOString()}`);
      }
    } catch (err) {
      if (!(err instanceof TlsError) || err.key === undefined) throw err;
      problems.push(`${at(err.key)}: ${err.message}`);
    }
  }
  if (problems.length > 0) {
    for (const p of problems) io.stderr.write(`${p}\n`);
    io.stderr.write(`amigate: ${problems.length} problem(s) in ${values.config}\n`);
    return 1;
  }
  const users = Object.keys(config.users).length;
  io.stdout.write(`ok: ${config.file}: ${config.listeners.length} listener(s), ${config.upstreams.length} upstream(s), ${users} user(s)\n`);
  for (const w of warnings) io.stdout.write(`warning: ${w}\n`);
  return 0;
}
