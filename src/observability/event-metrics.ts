// The event and session-queue metric families: events received, delivered,
// withheld by a tenant scope, dropped, with an unknown privilege; output queue
// sizes and slow consumers. metrics.ts registers them and records into the
// ones returned; the rest are read from MetricsStats at scrape time.

import { Counter, Gauge, Histogram } from 'prom-client';
import type { FamilyContext } from './metrics-stats.js';

// 1 KiB … 64 MiB, ×4.
const QUEUE_BUCKETS = [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

export interface EventFamilies {
  readonly received: Counter<'upstream'>;
  readonly delivered: Counter;
  readonly dropped: Counter<'reason'>;
  readonly queueHighWaterBytes: Histogram;
  readonly slowConsumers: Counter;
}

export function registerEventMetrics(ctx: FamilyContext): EventFamilies {
  const { registers } = ctx;
  const received = new Counter({
    name: 'amigate_events_received_total', help: 'Unsolicited events received from upstreams, by upstream.',
    labelNames: ['upstream'], registers,
  });
  const delivered = new Counter({
    name: 'amigate_events_delivered_total', help: 'Events queued to downstream sessions (one per event per receiving session).',
    registers,
    collect() {
      const s = ctx.stats();
      if (s?.fanout) { this.reset(); this.inc(s.fanout.delivered); }
    },
  });
  new Counter({
    name: 'amigate_scope_withheld_total',
    help: 'Packets withheld from scoped (tenant) users: broadcast events, one per event per scoped session (kind=event), and list items (kind=list-item).',
    labelNames: ['kind'], registers,
    collect() {
      const s = ctx.stats()?.scope;
      this.reset();
      this.inc({ kind: 'event' }, s?.events ?? 0);
      this.inc({ kind: 'list-item' }, s?.listItems ?? 0);
    },
  });
  const dropped = new Counter({
    name: 'amigate_events_dropped_total', help: 'Events not delivered to a session, by reason.',
    labelNames: ['reason'], registers,
  });
  new Counter({
    name: 'amigate_events_unknown_privilege_total',
    help: 'Events whose Privilege named no class amigate knows (missing, empty, <none>, all alone, an unknown name); delivered to read: all sessions only.',
    registers,
    collect() {
      const n = ctx.stats()?.fanout?.unknownPrivilege;
      if (n !== undefined) { this.reset(); this.inc(n); }
    },
  });
  const queueHighWaterBytes = new Histogram({
    name: 'amigate_session_queue_high_water_bytes', help: 'Largest output queue each session reached, observed when the session closes.',
    buckets: QUEUE_BUCKETS, registers,
  });
  new Gauge({
    name: 'amigate_session_queue_bytes_max', help: 'Largest output queue (bytes, socket queue plus held events) of any open session, at scrape time.',
    registers,
    collect() {
      const fn = ctx.stats()?.sessionQueueBytesMax;
      if (fn) this.set(fn());
    },
  });
  const slowConsumers = new Counter({
    name: 'amigate_slow_consumers_dropped_total', help: 'Sessions closed because they did not read their output in time.', registers,
  });
  return { received, delivered, dropped, queueHighWaterBytes, slowConsumers };
}
