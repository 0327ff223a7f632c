// The shared-state metrics (docs/metrics.md), on the proxy's own registry:
// whether Redis answers, how often a login step fell back to this instance's
// own counts (or was refused) because it did not, how long the shared steps
// take, and how many leases this instance holds.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The login steps that use Redis (the `op` label). */
export type ClusterOp = 'lockout-check' | 'lockout-record' | 'session-acquire' | 'session-release' | 'session-count' | 'session-renew';

export class ClusterMetrics {
  private readonly up: Gauge;
  private readonly fallbacks: Counter<'op'>;
  private readonly refused: Counter<'op'>;
  private readonly latency: Histogram<'op'>;

  constructor(registry: Registry, leaseCount: () => number) {
    const registers = [registry];
    this.up = new Gauge({ name: 'amigate_cluster_redis_up', help: '1 when the Redis of cluster.redis answers, 0 when it does not.', registers });
    this.fallbacks = new Counter({
      name: 'amigate_cluster_fallback_total', help: 'Login steps done with this instance\'s own counts because Redis did not answer (cluster.redisdown: local), by step.',
      labelNames: ['op'], registers,
    });
    this.refused = new Counter({
      name: 'amigate_cluster_refused_total', help: 'Logins refused because Redis did not answer (cluster.redisdown: refuse), by step.',
      labelNames: ['op'], registers,
    });
    this.latency = new Histogram({
      name: 'amigate_cluster_redis_seconds', help: 'Round trip of the Redis calls of a login, by step.',
      labelNames: ['op'], buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers,
    });
    new Gauge({
      name: 'amigate_cluster_leases', help: 'Session leases this instance holds (its logged-in sessions).', registers,
      collect() { this.set(leaseCount()); },
    });
    this.up.set(0);
  }

  redisUp(up: boolean): void { this.up.set(up ? 1 : 0); }
  fallback(op: ClusterOp): void { this.fallbacks.inc({ op }); }
  refusal(op: ClusterOp): void { this.refused.inc({ op }); }
  observe(op: ClusterOp, seconds: number): void { this.latency.observe({ op }, seconds); }
}
