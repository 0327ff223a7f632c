// How proxy.ts plugs the shared state in (kept out of the composition root,
// which is at its size limit): build it from `cluster:` (none without it),
// describe a session for the cluster view from the registry, and add the
// Redis state to /readyz.

import type pino from 'pino';
import type { Registry } from 'prom-client';
import { LoginThrottle } from '../auth/login-throttle.js';
import type { Config } from '../config/schema.js';
import { SharedState } from './shared-state.js';

export type { SharedState } from './shared-state.js';

/** What the wiring reads of the session registry (session/registry.ts), without importing that layer. */
export interface LiveSessions {
  activeSessions(user: string): number;
  readonly sessions: {
    has(id: number): boolean;
    get(id: number): { readonly conn: { readonly remoteAddress: string; readonly remotePort: number; readonly listener: string; readonly tls?: unknown } } | undefined;
  };
}

/** The proxy's lockout: the shared one around the local throttle with `cluster:`, the local throttle alone without. */
export function loginState(config: Config, deps: { logger: pino.Logger; registry: Registry; sessions: () => LiveSessions }): { gate: LoginThrottle | SharedState; shared: SharedState | undefined } {
  const local = new LoginThrottle(config.general.loginfailures);
  if (!config.cluster) return { gate: local, shared: undefined };
  const listeners = new Map(config.listeners.map((l) => [l.name, l]));
  const shared = new SharedState(config.cluster, {
    logger: deps.logger.child({ component: 'cluster' }),
    registry: deps.registry,
    local,
    loginfailures: config.general.loginfailures,
    localCount: (user) => deps.sessions().activeSessions(user),
    isLive: (id) => deps.sessions().sessions.has(id),
    describe: (id) => {
      const s = deps.sessions().sessions.get(id);
      if (!s) return undefined;
      const l = listeners.get(s.conn.listener);
      return { remote: `${s.conn.remoteAddress}:${s.conn.remotePort}`, listener: s.conn.listener, transport: l?.protocol === 'http' ? 'http' : s.conn.tls ? 'tls' : 'tcp' };
    },
  });
  return { gate: shared, shared };
}

/** /readyz with the shared state: not ready while Redis is down under redisdown: refuse. */
export function withRedis(r: { ready: boolean; detail: object }, shared: SharedState | undefined): { ready: boolean; detail: object } {
  if (!shared) return r;
  const s = shared.readiness();
  return { ready: r.ready && s.ready, detail: { ...r.detail, redis: s.redis } };
}
