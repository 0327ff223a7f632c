// captureLogger(opts): a real amigate logger (createLogger: same redaction,
// serializers and formatters) whose JSON lines are kept in memory, so tests
// assert on parsed objects (pino test/helper.js sink()) and can also search
// the raw text for anything that must never be logged.

import type pino from 'pino';
import { createLogger, type LoggerOptions } from '../../src/observability/logger.js';

export type LogLine = Record<string, unknown>;

export interface LogCapture {
  logger: pino.Logger;
  /** Every line so far, parsed. */
  lines(): LogLine[];
  /** Lines whose fields match all of `fields` (shallow ===). */
  find(fields: Record<string, unknown>): LogLine[];
  /** Everything written, exactly as pino wrote it. */
  raw(): string;
  clear(): void;
}

/** A pino destination that keeps each written line. pino writes one whole line per write() call. */
export class LineSink implements pino.DestinationStream {
  readonly chunks: string[] = [];
  write(s: string): void { this.chunks.push(s); }
}

export function captureLogger(opts: Omit<LoggerOptions, 'destination' | 'file'> = {}): LogCapture {
  const sink = new LineSink();
  const logger = createLogger({ level: 'debug', ...opts, destination: sink });
  const lines = (): LogLine[] => sink.chunks.join('').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as LogLine);
  return {
    logger,
    lines,
    find: (fields) => lines().filter((l) => Object.entries(fields).every(([k, v]) => l[k] === v)),
    raw: () => sink.chunks.join(''),
    clear: () => { sink.chunks.length = 0; },
  };
}
