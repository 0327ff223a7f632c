// The admin port's wiring: /metrics from the proxy's Metrics, /healthz always
// live, /readyz from upstream readiness, the drain and (with `cluster:`) Redis,
// /sessions from the shared session list. Part of the composition root:
// proxy.ts calls startAdmin() from start() when `admin:` is configured.

import type { AdminConfig, UpstreamConfig } from './config/schema.js';
import type { Metrics } from './observability/metrics.js';
import { startAdminServer, type AdminServer } from './observability/http.js';
import { withRedis, type SharedState } from './cluster/wiring.js';

export interface AdminDeps {
  readonly metrics: Metrics;
  upstreams(): readonly UpstreamConfig[];
  isReady(server: string): boolean;
  /** A stop has begun (drain.ts): /readyz answers 503. */
  draining(): boolean;
  readonly shared: SharedState | undefined;
}

export function startAdmin(admin: AdminConfig, deps: AdminDeps): Promise<AdminServer> {
  const shared = deps.shared;
  return startAdminServer({
    host: admin.bindaddr,
    port: admin.port,
    metrics: deps.metrics,
    // Alive through the whole drain: a failed liveness check could get the process killed mid-drain.
    health: () => ({ live: true }),
    ready: () => {
      const servers = deps.upstreams().map((u) => ({ name: u.name, ready: deps.isReady(u.name) }));
      const draining = deps.draining();
      return withRedis({ ready: !draining && servers.some((s) => s.ready), detail: { upstreams: servers, ...(draining ? { draining } : {}) } }, shared);
    },
    ...(shared ? { sessions: () => shared.sessions() } : {}),
  });
}
