// The upstream-side metric families, all read from MetricsStats at scrape
// time: upstream state (one series per state), reconnects, oversize packets,
// pool connections, pending actions (per upstream and in the router), and
// upstream packets that reached no session. metrics.ts registers them.

import { Counter, Gauge } from 'prom-client';
import { OTHER, bounded } from './metric-labels.js';
import type { FamilyContext } from './metrics-stats.js';

export const UPSTREAM_STATES = ['down', 'booting', 'ready', 'closed'] as const;
/** Why an upstream packet reached no session (router/router.ts ROUTER_DROP_REASONS). */
export const UPSTREAM_DROP_REASONS = ['no-owner', 'foreign'] as const;

/**
 * Register the upstream families. `states` holds each upstream's last known state:
 * Metrics.upstreamState() writes it on a change, a scrape refines it from the stats.
 */
export function registerUpstreamMetrics(ctx: FamilyContext, states: Map<string, string>): void {
  const { registers } = ctx;
  const servers = () => ctx.stats()?.cluster?.servers;
  new Counter({
    name: 'amigate_upstream_packets_dropped_total',
    help: 'Packets from upstreams that reached no session, by reason: no-owner (session-directed output no pending action can own), foreign (an ActionID amigate did not mint).',
    labelNames: ['reason'], registers,
    collect() {
      const dropped = ctx.stats()?.router?.dropped;
      this.reset();
      for (const reason of UPSTREAM_DROP_REASONS) this.inc({ reason }, dropped?.[reason] ?? 0);
    },
  });
  new Gauge({
    name: 'amigate_upstream_state', help: 'Upstream state: 1 for the current state of each upstream, 0 for the others.',
    labelNames: ['upstream', 'state'], registers,
    collect() {
      for (const srv of servers() ?? []) {
        states.set(srv.name, srv.state ?? (srv.ready ? 'ready' : 'down'));
      }
      this.reset();
      for (const [upstream, current] of states) {
        for (const state of [...UPSTREAM_STATES, OTHER]) {
          if (state === OTHER && (UPSTREAM_STATES as readonly string[]).includes(current)) continue;
          this.set({ upstream, state }, bounded(current, UPSTREAM_STATES) === state ? 1 : 0);
        }
      }
    },
  });
  new Counter({
    name: 'amigate_upstream_reconnects_total', help: 'Upstream connections re-established after a loss, by upstream.',
    labelNames: ['upstream'], registers,
    collect() {
      const list = servers();
      if (!list) return;
      this.reset();
      for (const srv of list) this.inc({ upstream: srv.name }, srv.reconnects ?? 0);
    },
  });
  new Counter({
    name: 'amigate_upstream_oversize_packets_total',
    help: 'Packets from an upstream that broke its maxlinebytes (line-too-long) or maxheaders (too-many-lines); passed on cut, by upstream and fault.',
    labelNames: ['upstream', 'fault'], registers,
    collect() {
      const list = servers();
      if (!list) return;
      this.reset();
      for (const srv of list) {
        for (const fault of ['line-too-long', 'too-many-lines'] as const) this.inc({ upstream: srv.name, fault }, srv.oversize?.[fault] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'amigate_upstream_connections_ready', help: 'Upstream AMI connections logged in and usable, by upstream.',
    labelNames: ['upstream'], registers,
    collect() {
      const list = servers();
      if (!list) return;
      this.reset();
      for (const srv of list) this.set({ upstream: srv.name }, srv.connectionsReady ?? 0);
    },
  });
  new Gauge({
    name: 'amigate_upstream_connections', help: 'Upstream AMI connections configured, by upstream.',
    labelNames: ['upstream'], registers,
    collect() {
      const list = servers();
      if (!list) return;
      this.reset();
      for (const srv of list) this.set({ upstream: srv.name }, srv.connectionsTotal ?? 0);
    },
  });
  new Gauge({
    name: 'amigate_upstream_pending_actions', help: 'Actions sent to an upstream and awaiting their response, by upstream.',
    labelNames: ['upstream'], registers,
    collect() {
      const list = servers();
      if (!list) return;
      this.reset();
      for (const srv of list) this.set({ upstream: srv.name }, srv.pending ?? 0);
    },
  });
  new Gauge({
    name: 'amigate_router_pending_actions', help: 'Actions the router is waiting on (responses or EventList completions), all upstreams.',
    registers,
    collect() {
      const p = ctx.stats()?.pending;
      if (p !== undefined) this.set(p);
    },
  });
}
