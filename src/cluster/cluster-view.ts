// The cluster-wide list of sessions for operators (GET /sessions on the admin
// server): each instance writes one entry per logged-in session with its lease
// (session-leases.ts), and any instance can read them all. An entry holds no
// secret: instance, session id, user, remote address, listener, transport and
// when it logged in. The list reads keys by name from the index, so it needs a
// single Redis, not Redis Cluster (docs/shared-state.md).

import type { LuaScript, RedisLink } from './redis-client.js';

export interface SessionEntry {
  readonly instance: string;
  readonly id: number;
  readonly user: string;
  /** host:port of the client. */
  readonly remote: string;
  readonly listener: string;
  /** 'tcp' | 'tls' on an AMI listener, 'http' on an HTTP listener (AMI over HTTP or WebSocket). */
  readonly transport: string;
  /** ISO time of the login. */
  readonly since: string;
}

/** KEYS index; ARGV prefix max -> the JSON of up to `max` live entries. */
const LIST: LuaScript = {
  name: 'amigateSessionList', keys: 1,
  lua: `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local out = {}
for _, m in ipairs(members) do
  local v = redis.call('GET', ARGV[1] .. 'session:' .. m)
  if v then out[#out + 1] = v end
end
return out`,
};

export const VIEW_SCRIPTS: readonly LuaScript[] = [LIST];

/** Entries listed at most (the response stays bounded whatever the cluster's size). */
export const MAX_LISTED = 10_000;

export class ClusterView {
  constructor(private readonly link: RedisLink, private readonly prefix: string) {}

  /** Every live session of every instance, by instance then id. Rejects when Redis cannot answer. */
  async list(): Promise<SessionEntry[]> {
    const raw = await this.link.run(LIST.name, [`${this.prefix}sessions`, this.prefix, MAX_LISTED]) as string[];
    const out: SessionEntry[] = [];
    for (const r of raw) {
      try { out.push(JSON.parse(r) as SessionEntry); } catch { /* not ours: skipped */ }
    }
    return out.sort((a, b) => a.instance.localeCompare(b.instance) || a.id - b.id);
  }
}

/** The JSON an instance writes for one of its sessions. */
export function sessionEntry(e: SessionEntry): string {
  return JSON.stringify({ instance: e.instance, id: e.id, user: e.user, remote: e.remote, listener: e.listener, transport: e.transport, since: e.since });
}
