// The root pino logger (JSON lines; pino-pretty for a terminal) and the layers
// that keep secrets out of it:
//   1. redactHeaders() for AMI header lists, whose names vary in case (`Secret`,
//      `secret`, `SECRET` all reach manager.c's astman_get_header(), which
//      compares case-insensitively), applied before pino sees them;
//   2. censorSecrets() as pino's log formatter: secret-named fields at any depth
//      up to MAX_DEPTH, copy-on-write, so the caller's object is never changed;
//   3. pino `redact` for exact paths (REDACT_PATHS plus the operator's own).
// With log.file, lines go through log-file.ts (batched, bounded, reopened on
// SIGHUP). Loggers made here are marked FAST_JSON: Audit writes its per-action
// lines itself (audit-json.ts), with the same redaction as layers 1-2.
// Why not only pino wildcard paths: each `*.x` / `*.*.x` path is checked on
// every line; the 12 wildcard paths this needs cost ~30 µs per audit record
// (measured: 35 µs vs 5 µs), while the walk below costs about 1 µs.

import pino from 'pino';
import pretty from 'pino-pretty';
import { Writable } from 'node:stream';
import { LogFile, type LogFileOptions } from './log-file.js';

export const CENSOR = '[REDACTED]';

/**
 * Set on loggers from createLogger() whose lines are plain JSON with our
 * formatters and no extra redact paths: Audit may write its `action` lines
 * itself (audit-json.ts). Children inherit it (pino children are Object.create(parent)).
 */
export const FAST_JSON: unique symbol = Symbol('amigate.fastJson');

/**
 * Exact pino redact paths (no wildcards: see the header). censorSecrets()
 * already covers these names at any depth; the paths stay as a second line
 * of defence for the fields our records use.
 */
export const REDACT_PATHS: readonly string[] = [
  'secret', 'Secret', 'password', 'Password', 'Key', 'passphrase',
  'headers.Secret', 'headers.secret', 'headers.SECRET', 'headers.Key', 'headers.key', 'headers.KEY',
];

/**
 * Field names censored at any depth, exact case. Lower-case `key` is not among
 * them (config problems and many objects use `key` innocently) except directly
 * under `headers`, where every case of Secret and Key is an AMI credential.
 */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'secret', 'Secret', 'SECRET', 'password', 'Password', 'PASSWORD', 'passphrase', 'Passphrase', 'Key', 'KEY',
]);
/** Nesting censorSecrets() inspects: `record.a.b.c.d.secret` is the deepest field it censors. */
const MAX_DEPTH = 4;

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
  /** Buffering of `file` (bounds, batching); tests use small ones. @default LogFile's defaults */
  fileOptions?: Omit<LogFileOptions, 'onDropped' | 'onError'>;
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
    formatters: { level: (label) => ({ level: label }), log: (o) => censorSecrets(o) as Record<string, unknown> },
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
    // Batched, off the event loop, bounded (log-file.ts); written out on exit.
    const file = new LogFile(opts.file, {
      ...opts.fileOptions,
      onDropped: (lines, reason) => logger.error({ droppedLines: lines, reason, file: opts.file }, 'log lines dropped: the log file did not take them'),
      onError: (err) => process.stderr.write(`amigate: cannot write the log file ${opts.file}: ${err.code ?? err.message}; lines are dropped and counted (amigate_log_lines_dropped_total) until it works again\n`),
    });
    dest = file;
  } else {
    dest = pino.destination({ dest: 1, sync: true });
  }
  const logger = pino(options, dest);
  if (!opts.pretty && (opts.redact ?? []).length === 0) (logger as unknown as Record<symbol, unknown>)[FAST_JSON] = true;
  return logger;
}

/** The log file behind a logger from createLogger({ file }), if any. */
export function logFileOf(logger: pino.Logger): LogFile | undefined {
  const s = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  return s instanceof LogFile ? s : undefined;
}


function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * `value` with every SECRET_FIELDS field (and every case of Secret/Key directly
 * under `headers`) replaced by CENSOR, down to MAX_DEPTH levels, through plain
 * objects and arrays. Objects are copied only along the path to a hit, so the
 * common case (nothing secret) allocates nothing. Class instances (errors,
 * buffers, AmiMessage) are left to their serializers.
 */
export function censorSecrets(value: unknown, depth = 0, inHeaders = false): unknown {
  if (depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v !== 'object' || v === null) continue;
      const c = censorSecrets(v, depth + 1, false);
      if (c !== v) (out ??= value.slice())[i] = c;
    }
    return out ?? value;
  }
  if (!isPlain(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const k in value) {
    const v = value[k];
    let c: unknown = v;
    if (SECRET_FIELDS.has(k) || (inHeaders && ALWAYS_SENSITIVE.has(k.toLowerCase()))) {
      if (v !== undefined && v !== CENSOR) c = CENSOR;
    } else if (typeof v === 'object' && v !== null) {
      c = censorSecrets(v, depth + 1, k === 'headers');
    }
    if (c !== v) {
      // A null-prototype copy: a `__proto__` key stays data instead of setting the prototype.
      out ??= Object.assign(Object.create(null) as Record<string, unknown>, value);
      out[k] = c;
    }
  }
  return out ?? value;
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
 * The proxy passes log.sensitive compiled for the linear-time engine
 * (policy/linear-regex.ts): the values are client-supplied.
 */
export function redactHeaders(pairs: Iterable<readonly [string, string]>, sensitive: readonly SensitivePattern[] = []): HeaderObject {
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

/** A compiled log.sensitive pattern: a RegExp or a linear-time one. */
export interface SensitivePattern { test(text: string): boolean }

export function isSensitive(name: string, value: string, sensitive: readonly SensitivePattern[]): boolean {
  if (ALWAYS_SENSITIVE.has(name.toLowerCase())) return true;
  if (sensitive.length === 0) return false;
  const line = `${name}: ${value}`;
  for (const re of sensitive) {
    // A /g or /y pattern keeps lastIndex between calls; reset it so the answer never depends on history.
    if (re instanceof RegExp) re.lastIndex = 0;
    if (re.test(line)) return true;
  }
  return false;
}
