// Session leases in Redis: every logged-in session of every instance holds
// one, so allowmultiplelogin and maxsessions count a user's sessions on all
// instances. A lease lives `leasettl` unless renewed; this instance renews all
// of its own in one script call every leasettl/3, so the leases of an instance
// that dies (SIGKILL, power, partition) drop out of the count at most leasettl
// later. Keys (docs/shared-state.md):
//
//   <prefix>lease:user:<name>       ZSET "<instance>:<session id>" scored by expiry (Redis ms)
//   <prefix>session:<inst>:<id>     JSON {instance,id,user,remote,listener,transport,since}, PX leasettl (cluster-view.ts)
//   <prefix>sessions                ZSET index of those keys, scored by expiry
//
// acquire() is atomic: drop expired members, count, add only under the limit;
// two instances racing for a user with one place cannot both win.

import type { LuaScript, RedisLink } from './redis-client.js';

// Redis's clock (instances' clocks may differ), and a TTL that only grows: an
// instance with a shorter leasettl must not expire the others' leases.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function extend(k, ttl) if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end end
`;

/** KEYS lease session index; ARGV member limit ttlMs info -> 1 taken, 0 the user is at its limit. */
const ACQUIRE: LuaScript = {
  name: 'amigateLeaseAcquire', keys: 3,
  lua: NOW + `local ttl = tonumber(ARGV[3])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if limit > 0 and not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
extend(KEYS[1], ttl)
redis.call('SET', KEYS[2], ARGV[4], 'PX', ttl)
redis.call('ZADD', KEYS[3], now + ttl, ARGV[1])
extend(KEYS[3], ttl)
return 1`,
};

/** KEYS lease session index; ARGV member. */
const RELEASE: LuaScript = {
  name: 'amigateLeaseRelease', keys: 3,
  lua: `redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1`,
};

/**
 * KEYS index; ARGV ttlMs prefix, then per lease: lease-key member info ('' =
 * renew only). Re-adds whatever is missing (Redis restarted or was flushed):
 * these sessions are alive, whatever the limit. Returns the members whose
 * session key was missing and had no info given, for a second call with it.
 */
const RENEW: LuaScript = {
  name: 'amigateLeaseRenew', keys: 1,
  lua: NOW + `local ttl = tonumber(ARGV[1])
local missing = {}
for i = 3, #ARGV, 3 do
  local lease, member, info = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local skey = ARGV[2] .. 'session:' .. member
  redis.call('ZADD', lease, now + ttl, member)
  extend(lease, ttl)
  redis.call('ZADD', KEYS[1], now + ttl, member)
  if info ~= '' then
    redis.call('SET', skey, info, 'PX', ttl)
  elseif redis.call('PEXPIRE', skey, ttl) == 0 then
    missing[#missing + 1] = member
  end
end
extend(KEYS[1], ttl)
return missing`,
};

/** KEYS lease -> live leases of the user. */
const COUNT: LuaScript = {
  name: 'amigateLeaseCount', keys: 1,
  lua: NOW + `return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')`,
};

export const LEASE_SCRIPTS: readonly LuaScript[] = [ACQUIRE, RELEASE, RENEW, COUNT];

/** One lease this instance holds. */
export interface Lease {
  readonly user: string;
  readonly member: string;
  /** The JSON of the session's cluster-view entry. */
  readonly info: string;
}

/** Leases per script call: bounds one call's arguments and how long it holds Redis. */
const BATCH = 500;

export class SessionLeases {
  constructor(private readonly link: RedisLink, private readonly prefix: string, private readonly instance: string) {}

  /** The lease's member name for a session of this instance. */
  member(sessionId: number): string { return `${this.instance}:${sessionId}`; }

  /** Take a place (limit 0 = unlimited). Rejects when Redis cannot answer. */
  async acquire(lease: Lease, limit: number, ttlMs: number): Promise<boolean> {
    const r = await this.link.run(ACQUIRE.name, [this.leaseKey(lease.user), this.sessionKey(lease.member), this.indexKey(), lease.member, limit, ttlMs, lease.info]);
    return Number(r) === 1;
  }

  async release(lease: Lease): Promise<void> {
    await this.link.run(RELEASE.name, [this.leaseKey(lease.user), this.sessionKey(lease.member), this.indexKey(), lease.member]);
  }

  /** Live leases of `user` on every instance. */
  async count(user: string): Promise<number> {
    return Number(await this.link.run(COUNT.name, [this.leaseKey(user)]));
  }

  /**
   * Renew (or, `full`, re-register with their session entries) every lease
   * this instance holds. A renewal that finds a session entry gone
   * re-registers those leases at once.
   */
  async renew(leases: readonly Lease[], ttlMs: number, full = false): Promise<void> {
    for (let i = 0; i < leases.length; i += BATCH) {
      const batch = leases.slice(i, i + BATCH);
      const args: Array<string | number> = [this.indexKey(), ttlMs, this.prefix];
      for (const l of batch) args.push(this.leaseKey(l.user), l.member, full ? l.info : '');
      const missing = await this.link.run(RENEW.name, args) as string[];
      if (!full && missing.length > 0) {
        const gone = new Set(missing);
        await this.renew(batch.filter((l) => gone.has(l.member)), ttlMs, true);
      }
    }
  }

  private leaseKey(user: string): string { return `${this.prefix}lease:user:${user.toLowerCase()}`; }
  private sessionKey(member: string): string { return `${this.prefix}session:${member}`; }
  private indexKey(): string { return `${this.prefix}sessions`; }
}
