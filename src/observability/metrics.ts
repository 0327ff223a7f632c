// Every amigate metric, on its own prom-client Registry (never the global one,
// so two proxies in one process, or tests, do not share series). Labels are
// bounded: listener and upstream names come from the config, every other label
// value is checked against a fixed set and becomes `other` otherwise, and
// neither usernames nor ActionIDs are ever labels. Gauges that mirror domain
// state (pending actions, upstream state) are read from a stats() source at
// scrape time, the way undici exposes PoolStats. docs/metrics.md lists them.
// This file owns the Metrics API and the connection, login and action families;
// event-metrics.ts and upstream-metrics.ts hold the other families.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DEFAULT_KNOWN_ACTIONS } from './action-names.js';
import { LOGIN_FAILURE_REASONS } from './audit.js';
import { OTHER, bounded } from './metric-labels.js';
import type { MetricsStats } from './metrics-stats.js';
import { registerEventMetrics, type EventFamilies } from './event-metrics.js';
import { registerUpstreamMetrics } from './upstream-metrics.js';

export type { MetricsStats } from './metrics-stats.js';
export { UPSTREAM_STATES, UPSTREAM_DROP_REASONS } from './upstream-metrics.js';

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
/** A cap on the action-name label set, however many names upstreams announce. */
const MAX_KNOWN_ACTIONS = 1000;

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

const LATENCY_PROXY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const LATENCY_UPSTREAM_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

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
  private readonly events: EventFamilies;
  private readonly upstreamStates = new Map<string, string>();

  constructor(opts: MetricsOptions = {}) {
    this.knowActions(opts.knownActions ?? DEFAULT_KNOWN_ACTIONS);
    const registers = [this.registry];
    // Arrow functions below close over `self`: prom-client calls collect() with the metric as `this`.
    const self = this;
    const families = { registers, stats: () => self.stats() };

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
    this.events = registerEventMetrics(families);
    registerUpstreamMetrics(families, this.upstreamStates);
    new Counter({
      name: 'amigate_log_lines_dropped_total', help: 'Log lines, audit records included, that log.file could not take (its buffer was full or a write failed).',
      registers,
      collect() {
        const n = self.stats()?.logLinesDropped;
        this.reset();
        this.inc(n ?? 0);
      },
    });

    for (const listener of opts.listeners ?? []) {
      this.connectionsActive.set({ listener }, 0);
      this.connectionsTotal.inc({ listener }, 0);
      for (const result of LOGIN_RESULTS) this.logins.inc({ listener, result }, 0);
    }
    for (const upstream of opts.upstreams ?? []) {
      this.upstreamStates.set(upstream, 'down');
      this.events.received.inc({ upstream }, 0);
    }
    for (const reason of DROP_REASONS) this.events.dropped.inc({ reason }, 0);
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
    this.events.received.inc({ upstream });
  }

  eventDelivered(n = 1): void {
    this.events.delivered.inc(n);
  }

  eventDropped(reason: string, n = 1): void {
    this.events.dropped.inc({ reason: bounded(reason, DROP_REASONS) }, n);
  }

  /** The largest output queue (bytes) a session reached; call once, when it closes. */
  queueHighWater(bytes: number): void {
    this.events.queueHighWaterBytes.observe(bytes);
  }

  slowConsumer(): void {
    this.events.slowConsumers.inc();
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
