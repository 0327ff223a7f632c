// `amigate [start] --config FILE [--pretty]`: run the proxy until a signal.
// SIGHUP (via main.ts) reloads the file; an invalid file is rejected with a
// clear log line and the running configuration stays in force.

import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { createProxy } from '../proxy.js';
import { createLogger } from '../observability/logger.js';
import { TlsError, UsageError } from '../errors.js';
import type { CliIo, CliResult } from './types.js';

export async function run(args: string[], io: CliIo): Promise<CliResult> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, pretty: { type: 'boolean', default: false } } });
  if (!values.config) throw new UsageError('amigate start needs --config FILE');
  const file = values.config;
  const loaded = await loadConfig(file, io.env);
  const { config, warnings } = loaded;
  const logger = createLogger({ level: config.log.level, ...(config.log.file ? { file: config.log.file } : {}), pretty: values.pretty || config.log.pretty });
  for (const w of warnings) logger.warn(w);
  const proxy = await createProxy(config, { logger }).catch((err: unknown) => {
    // A listener's certificate or key (read before any upstream is contacted): one line, with file:line.
    if (err instanceof TlsError && err.key !== undefined) throw new TlsError(`${config.file}:${loaded.lineOf(err.key) ?? '?'}: ${err.message}`, { key: err.key, cause: err });
    throw err;
  });
  return {
    close: (reason) => proxy.close(reason),
    reload: async () => {
      try {
        const next = await loadConfig(file, io.env);
        for (const w of next.warnings) logger.warn(w);
        await proxy.reload(next.config);
      } catch (err) {
        logger.error({ err }, 'reload rejected; the running configuration stays in force');
      }
    },
  };
}
