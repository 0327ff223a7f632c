// The audit settings of `log:` (sensitive patterns compiled on the linear-time
// engine, header and action selection), built the same way at start and on
// every reload (proxy.ts).

import type { LogConfig } from '../config/schema.js';
import { compileLinearRegex } from '../policy/linear-regex.js';
import type { AuditOptions } from './audit.js';

export function auditOptions(log: LogConfig): AuditOptions {
  return {
    sensitive: log.sensitive.map((src) => compileLinearRegex(src, { ignoreCase: true })),
    headers: log.auditheaders ?? undefined,
    actions: log.auditactions,
  };
}
