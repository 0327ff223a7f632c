// Every amigate metric, on its own prom-client Registry (never the global one,
// so two proxies in one process, or tests, do not share series). Labels are
// bounded: listener and upstream names come from the config, every other label
// value is checked against a fixed set and becomes `other` otherwise, and
// neither usernames nor ActionIDs are ever labels. Gauges that mirror domain
// state (pending actions, upstream state) are read from a stats() source at
// scrape time, the way undici exposes PoolStats. docs/metrics.md lists them.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DEFAULT_KNOWN_ACTIONS } from './action-names.js';
import { LOGIN_FAILURE_REASONS } from './audit.js';

export const ACTION_RESULTS = ['success', 'error', 'denied', 'timeout', 'upstream-lost'] as const;
export type MetricActionResult = typeof ACTION_RESULTS[number];
export const LOGIN_RESULTS = ['success', ...LOGIN_FAILURE_REASONS] as const;
export const REJECT_REASONS = ['maxconnections', 'maxconnectionsperip', 'authlimit', 'authlimitperip', 'tls-handshake', 'origin', 'subprotocol', 'proxy-untrusted', 'proxy-missing', 'proxy-malformed'] as const;
/**
 * Why events meant for a session were lost: it was dropped as a slow consumer
 * (`queue-full`, `timeout` — the Writer's reasons; `held-events` — events held
 * during an action passed maxqueuebytes), or it closed for any other reason
 * with events still queued (`session-closed`). One count per event.
 */
export const DROP_REASONS = ['queue-full', 'timeout', 'held-events', 'session-closed'] as const;
/** Limits that refuse a single request (the session goes on); connection limits count in rejected_total. */
export const LIMITS = ['maxpendingactions', 'upstream-maxpendingactions', 'line-too-long', 'too-many-lines'] as const;
export const UPSTREAM_STATES = ['down', 'booting', 'ready', 'closed'] as const;
/** Why an upstream packet reached no session (router/router.ts ROUTER_DROP_REASONS). */
export const UPSTREAM_DROP_REASONS = ['no-owner', 'foreign'] as const;
const OTHER = 'other';
/** A cap on the action-name label set, however many names upstreams announce. */
const MAX_KNOWN_ACTIONS = 1000;

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

export interface MetricsOptions {
  /** Action names that may appear as a label (case-insensitive). @default DEFAULT_KNOWN_ACTIONS (Asterisk 22 core + common modules) */
  knownActions?: Iterable<string>;
  /** Collect process and Node.js metrics (process_*, nodejs_*) on this registry. @default true */
  defaultMetrics?: boolean;
  /** Listener names to export as zero before their first connection. @default [] */
  listeners?: readonly string[];
  /** Upstream names to export as zero/down before their first event. @default [] */
  upstreams?: readonly string[];
}

function bounded<T extends string>(value: string, allowed: readonly T[]): T | typeof OTHER {
  return (allowed as readonly string[]).includes(value) ? value as T : OTHER;
}

const LATENCY_PROXY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const LATENCY_UPSTREAM_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// 1 KiB … 64 MiB, ×4.
const QUEUE_BUCKETS = [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

export class Metrics {
  readonly registry = new Registry();
  private readonly known = new Map<string, string>();
  private statsSource: (() => MetricsStats) | undefined;
  /** One stats() snapshot per scrape, shared by every collect(). */
  private snapshot: MetricsStats | undefined;

  private readonly connectionsActive: Gauge<'listener'>;
  private readonly connectionsTotal: Counter<'listener'>;
  private readonly connectionsRejected: Counter<'listener' | 'reason'>;
  private readonly logins: Counter<'listener' | 'result'>;
  private readonly actions: Counter<'listener' | 'action' | 'result'>;
  private readonly actionProxySeconds: Histogram;
  private readonly actionUpstreamSeconds: Histogram;
  private readonly actionTimeouts: Counter;
  private readonly limitHits: Counter;
  private readonly eventsReceived: Counter<'upstream'>;
  private readonly eventsDelivered: Counter;
  private readonly eventsDropped: Counter<'reason'>;
  private readonly queueHighWaterBytes: Histogram;
  private readonly slowConsumers: Counter;
  private readonly upstreamStates = new Map<string, string>();

  constructor(opts: MetricsOptions = {}) {
    this.knowActions(opts.knownActions ?? DEFAULT_KNOWN_ACTIONS);
    const registers = [this.registry];
    // Arrow functions below close over `self`: prom-client calls collect() with the metric as `this`.
    const self = this;

    this.connectionsActive = new Gauge({
      name: 'amigate_downstream_connections_active', help: 'Downstream (client) connections open now, by listener.',
      labelNames: ['listener'], registers,
    });
    this.connectionsTotal = new Counter({
      name: 'amigate_downstream_connections_total', help: 'Downstream connections accepted, by listener.',
      labelNames: ['listener'], registers,
    });
    this.connectionsRejected = new Counter({
      name: 'amigate_downstream_connections_rejected_total', help: 'Downstream connections refused before a session existed, by listener and reason.',
      labelNames: ['listener', 'reason'], registers,
    });
    this.logins = new Counter({
      name: 'amigate_logins_total', help: 'Login attempts by listener and result: success or the failure reason.',
      labelNames: ['listener', 'result'], registers,
    });
    this.actions = new Counter({
      name: 'amigate_actions_total', help: 'Actions from downstream clients, by listener, action name (known names only, else "other") and result.',
      labelNames: ['listener', 'action', 'result'], registers,
    });
    this.actionProxySeconds = new Histogram({
      name: 'amigate_action_proxy_seconds', help: 'Time an action spent inside amigate (total latency minus upstream time).',
      buckets: LATENCY_PROXY_BUCKETS, registers,
    });
    this.actionUpstreamSeconds = new Histogram({
      name: 'amigate_action_upstream_seconds', help: 'Time from sending an action upstream to its (final) response.',
      buckets: LATENCY_UPSTREAM_BUCKETS, registers,
    });
    this.actionTimeouts = new Counter({
      name: 'amigate_action_timeouts_total', help: 'Actions that got no upstream response within the action timeout.', registers,
    });
    this.limitHits = new Counter({
      name: 'amigate_limit_refusals_total', help: 'Requests refused by a limit (the session stays open), by limit.', labelNames: ['limit'], registers,
    });
    for (const limit of LIMITS) this.limitHits.inc({ limit }, 0);
    this.eventsReceived = new Counter({
      name: 'amigate_events_received_total', help: 'Unsolicited events received from upstreams, by upstream.',
      labelNames: ['upstream'], registers,
    });
    this.eventsDelivered = new Counter({
      name: 'amigate_events_delivered_total', help: 'Events queued to downstream sessions (one per event per receiving session).',
      registers,
      collect() {
        const s = self.stats();
        if (s?.fanout) { this.reset(); this.inc(s.fanout.delivered); }
      },
    });
    new Counter({
      name: 'amigate_scope_withheld_total',
      help: 'Packets withheld from scoped (tenant) users: broadcast events, one per event per scoped session (kind=event), and list items (kind=list-item).',
      labelNames: ['kind'], registers,
      collect() {
        const s = self.stats()?.scope;
        this.reset();
        this.inc({ kind: 'event' }, s?.events ?? 0);
        this.inc({ kind: 'list-item' }, s?.listItems ?? 0);
      },
    });
    this.eventsDropped = new Counter({
      name: 'amigate_events_dropped_total', help: 'Events not delivered to a session, by reason.',
      labelNames: ['reason'], registers,
    });
    new Counter({
      name: 'amigate_events_unknown_privilege_total',
      help: 'Events whose Privilege named no class amigate knows (missing, empty, <none>, all alone, an unknown name); delivered to read: all sessions only.',
      registers,
      collect() {
        const n = self.stats()?.fanout?.unknownPrivilege;
        if (n !== undefined) { this.reset(); this.inc(n); }
      },
    });
    new Counter({
      name: 'amigate_upstream_packets_dropped_total',
      help: 'Packets from upstreams that reached no session, by reason: no-owner (session-directed output no pending action can own), foreign (an ActionID amigate did not mint).',
      labelNames: ['reason'], registers,
      collect() {
        const dropped = self.stats()?.router?.dropped;
        this.reset();
        for (const reason of UPSTREAM_DROP_REASONS) this.inc({ reason }, dropped?.[reason] ?? 0);
      },
    });
    this.queueHighWaterBytes = new Histogram({
      name: 'amigate_session_queue_high_water_bytes', help: 'Largest output queue each session reached, observed when the session closes.',
      buckets: QUEUE_BUCKETS, registers,
    });
    new Gauge({
      name: 'amigate_session_queue_bytes_max', help: 'Largest output queue (bytes, socket queue plus held events) of any open session, at scrape time.',
      registers,
      collect() {
        const fn = self.stats()?.sessionQueueBytesMax;
        if (fn) this.set(fn());
      },
    });
    this.slowConsumers = new Counter({
      name: 'amigate_slow_consumers_dropped_total', help: 'Sessions closed because they did not read their output in time.', registers,
    });
    new Gauge({
      name: 'amigate_upstream_state', help: 'Upstream state: 1 for the current state of each upstream, 0 for the others.',
      labelNames: ['upstream', 'state'], registers,
      collect() {
        for (const srv of self.stats()?.cluster?.servers ?? []) {
          self.upstreamStates.set(srv.name, srv.state ?? (srv.ready ? 'ready' : 'down'));
        }
        this.reset();
        for (const [upstream, current] of self.upstreamStates) {
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
        const servers = self.stats()?.cluster?.servers;
        if (!servers) return;
        this.reset();
        for (const srv of servers) this.inc({ upstream: srv.name }, srv.reconnects ?? 0);
      },
    });
    new Counter({
      name: 'amigate_upstream_oversize_packets_total',
      help: 'Packets from an upstream that broke its maxlinebytes (line-too-long) or maxheaders (too-many-lines); passed on cut, by upstream and fault.',
      labelNames: ['upstream', 'fault'], registers,
      collect() {
        const servers = self.stats()?.cluster?.servers;
        if (!servers) return;
        this.reset();
        for (const srv of servers) {
          for (const fault of ['line-too-long', 'too-many-lines'] as const) this.inc({ upstream: srv.name, fault }, srv.oversize?.[fault] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'amigate_upstream_connections_ready', help: 'Upstream AMI connections logged in and usable, by upstream.',
      labelNames: ['upstream'], registers,
      collect() {
        const servers = self.stats()?.cluster?.servers;
        if (!servers) return;
        this.reset();
        for (const srv of servers) this.set({ upstream: srv.name }, srv.connectionsReady ?? 0);
      },
    });
    new Gauge({
      name: 'amigate_upstream_connections', help: 'Upstream AMI connections configured, by upstream.',
      labelNames: ['upstream'], registers,
      collect() {
        const servers = self.stats()?.cluster?.servers;
        if (!servers) return;
        this.reset();
        for (const srv of servers) this.set({ upstream: srv.name }, srv.connectionsTotal ?? 0);
      },
    });
    new Gauge({
      name: 'amigate_upstream_pending_actions', help: 'Actions sent to an upstream and awaiting their response, by upstream.',
      labelNames: ['upstream'], registers,
      collect() {
        const servers = self.stats()?.cluster?.servers;
        if (!servers) return;
        this.reset();
        for (const srv of servers) this.set({ upstream: srv.name }, srv.pending ?? 0);
      },
    });
    new Counter({
      name: 'amigate_log_lines_dropped_total', help: 'Log lines, audit records included, that log.file could not take (its buffer was full or a write failed).',
      registers,
      collect() {
        const n = self.stats()?.logLinesDropped;
        this.reset();
        this.inc(n ?? 0);
      },
    });
    new Gauge({
      name: 'amigate_router_pending_actions', help: 'Actions the router is waiting on (responses or EventList completions), all upstreams.',
      registers,
      collect() {
        const p = self.stats()?.pending;
        if (p !== undefined) this.set(p);
      },
    });

    for (const listener of opts.listeners ?? []) {
      this.connectionsActive.set({ listener }, 0);
      this.connectionsTotal.inc({ listener }, 0);
      for (const result of LOGIN_RESULTS) this.logins.inc({ listener, result }, 0);
    }
    for (const upstream of opts.upstreams ?? []) {
      this.upstreamStates.set(upstream, 'down');
      this.eventsReceived.inc({ upstream }, 0);
    }
    for (const reason of DROP_REASONS) this.eventsDropped.inc({ reason }, 0);
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Scrape-time source for pending actions and upstream state (e.g. router + cluster stats()). */
  setStatsSource(fn: () => MetricsStats): void {
    this.statsSource = fn;
  }

  /** Let these names be action labels (e.g. an upstream's ListCommands). Capped at 1000 names. */
  knowActions(names: Iterable<string>): void {
    for (const n of names) {
      if (this.known.size >= MAX_KNOWN_ACTIONS) break;
      // manager.c action_find() matches names case-insensitively; label with the canonical spelling.
      if (!this.known.has(n.toLowerCase())) this.known.set(n.toLowerCase(), n);
    }
  }

  /** The label an action name gets: its canonical spelling if known, else `other`. */
  actionLabel(name: string): string {
    return this.known.get(name.toLowerCase()) ?? OTHER;
  }

  connectionOpened(listener: string): void {
    this.connectionsActive.inc({ listener });
    this.connectionsTotal.inc({ listener });
  }

  connectionClosed(listener: string): void {
    this.connectionsActive.dec({ listener });
  }

  connectionRejected(listener: string, reason: string): void {
    this.connectionsRejected.inc({ listener, reason: bounded(reason, REJECT_REASONS) });
  }

  /** `success` or a LoginFailureReason, on a listener (AMI or HTTP). */
  login(listener: string, result: string): void {
    this.logins.inc({ listener, result: bounded(result, LOGIN_RESULTS) });
  }

  /**
   * One finished action. `proxySeconds` is the time inside amigate (total minus
   * upstream); `upstreamSeconds` is absent when the action never went upstream.
   */
  action(listener: string, name: string, result: string, proxySeconds: number, upstreamSeconds?: number): void {
    const r = bounded(result, ACTION_RESULTS);
    this.actions.inc({ listener, action: this.actionLabel(name), result: r });
    if (Number.isFinite(proxySeconds)) this.actionProxySeconds.observe(Math.max(0, proxySeconds));
    if (upstreamSeconds !== undefined && Number.isFinite(upstreamSeconds)) this.actionUpstreamSeconds.observe(Math.max(0, upstreamSeconds));
    if (r === 'timeout') this.actionTimeouts.inc();
  }

  eventReceived(upstream = 'unknown'): void {
    this.eventsReceived.inc({ upstream });
  }

  eventDelivered(n = 1): void {
    this.eventsDelivered.inc(n);
  }

  eventDropped(reason: string, n = 1): void {
    this.eventsDropped.inc({ reason: bounded(reason, DROP_REASONS) }, n);
  }

  /** The largest output queue (bytes) a session reached; call once, when it closes. */
  queueHighWater(bytes: number): void {
    this.queueHighWaterBytes.observe(bytes);
  }

  slowConsumer(): void {
    this.slowConsumers.inc();
  }

  limitHit(limit: string): void {
    this.limitHits.inc({ limit: bounded(limit, LIMITS) });
  }

  /** Upstream state change; the stats source, when set, refines it at scrape time. */
  upstreamState(upstream: string, state: boolean | string): void {
    this.upstreamStates.set(upstream, typeof state === 'boolean' ? (state ? 'ready' : 'down') : state);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Prometheus text exposition (format 0.0.4). */
  async text(): Promise<string> {
    this.snapshot = this.statsSource?.();
    try {
      return await this.registry.metrics();
    } finally {
      this.snapshot = undefined;
    }
  }

  private stats(): MetricsStats | undefined {
    return this.snapshot ?? this.statsSource?.();
  }
}
