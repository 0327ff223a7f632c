// Failed-login lockout. Failures are counted in a sliding window per source
// address and per user name; reaching `maxfailures` locks that key for
// `lockout` seconds. Asterisk has no such lockout (it only sleeps 1 s per
// failure, S8), so this is amigate's own defence against secret guessing.
//
//   key "ip:10.1.2.3"  failures [t1 t2 t3 t4 t5] -> lockedAt = t5 (locked until t5 + lockout)
//   key "user:alice"   failures [t1 t3]
//
// The caller decides what counts against which key (auth/authenticator.ts:
// every failure against the address, only secret guesses against the name, so
// an address the ACL refuses or a wrong client certificate cannot lock a user
// out). One throttle lives as long as the process: a reload calls configure()
// with the new limits and keeps every count and lockout (docs/security.md).
// Addresses are grouped by addressKey() (IPv4-mapped = IPv4, IPv6 per /64).
// Memory is bounded: the oldest keys are forgotten past `maxKeys`.

import type { LoginFailuresConfig } from '../config/schema.js';
import { addressKey } from './address-key.js';

export { addressKey } from './address-key.js';

export type ThrottleClock = () => number;

interface Entry {
  failures: number[];
  /** When the lockout began (undefined = not locked); it ends `lockout` later, with the lockout in force now. */
  lockedAt: number | undefined;
}

export interface LoginThrottleOptions {
  /** ms clock; injectable for tests. @default Date.now */
  now?: ThrottleClock;
  /** Keys remembered at most. @default 100000 */
  maxKeys?: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private maxFailures = 0;
  private windowMs = 0;
  private lockoutMs = 0;
  private readonly now: ThrottleClock;
  private readonly maxKeys: number;

  constructor(cfg: LoginFailuresConfig, opts: LoginThrottleOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 100_000;
    this.configure(cfg);
  }

  /**
   * New limits (config reload). Counts and lockouts are kept: a new `window`
   * and `maxfailures` apply from the next failure, a new `lockout` length to
   * running lockouts too (they end at lockedAt + the new length). Turning the
   * lockout off (`maxfailures: 0`) forgets everything.
   */
  configure(cfg: LoginFailuresConfig): void {
    this.maxFailures = cfg.maxfailures;
    this.windowMs = cfg.window * 1000;
    this.lockoutMs = cfg.lockout * 1000;
    if (this.maxFailures === 0) this.entries.clear();
  }

  /** True when neither the address nor the user is locked out. */
  check(ip: string, user: string): boolean {
    return this.lockedFor(ip, user) === 0;
  }

  /** ms until both the address and the user are unlocked (0 = not locked). */
  lockedFor(ip: string, user: string): number {
    if (this.maxFailures === 0) return 0;
    const now = this.now();
    let ms = 0;
    for (const key of [ipKey(ip), userKey(user)]) {
      const e = this.entries.get(key);
      if (e) ms = Math.max(ms, this.until(e) - now);
    }
    return ms;
  }

  /**
   * One failed login from `ip`; counted against `user` too when given (a
   * wrong secret or key: a guess at that user's secret).
   */
  fail(ip: string, user?: string): void {
    if (this.maxFailures === 0) return;
    const now = this.now();
    this.count(ipKey(ip), now);
    if (user !== undefined) this.count(userKey(user), now);
  }

  /** A good login forgets the failures of that address and that user. */
  succeed(ip: string, user: string): void {
    const now = this.now();
    for (const key of [ipKey(ip), userKey(user)]) {
      const e = this.entries.get(key);
      if (e && this.until(e) <= now) this.entries.delete(key);
    }
  }

  /** Keys currently remembered (for stats and tests). */
  get size(): number { return this.entries.size; }

  private count(key: string, now: number): void {
    let e = this.entries.get(key);
    if (!e) {
      if (this.entries.size >= this.maxKeys) this.evict(now);
      e = { failures: [], lockedAt: undefined };
      this.entries.set(key, e);
    }
    if (this.until(e) > now) return;
    e.lockedAt = undefined;
    const since = now - this.windowMs;
    e.failures = e.failures.filter((t) => t > since);
    e.failures.push(now);
    if (e.failures.length >= this.maxFailures) {
      e.lockedAt = now;
      e.failures = [];
    }
  }

  /** When the entry's lockout ends (-Infinity when it is not locked). */
  private until(e: Entry): number {
    return e.lockedAt === undefined ? -Infinity : e.lockedAt + this.lockoutMs;
  }

  private evict(now: number): void {
    for (const [key, e] of this.entries) {
      if (this.until(e) <= now && (e.failures.length === 0 || e.failures[e.failures.length - 1]! <= now - this.windowMs)) this.entries.delete(key);
    }
    // Still full: drop the oldest keys (Map keeps insertion order).
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxKeys) break;
      this.entries.delete(key);
    }
  }
}

function ipKey(ip: string): string { return 'ip:' + addressKey(ip); }
function userKey(user: string): string { return 'user:' + user.toLowerCase(); }
