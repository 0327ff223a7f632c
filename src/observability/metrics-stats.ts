// MetricsStats: what the scrape-time metric families read from the running
// proxy (router, cluster, fan-out, sessions, log file). Structural, so proxy.ts
// passes Router/Cluster stats as they are; metrics.ts takes one snapshot per scrape.

import type { Registry } from 'prom-client';

/** What metrics read at scrape time. Structural, so proxy.ts passes Router/Cluster stats as they are. */
export interface MetricsStats {
  /** Actions awaiting a response, across all upstreams. */
  pending?: number;
  cluster?: {
    servers: ReadonlyArray<{
      name: string;
      state?: string;
      ready?: boolean;
      connectionsReady?: number;
      connectionsTotal?: number;
      reconnects?: number;
      pending?: number;
      /** Packets that broke the server's maxlinebytes / maxheaders. */
      oversize?: { 'line-too-long': number; 'too-many-lines': number };
    }>;
  };
  /** Cumulative fan-out counters; when present they drive amigate_events_delivered_total and amigate_events_unknown_privilege_total. */
  fanout?: { delivered: number; unknownPrivilege?: number };
  /** Cumulative router counters: upstream packets that reached nobody, by reason (amigate_upstream_packets_dropped_total). */
  router?: { dropped: Readonly<Record<string, number>> };
  /** [scope] Packets withheld from scoped users: broadcast events (per receiver) and list items. */
  scope?: { events: number; listItems: number };
  /** The largest output queue (bytes) of any open session now; called only when the gauge is scraped. */
  sessionQueueBytesMax?: () => number;
  /** Log lines (audit records included) log.file could not take: its buffer was full or a write failed. */
  logLinesDropped?: number | undefined;
}

/** The registry to register on and the current snapshot, as the family builders receive them. */
export interface FamilyContext {
  readonly registers: Registry[];
  stats(): MetricsStats | undefined;
}
