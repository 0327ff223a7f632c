// The failed-login lockout in Redis: the same rules as auth/login-throttle.ts
// (a sliding window of failures per `ip:<addressKey>` and `user:<lower-cased
// name>`, `maxfailures` of them lock that key for `lockout`), counted by every
// instance together. What counts against which key is still decided by
// countsAgainst() in auth/authenticator.ts; this module only keeps the books.
// Each call is one Lua script (atomic, Redis's clock: instance clocks may
// differ). Keys (docs/shared-state.md):
//
//   <prefix>fail:ip:10.1.2.3    ZSET of failures scored by time, PEXPIRE window
//   <prefix>lock:ip:10.1.2.3    lockout start (ms), PX lockout
//
// Limits come with every call, so a reload's new limits apply at once: a new
// lockout length to running lockouts too (as the local throttle does), as long
// as the key has not expired yet.

import { addressKey } from '../auth/address-key.js';
import type { LoginFailuresConfig } from '../config/schema.js';
import type { LuaScript, RedisLink } from './redis-client.js';

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS lock:ip lock:user; ARGV lockoutMs -> ms until both are unlocked (0 = not locked). */
const CHECK: LuaScript = {
  name: 'amigateLockCheck', keys: 2,
  lua: NOW + `local lockout = tonumber(ARGV[1])
local ms = 0
for i = 1, 2 do
  local at = redis.call('GET', KEYS[i])
  if at then
    local left = tonumber(at) + lockout - now
    if left > 0 then
      if left > ms then ms = left end
      if redis.call('PTTL', KEYS[i]) < left then redis.call('PEXPIRE', KEYS[i], left) end
    else
      redis.call('DEL', KEYS[i])
    end
  end
end
return ms`,
};

/**
 * KEYS fail:ip lock:ip fail:user lock:user; ARGV maxfailures windowMs lockoutMs
 * member countUser(0/1) -> {ipLocked, userLocked}: 1 where this failure started a lockout.
 */
const FAIL: LuaScript = {
  name: 'amigateLockFail', keys: 4,
  lua: NOW + `local max = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local lockout = tonumber(ARGV[3])
local function count(fail, lock)
  local at = redis.call('GET', lock)
  if at and tonumber(at) + lockout > now then return 0 end
  redis.call('ZREMRANGEBYSCORE', fail, '-inf', now - win)
  redis.call('ZADD', fail, now, ARGV[4])
  if redis.call('ZCARD', fail) >= max then
    redis.call('SET', lock, now, 'PX', lockout)
    redis.call('DEL', fail)
    return 1
  end
  redis.call('PEXPIRE', fail, win)
  return 0
end
local out = { count(KEYS[1], KEYS[2]), 0 }
if ARGV[5] == '1' then out[2] = count(KEYS[3], KEYS[4]) end
return out`,
};

export const THROTTLE_SCRIPTS: readonly LuaScript[] = [CHECK, FAIL];

export class SharedThrottle {
  private seq = 0;

  constructor(private readonly link: RedisLink, private readonly prefix: string, private readonly instance: string) {}

  /** ms until both the address and the user are unlocked (0 = not locked). Rejects when Redis cannot answer. */
  async lockedFor(cfg: LoginFailuresConfig, ip: string, user: string): Promise<number> {
    if (cfg.maxfailures === 0) return 0;
    const ms = await this.link.run(CHECK.name, [this.key('lock', 'ip', ip), this.key('lock', 'user', user), cfg.lockout * 1000]);
    return Number(ms);
  }

  /** One failure from `ip`, against `user` too when given. Resolves to which keys it locked. */
  async fail(cfg: LoginFailuresConfig, ip: string, user?: string): Promise<{ ip: boolean; user: boolean }> {
    if (cfg.maxfailures === 0) return { ip: false, user: false };
    // Unique per failure: two at the same ms from two instances are two failures.
    const member = `${this.instance}:${++this.seq}`;
    const u = user ?? '';
    const r = await this.link.run(FAIL.name, [
      this.key('fail', 'ip', ip), this.key('lock', 'ip', ip), this.key('fail', 'user', u), this.key('lock', 'user', u),
      cfg.maxfailures, cfg.window * 1000, cfg.lockout * 1000, member, user === undefined ? 0 : 1,
    ]) as [number, number];
    return { ip: r[0] === 1, user: r[1] === 1 };
  }

  /** A good login forgets the failures of that address and that user (a running lockout stays: it was checked first). */
  async succeed(ip: string, user: string): Promise<void> {
    await this.link.client.del(this.key('fail', 'ip', ip), this.key('fail', 'user', user));
  }

  private key(kind: 'fail' | 'lock', what: 'ip' | 'user', v: string): string {
    return `${this.prefix}${kind}:${what}:${what === 'ip' ? addressKey(v) : v.toLowerCase()}`;
  }
}
