// The root pino logger (JSON lines; pino-pretty for a terminal) and the two
// layers that keep secrets out of it: pino `redact` paths for the field names
// our records use, and redactHeaders() for AMI header lists, whose names vary
// in case (`Secret`, `secret`, `SECRET` all reach manager.c's astman_get_header,
// which compares case-insensitively), so they are censored before pino sees them.

import pino from 'pino';
import pretty from 'pino-pretty';
import { Writable } from 'node:stream';

export const CENSOR = '[REDACTED]';

/**
 * pino redact paths (fast-redact syntax, exact case). They cover the names
 * amigate's own records use; AMI headers go through redactHeaders() first.
 */
export const REDACT_PATHS: readonly string[] = [
  'secret', 'Secret', 'password', 'Password', 'Key', 'passphrase',
  '*.secret', '*.Secret', '*.password', '*.Password', '*.Key', '*.passphrase',
  '*.*.secret', '*.*.Secret', '*.*.password', '*.*.Password', '*.*.Key', '*.*.passphrase',
  'headers.key', 'headers.SECRET', 'headers.KEY',
  'upstreams[*].secret', 'config.upstreams[*].secret',
];

/** AMI headers that always carry a credential: Login's Secret and its MD5 Key (ami-spec S8, S9). */
const ALWAYS_SENSITIVE = new Set(['secret', 'key']);

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggerOptions {
  /** @default 'info' */
  level?: LogLevel | string;
  /** Append JSON lines to this file (created with its directory) instead of stdout. @default undefined */
  file?: string;
  /** Human-readable output via pino-pretty (for a terminal, not for log shippers). @default false */
  pretty?: boolean;
  /** Write here instead (tests, custom transports). Takes precedence over `file`. @default undefined */
  destination?: pino.DestinationStream;
  /** More redact paths, added to REDACT_PATHS. @default [] */
  redact?: readonly string[];
  /** `name` field on every line. @default 'amigate' */
  name?: string;
}

/** An object with `entries()`, i.e. an AmiMessage, without importing the protocol layer's class. */
interface HasEntries { entries(): Array<[string, string]> }

function isHasEntries(v: unknown): v is HasEntries {
  return typeof v === 'object' && v !== null && typeof (v as HasEntries).entries === 'function' && !(v instanceof Map);
}

/** Serializer for fields that may hold an AmiMessage: its headers, redacted. */
function amiSerializer(v: unknown): unknown {
  return isHasEntries(v) ? redactHeaders(v.entries(), []) : v;
}

export function createLogger(opts: LoggerOptions = {}): pino.Logger {
  const options: pino.LoggerOptions = {
    name: opts.name ?? 'amigate',
    level: opts.level ?? 'info',
    // ISO time and level labels: audit lines are read by people and SIEMs, not only by pino tools.
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS, ...(opts.redact ?? [])], censor: CENSOR },
    serializers: {
      err: pino.stdSerializers.err,
      error: pino.stdSerializers.err,
      ami: amiSerializer,
      packet: amiSerializer,
    },
  };
  let dest: pino.DestinationStream;
  if (opts.destination) {
    dest = opts.pretty ? pretty({ destination: asWritable(opts.destination), colorize: false, sync: true }) : opts.destination;
  } else if (opts.pretty) {
    // Synchronous, in-process: a transport's worker thread can lose the last lines on exit.
    dest = pretty({
      destination: opts.file ?? 1,
      mkdir: opts.file !== undefined,
      colorize: opts.file === undefined && pretty.isColorSupported,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,name',
      sync: true,
    });
  } else if (opts.file !== undefined) {
    // Asynchronous writes (no buffering delay); pino's destination flushes on exit.
    dest = pino.destination({ dest: opts.file, mkdir: true, sync: false });
  } else {
    dest = pino.destination({ dest: 1, sync: true });
  }
  return pino(options, dest);
}

/** pino accepts any `{ write(s) }`; pino-pretty pipes, so it needs a real stream. */
function asWritable(d: pino.DestinationStream): NodeJS.WritableStream {
  if (d instanceof Writable) return d;
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) { d.write(chunk.toString()); cb(); },
  });
}

export type HeaderObject = Record<string, string | string[]>;

/**
 * AMI header pairs → a plain object for a log record. Repeated headers (e.g.
 * `Variable:`) become arrays, in order. The value of `Secret` and `Key` in any
 * case, and of every header whose `Name: value` line matches one of `sensitive`
 * (e.g. `/^Variable:\s*\w*(PASS|SECRET|TOKEN)/i`), is replaced by `[REDACTED]`.
 * The result has no prototype, so a header named `__proto__` is just a key.
 */
export function redactHeaders(pairs: Iterable<readonly [string, string]>, sensitive: readonly RegExp[] = []): HeaderObject {
  const out: HeaderObject = Object.create(null) as HeaderObject;
  for (const [name, raw] of pairs) {
    const value = isSensitive(name, raw, sensitive) ? CENSOR : raw;
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}

export function isSensitive(name: string, value: string, sensitive: readonly RegExp[]): boolean {
  if (ALWAYS_SENSITIVE.has(name.toLowerCase())) return true;
  if (sensitive.length === 0) return false;
  const line = `${name}: ${value}`;
  for (const re of sensitive) {
    // A /g or /y pattern keeps lastIndex between calls; reset it so the answer never depends on history.
    re.lastIndex = 0;
    if (re.test(line)) return true;
  }
  return false;
}
