// `amigate [start] --config FILE [--pretty]`: run the proxy until a signal.
// SIGHUP (via main.ts) reopens log.file (logrotate) and reloads the config;
// an invalid file is rejected with a clear log line and the running
// configuration stays in force. SIGTERM drains (readyz 503 for
// general.drainreadydelay, then stop accepting...; a second SIGTERM skips the
// delay), then writes out the log.

import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { createProxy } from '../proxy.js';
import { createLogger, logFileOf } from '../observability/logger.js';
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
  const logFile = logFileOf(logger);
  return {
    // Every line written before the process exits: the audit of the drain included.
    close: async (reason) => {
      await proxy.close(reason);
      await logFile?.stop();
    },
    // A second SIGTERM during the drain's ready delay: stop accepting now (drain.ts).
    hurry: (reason) => { void proxy.close(reason); },
    reload: async () => {
      // logrotate: the file is reopened first, so the reload's own lines go to the new one; nothing buffered is lost.
      logFile?.reopen();
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
