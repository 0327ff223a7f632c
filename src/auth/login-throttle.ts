// Failed-login lockout. Failures are counted in a sliding window per source
// address and per user name; reaching `maxfailures` locks that key for
// `lockout` seconds. Asterisk has no such lockout (it only sleeps 1 s per
// failure, S8), so this is amigate's own defence against secret guessing.
//
//   key "ip:10.1.2.3"  failures [t1 t2 t3 t4 t5] -> lockedUntil = t5 + lockout
//   key "user:alice"   failures [t1 t3]
//
// IPv4-mapped IPv6 addresses count as their IPv4 address, and an IPv6 source
// counts as its /64, since one client usually holds a whole /64. Memory is
// bounded: the oldest keys are forgotten past `maxKeys`.

import ipaddr from 'ipaddr.js';
import type { LoginFailuresConfig } from '../config/schema.js';

export type ThrottleClock = () => number;

interface Entry {
  failures: number[];
  lockedUntil: number;
}

export interface LoginThrottleOptions {
  /** ms clock; injectable for tests. @default Date.now */
  now?: ThrottleClock;
  /** Keys remembered at most. @default 100000 */
  maxKeys?: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly lockoutMs: number;
  private readonly now: ThrottleClock;
  private readonly maxKeys: number;

  constructor(cfg: LoginFailuresConfig, opts: LoginThrottleOptions = {}) {
    this.maxFailures = cfg.maxfailures;
    this.windowMs = cfg.window * 1000;
    this.lockoutMs = cfg.lockout * 1000;
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 100_000;
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
    for (const key of keys(ip, user)) {
      const e = this.entries.get(key);
      if (e && e.lockedUntil > now) ms = Math.max(ms, e.lockedUntil - now);
    }
    return ms;
  }

  fail(ip: string, user: string): void {
    if (this.maxFailures === 0) return;
    const now = this.now();
    for (const key of keys(ip, user)) {
      let e = this.entries.get(key);
      if (!e) {
        if (this.entries.size >= this.maxKeys) this.evict(now);
        e = { failures: [], lockedUntil: 0 };
        this.entries.set(key, e);
      }
      if (e.lockedUntil > now) continue;
      const since = now - this.windowMs;
      e.failures = e.failures.filter((t) => t > since);
      e.failures.push(now);
      if (e.failures.length >= this.maxFailures) {
        e.lockedUntil = now + this.lockoutMs;
        e.failures = [];
      }
    }
  }

  /** A good login forgets the failures of that address and that user. */
  succeed(ip: string, user: string): void {
    for (const key of keys(ip, user)) {
      const e = this.entries.get(key);
      if (e && e.lockedUntil <= this.now()) this.entries.delete(key);
    }
  }

  /** Keys currently remembered (for stats and tests). */
  get size(): number { return this.entries.size; }

  private evict(now: number): void {
    for (const [key, e] of this.entries) {
      if (e.lockedUntil <= now && (e.failures.length === 0 || e.failures[e.failures.length - 1]! <= now - this.windowMs)) this.entries.delete(key);
    }
    // Still full: drop the oldest keys (Map keeps insertion order).
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxKeys) break;
      this.entries.delete(key);
    }
  }
}

function keys(ip: string, user: string): [string, string] {
  return ['ip:' + addressKey(ip), 'user:' + user.toLowerCase()];
}

/** `::ffff:10.1.2.3` -> `10.1.2.3`; IPv6 -> its /64; anything else as given. */
export function addressKey(ip: string): string {
  try {
    const a = ipaddr.parse(ip);
    if (a.kind() === 'ipv4') return a.toString();
    const v6 = a as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
    const p = v6.parts;
    return `${p.slice(0, 4).map((x) => x.toString(16)).join(':')}::/64`;
  } catch {
    return ip;
  }
}
