// HTTP sessions of AMI over HTTP: the `mansession_id` cookie and the state the
// transport keeps behind it, with idle expiry (manager.conf `httptimeout`,
// default 60 s) and a bound on how many exist.
//
//   create(kind, value)  a new session; id = 128 random bits as 32 hex digits
//   get(id, kind)        the live session of that kind, or undefined (unknown, expired, other kind)
//   touch(s)             a request was answered: the idle clock restarts
//   hold(s)/release(s)   a request (a long-polling WaitEvent) is running: never expires meanwhile
//   end(s)               the owner ends it (Logoff, failed login): no hook call
//   onExpire(s, reason)  called for 'idle' / 'evicted' / 'shutdown' so the owner
//                        cleans up (events, filters, pending actions) and audits
//
// Stronger than Asterisk (manager.c generic_http_callback()), which uses 32-bit
// ids (`%08x` of ast_random()): here 128 bits from crypto.randomBytes, and the
// cookie carries HttpOnly, SameSite=Strict, and Secure on TLS listeners.
// Unauthenticated sessions live `unauthenticatedTimeoutMs` (Asterisk: 5 s).
// When the store is full a new session evicts the oldest unauthenticated one;
// with none to evict, create() returns undefined (the transport answers 503).
// Digest sessions ('digest') are never found by a cookie lookup ('cookie').

import { randomBytes } from 'node:crypto';

export type HttpSessionKind = 'cookie' | 'digest';
export type HttpSessionEndReason = 'idle' | 'evicted' | 'shutdown';

export interface HttpSession<T> {
  readonly id: string;
  readonly kind: HttpSessionKind;
  readonly value: T;
  readonly createdAt: number;
  /** Set by markAuthenticated() (a successful Login or Digest). */
  authenticated: boolean;
  /** When the idle clock last restarted. */
  lastSeen: number;
  /** Requests running on it now (hold()/release()). */
  holds: number;
}

export interface HttpSessionStoreOptions<T> {
  /** httptimeout in ms: an authenticated session idle this long expires. @default 60000 */
  readonly idleTimeoutMs?: number;
  /** An unauthenticated session's lifetime (Asterisk: 5 s, or httptimeout when that is shorter). @default min(5000, idleTimeoutMs) */
  readonly unauthenticatedTimeoutMs?: number;
  /** @default 1000 */
  readonly maxSessions?: number;
  /** How often expired sessions are swept; 0 = never by timer (tests call sweep()). @default 1000 */
  readonly sweepIntervalMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  readonly onExpire?: (session: HttpSession<T>, reason: HttpSessionEndReason) => void;
}

const ID = /^[0-9a-f]{32}$/;

/** A fresh session id: 128 random bits, lower-case hex. */
export function newSessionId(): string {
  return randomBytes(16).toString('hex');
}

export class HttpSessionStore<T> {
  private readonly sessions = new Map<string, HttpSession<T>>();
  private readonly idleMs: number;
  private readonly unauthMs: number;
  private readonly max: number;
  private readonly now: () => number;
  private readonly onExpire: ((s: HttpSession<T>, reason: HttpSessionEndReason) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: HttpSessionStoreOptions<T> = {}) {
    this.idleMs = opts.idleTimeoutMs ?? 60_000;
    this.unauthMs = opts.unauthenticatedTimeoutMs ?? Math.min(5000, this.idleMs);
    this.max = Math.max(1, opts.maxSessions ?? 1000);
    this.now = opts.now ?? Date.now;
    this.onExpire = opts.onExpire;
    const every = opts.sweepIntervalMs ?? 1000;
    if (every > 0) {
      this.timer = setInterval(() => this.sweep(), every);
      this.timer.unref();
    }
  }

  get size(): number { return this.sessions.size; }
  get idleTimeoutMs(): number { return this.idleMs; }

  /** A new session, or undefined when the store is full of authenticated sessions. */
  create(kind: HttpSessionKind, value: T): HttpSession<T> | undefined {
    this.sweep();
    if (this.sessions.size >= this.max && !this.evictOneUnauthenticated()) return undefined;
    let id = newSessionId();
    while (this.sessions.has(id)) id = newSessionId();
    const t = this.now();
    const s: HttpSession<T> = { id, kind, value, createdAt: t, authenticated: false, lastSeen: t, holds: 0 };
    this.sessions.set(id, s);
    return s;
  }

  /** The live session `id` of `kind`; an expired one is ended (hook called) and not returned. */
  get(id: string | undefined, kind: HttpSessionKind): HttpSession<T> | undefined {
    if (id === undefined || !ID.test(id)) return undefined;
    const s = this.sessions.get(id);
    if (s === undefined || s.kind !== kind) return undefined;
    if (this.expired(s, this.now())) {
      this.remove(s, 'idle');
      return undefined;
    }
    return s;
  }

  touch(s: HttpSession<T>): void {
    s.lastSeen = this.now();
  }

  markAuthenticated(s: HttpSession<T>): void {
    s.authenticated = true;
    s.lastSeen = this.now();
  }

  hold(s: HttpSession<T>): void { s.holds++; }

  release(s: HttpSession<T>): void {
    if (s.holds > 0) s.holds--;
    s.lastSeen = this.now();
  }

  /** The owner ends the session (Logoff, failed login): removed, no hook call. */
  end(s: HttpSession<T>): void {
    if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
  }

  has(s: HttpSession<T>): boolean { return this.sessions.get(s.id) === s; }

  /** Seconds a cookie should live: the idle timeout (Max-Age). */
  get maxAgeSeconds(): number { return Math.round(this.idleMs / 1000); }

  /** Expire every idle session now. */
  sweep(): void {
    const t = this.now();
    for (const s of [...this.sessions.values()]) if (this.expired(s, t)) this.remove(s, 'idle');
  }

  /** Stop the timer and end every session with reason 'shutdown'. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const s of [...this.sessions.values()]) this.remove(s, 'shutdown');
  }

  private expired(s: HttpSession<T>, t: number): boolean {
    if (s.holds > 0) return false;
    return t - s.lastSeen >= (s.authenticated ? this.idleMs : this.unauthMs);
  }

  private evictOneUnauthenticated(): boolean {
    // Map order is creation order: the first unauthenticated one is the oldest.
    for (const s of this.sessions.values()) {
      if (!s.authenticated && s.holds === 0) {
        this.remove(s, 'evicted');
        return true;
      }
    }
    return false;
  }

  private remove(s: HttpSession<T>, reason: HttpSessionEndReason): void {
    this.sessions.delete(s.id);
    this.onExpire?.(s, reason);
  }
}

export interface CookieOptions {
  /** Max-Age in seconds (httptimeout). */
  readonly maxAgeSeconds: number;
  /** The listener is TLS: add `Secure`. */
  readonly secure: boolean;
}

/**
 * The Set-Cookie value: Asterisk's `mansession_id="<id>"; Version=1; Max-Age=60`
 * (clients parse the quoted value) plus HttpOnly, SameSite=Strict and, on TLS, Secure.
 */
export function setCookieValue(id: string, opts: CookieOptions): string {
  return `mansession_id="${id}"; Version=1; Max-Age=${opts.maxAgeSeconds}; HttpOnly; SameSite=Strict${opts.secure ? '; Secure' : ''}`;
}

/**
 * The mansession_id cookie of a request (main/http.c parse_cookies(),
 * ast_http_manid_from_vars()): `name=value` pairs split at `;`, blanks and one
 * pair of double quotes stripped; the last mansession_id wins, as in Asterisk
 * (its cookie list is built in reverse). Undefined when absent.
 */
export function cookieSessionId(cookieHeader: string | readonly string[] | undefined): string | undefined {
  if (cookieHeader === undefined) return undefined;
  const text = typeof cookieHeader === 'string' ? cookieHeader : cookieHeader.join('; ');
  let found: string | undefined;
  for (const piece of text.split(';')) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    const name = piece.slice(0, eq).trim();
    let value = piece.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name === 'mansession_id' && value.length > 0) found = value;
  }
  return found;
}
