// Audit records: one builder per record type, fixed field names (docs/audit.md
// is the reference and a test keeps the two in step), and the Audit class that
// writes them through a pino child logger bound to `stream: "audit"`. Builders
// are pure so tests and docs can show exact records. Client-supplied strings
// (usernames, ActionIDs, header values) are bounded in length; Secret and Key
// are censored here, by header name in any case, before pino's redaction.

import pino from 'pino';
import { FAST_JSON, redactHeaders, type HeaderObject, type SensitivePattern } from './logger.js';
import { MAX_ID, actionMembers, clip, isoTime, ms } from './audit-json.js';

export type AuditType =
  | 'connectionOpened' | 'connectionRejected' | 'tlsHandshake'
  | 'loginSucceeded' | 'loginFailed' | 'sessionClosed' | 'action'
  | 'slowConsumerDropped' | 'upstreamUp' | 'upstreamDown' | 'eventDelivered';

/**
 * Why a login failed. For the operator only: like manager.c authenticate(),
 * the client gets the same `Authentication failed` for an unknown user, an ACL
 * rejection or a bad secret (ami-spec S8); session-limit answers `Login Already
 * In Use` (S10).
 */
export type LoginFailureReason = 'unknown-user' | 'bad-secret' | 'acl' | 'lockout' | 'session-limit' | 'certificate' | 'cluster-unavailable';
export const LOGIN_FAILURE_REASONS: readonly LoginFailureReason[] = ['unknown-user', 'bad-secret', 'acl', 'lockout', 'session-limit', 'certificate', 'cluster-unavailable'];

export type ActionResult = 'success' | 'error' | 'denied' | 'timeout' | 'upstream-lost';

/** Identifies the downstream connection. `remote` is `ip:port` as the listener saw it. */
export interface SessionFields {
  session: number | string;
  remote: string;
  listener: string;
  /** The authenticated user; for loginFailed, the username the client sent. */
  user?: string | undefined;
}

export interface TlsFields {
  protocol: string | null | undefined;
  cipher: string | null | undefined;
  /** Client certificate subject (`CN=…,O=…`), absent without one. */
  subject?: string | null | undefined;
  fingerprint256?: string | null | undefined;
  authorized?: boolean | undefined;
}

export interface ActionFields extends SessionFields {
  action: string;
  /** The client's header pairs (AmiMessage.entries()); selected and redacted here. */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** The client's raw header lines (AmiMessage.lines), read like entries(); used instead of `headers` when given. */
  lines?: readonly string[];
  /** The client's own ActionID; taken from `headers` when not given. */
  actionId?: string | undefined;
  result: ActionResult | (string & {});
  /** The policy rule that denied it. */
  rule?: string | undefined;
  upstream?: string | undefined;
  latencyMs: number;
  upstreamMs?: number | undefined;
  /** Error text for result error/timeout/upstream-lost. */
  reason?: string | undefined;
}

export interface AuditRecord {
  audit: AuditType;
  [field: string]: unknown;
}

export interface AuditOptions {
  /**
   * Action headers to keep, case-insensitive; `undefined` keeps every header.
   * `Action` and `ActionID` are never in `headers` (they have their own fields).
   * @default undefined
   */
  headers?: readonly string[] | undefined;
  /** Extra sensitive header patterns, tested against `Name: value`. @default [] */
  sensitive?: readonly SensitivePattern[];
  /** Header values longer than this are cut, with `…[+N]` appended. @default 256 */
  maxValueLength?: number;
  /** At most this many headers per action record; the rest are counted in `headersOmitted`. @default 32 */
  maxHeaders?: number;
  /** Which action records to write: every one, only denied ones, or none. @default 'all' */
  actions?: 'all' | 'denied' | 'none';
}

/** Session fields in a fixed order, optional ones only when present. */
function base(type: AuditType, f: SessionFields): AuditRecord {
  const r: AuditRecord = { audit: type, session: f.session };
  if (f.user !== undefined) r['user'] = clip(f.user, MAX_ID);
  r['remote'] = f.remote;
  r['listener'] = f.listener;
  return r;
}

/** `proxy`: the load balancer's `ip:port` when `remote` came from its PROXY header. */
export function connectionOpened(f: SessionFields & { proxy?: string | undefined }): AuditRecord {
  const r = base('connectionOpened', f);
  if (f.proxy !== undefined) r['proxy'] = f.proxy;
  return r;
}

/** A connection refused before a session existed (limits, failed TLS handshake, PROXY header). */
export function connectionRejected(f: { remote: string; listener: string; reason: string; proxy?: string | undefined }): AuditRecord {
  const r: AuditRecord = { audit: 'connectionRejected', remote: f.remote, listener: f.listener, reason: f.reason };
  if (f.proxy !== undefined) r['proxy'] = f.proxy;
  return r;
}

export function tlsHandshake(f: SessionFields & { tls: TlsFields }): AuditRecord {
  const r = base('tlsHandshake', f);
  const tls: Record<string, unknown> = { protocol: f.tls.protocol ?? null, cipher: f.tls.cipher ?? null, subject: f.tls.subject ?? null };
  if (f.tls.fingerprint256) tls['fingerprint256'] = f.tls.fingerprint256;
  if (f.tls.authorized !== undefined) tls['authorized'] = f.tls.authorized;
  r['tls'] = tls;
  return r;
}

export function loginSucceeded(f: SessionFields & { user: string; authType?: 'plain' | 'md5' }): AuditRecord {
  const r = base('loginSucceeded', f);
  if (f.authType) r['authType'] = f.authType;
  r['result'] = 'success';
  return r;
}

export function loginFailed(f: SessionFields & { reason: LoginFailureReason | (string & {}) }): AuditRecord {
  const r = base('loginFailed', f);
  r['result'] = 'denied';
  r['reason'] = f.reason;
  return r;
}

export function sessionClosed(f: SessionFields & { cause: string; durationMs: number }): AuditRecord {
  const r = base('sessionClosed', f);
  r['cause'] = f.cause;
  r['durationMs'] = Math.round(f.durationMs);
  return r;
}

export function slowConsumerDropped(f: SessionFields & { queuedBytes: number; reason: string }): AuditRecord {
  const r = base('slowConsumerDropped', f);
  r['queuedBytes'] = f.queuedBytes;
  r['reason'] = f.reason;
  return r;
}

/** One event queued to a session of a user with `logevents: true`: its name and class, never its body. */
export function eventDelivered(f: SessionFields & { event: string; privilege?: string | undefined }): AuditRecord {
  const r = base('eventDelivered', f);
  r['event'] = clip(f.event, MAX_ID);
  if (f.privilege !== undefined) r['privilege'] = clip(f.privilege, MAX_ID);
  return r;
}

export function upstreamUp(f: { upstream: string }): AuditRecord {
  return { audit: 'upstreamUp', upstream: f.upstream };
}

export function upstreamDown(f: { upstream: string; reason?: string | undefined }): AuditRecord {
  const r: AuditRecord = { audit: 'upstreamDown', upstream: f.upstream };
  if (f.reason !== undefined) r['reason'] = f.reason;
  return r;
}

export function action(f: ActionFields, opts: AuditOptions = {}): AuditRecord {
  const r = base('action', f);
  r['action'] = clip(f.action, MAX_ID);
  let actionId = f.actionId;
  const kept: Array<readonly [string, string]> = [];
  let omitted = 0;
  const allow = opts.headers ? new Set(opts.headers.map((h) => h.toLowerCase())) : undefined;
  const maxHeaders = opts.maxHeaders ?? 32;
  const maxValue = opts.maxValueLength ?? 256;
  for (const [name, value] of f.lines ? linePairs(f.lines) : f.headers ?? []) {
    const lower = name.toLowerCase();
    if (lower === 'action') continue;
    if (lower === 'actionid') { actionId ??= value; continue; }
    if (allow && !allow.has(lower)) continue;
    if (kept.length >= maxHeaders) { omitted++; continue; }
    kept.push([name, value]);
  }
  if (actionId !== undefined) r['actionId'] = clip(actionId, MAX_ID);
  // Redact on the full value (a pattern may look past the cut), then cut.
  const headers: HeaderObject = redactHeaders(kept, opts.sensitive ?? []);
  for (const k of Object.keys(headers)) {
    const v = headers[k]!;
    headers[k] = Array.isArray(v) ? v.map((x) => clip(x, maxValue)) : clip(v, maxValue);
  }
  r['headers'] = headers;
  if (omitted > 0) r['headersOmitted'] = omitted;
  if (f.upstream !== undefined) r['upstream'] = f.upstream;
  r['result'] = f.result;
  if (f.rule !== undefined) r['rule'] = f.rule;
  if (f.reason !== undefined) r['reason'] = f.reason;
  r['latencyMs'] = ms(f.latencyMs);
  if (f.upstreamMs !== undefined) r['upstreamMs'] = ms(f.upstreamMs);
  return r;
}

/** `Name: value` lines as AmiMessage.entries() reads them: lines without a name skipped, leading blanks of the value skipped. */
function* linePairs(lines: readonly string[]): Iterable<readonly [string, string]> {
  for (const l of lines) {
    const c = l.indexOf(':');
    if (c <= 0) continue;
    let j = c + 1;
    while (j < l.length && l.charCodeAt(j) < 33) j++;
    yield [l.slice(0, c), l.slice(j)];
  }
}

const MESSAGES: Record<AuditType, string> = {
  'connectionOpened': 'connection opened',
  'connectionRejected': 'connection rejected',
  'tlsHandshake': 'TLS handshake completed',
  'loginSucceeded': 'login succeeded',
  'loginFailed': 'login failed',
  'sessionClosed': 'session closed',
  action: 'action',
  'slowConsumerDropped': 'slow consumer dropped',
  'upstreamUp': 'upstream up',
  'upstreamDown': 'upstream down',
  'eventDelivered': 'event delivered',
};

/**
 * Writes audit records on a child logger bound to `stream: "audit"`. On a
 * logger from createLogger() (JSON lines, our formatters), `action` records,
 * one per action, skip pino's object walk: audit-json.ts builds the same line
 * and it goes to the same destination, in order with every other line.
 */
export class Audit {
  readonly logger: pino.Logger;
  private opts: AuditOptions;
  private readonly fast: { stream: pino.DestinationStream; bindings: string } | undefined;

  constructor(logger: pino.Logger, opts: AuditOptions = {}) {
    this.logger = logger.child({ stream: 'audit' });
    this.opts = opts;
    const l = this.logger as unknown as Record<symbol, unknown>;
    this.fast = l[FAST_JSON] === true
      ? { stream: l[pino.symbols.streamSym] as pino.DestinationStream, bindings: l[pino.symbols.chindingsSym] as string }
      : undefined;
  }

  /** Replace the options (log.auditheaders, log.auditactions, log.sensitive on a config reload); the next record uses them. */
  configure(opts: AuditOptions): void {
    this.opts = opts;
  }

  private write(level: 'info' | 'warn', r: AuditRecord): void {
    this.logger[level](r, MESSAGES[r.audit]);
  }

  connectionOpened(f: SessionFields & { proxy?: string | undefined }): void { this.write('info', connectionOpened(f)); }
  connectionRejected(f: { remote: string; listener: string; reason: string; proxy?: string | undefined }): void { this.write('warn', connectionRejected(f)); }
  tlsHandshake(f: SessionFields & { tls: TlsFields }): void { this.write('info', tlsHandshake(f)); }
  loginSucceeded(f: SessionFields & { user: string; authType?: 'plain' | 'md5' }): void { this.write('info', loginSucceeded(f)); }
  loginFailed(f: SessionFields & { reason: LoginFailureReason | (string & {}) }): void { this.write('warn', loginFailed(f)); }
  sessionClosed(f: SessionFields & { cause: string; durationMs: number }): void { this.write('info', sessionClosed(f)); }
  slowConsumerDropped(f: SessionFields & { queuedBytes: number; reason: string }): void { this.write('warn', slowConsumerDropped(f)); }
  upstreamUp(f: { upstream: string }): void { this.write('info', upstreamUp(f)); }
  eventDelivered(f: SessionFields & { event: string; privilege?: string | undefined }): void { this.write('info', eventDelivered(f)); }
  upstreamDown(f: { upstream: string; reason?: string | undefined }): void { this.write('warn', upstreamDown(f)); }

  /** Would an action record with this result be written? Lets the hot path skip building one. */
  wantsAction(result: string): boolean {
    const mode = this.opts.actions ?? 'all';
    if (mode === 'none' || (mode === 'denied' && result !== 'denied')) return false;
    return this.logger.isLevelEnabled(result === 'denied' ? 'warn' : 'info');
  }

  action(f: ActionFields): void {
    if (!this.wantsAction(f.result)) return;
    const level = f.result === 'denied' ? 'warn' : 'info';
    if (this.fast === undefined) { this.write(level, action(f, this.opts)); return; }
    this.fast.stream.write(`{"level":"${level}","time":"${isoTime()}"${this.fast.bindings},"audit":"action"${actionMembers(f, this.opts, f.lines)},"msg":"action"}\n`);
  }
}
