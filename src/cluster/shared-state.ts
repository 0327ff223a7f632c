// Shared login state for one instance when `cluster.redis` is configured: the
// lockout (LoginGate) and the session places (SessionPlaces) the login service
// uses, the leases of this instance's sessions (renewed, re-registered when
// Redis comes back), readiness and the session list. It decides what happens
// when Redis does not answer (cluster.redisdown, docs/shared-state.md):
//
//   local  (default) the login goes on with this instance's own counts: the
//          local throttle, which is always kept, and the local session count.
//          A warning once per outage, amigate_cluster_fallback_total{op}.
//   refuse the login fails with `Authentication failed` (audit reason
//          cluster-unavailable), and /readyz says not ready.
//
// The local throttle counts every failure seen here whatever Redis does, so
// an outage is never weaker than one instance alone.

import type pino from 'pino';
import type { Registry } from 'prom-client';
import type { LoginGate, SessionPlaces, SlotResult } from '../auth/login-gate.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { UserRecord } from '../auth/user-store.js';
import type { ClusterConfig } from '../config/cluster-schema.js';
import type { LoginFailuresConfig } from '../config/schema.js';
import { ClusterMetrics, type ClusterOp } from './cluster-metrics.js';
import { ClusterView, VIEW_SCRIPTS, sessionEntry, type SessionEntry } from './cluster-view.js';
import { RedisLink, type RedisState } from './redis-client.js';
import { LEASE_SCRIPTS, SessionLeases, type Lease } from './session-leases.js';
import { SharedThrottle, THROTTLE_SCRIPTS } from './shared-throttle.js';

export interface SharedStateDeps {
  logger: pino.Logger;
  registry: Registry;
  /** This process's throttle: consulted and fed on every login, Redis or not. */
  local: LoginThrottle;
  loginfailures: LoginFailuresConfig;
  /** Sessions of a user on this instance (the fallback count). */
  localCount(user: string): number;
  /** Is the session still open? A place taken for one that closed meanwhile is given back. */
  isLive(sessionId: number): boolean;
  /** What the session list shows of a session (without user and instance). */
  describe(sessionId: number): Omit<SessionEntry, 'instance' | 'id' | 'user' | 'since'> | undefined;
}

export class SharedState implements LoginGate, SessionPlaces {
  readonly link: RedisLink;
  private readonly cfg: ClusterConfig;
  private readonly deps: SharedStateDeps;
  private limits: LoginFailuresConfig;
  private readonly throttle: SharedThrottle;
  private readonly leases: SessionLeases;
  private readonly view: ClusterView;
  private readonly metrics: ClusterMetrics;
  private readonly logger: pino.Logger;
  /** This instance's leases, by session id: renewed, re-registered after an outage. */
  private readonly held = new Map<number, Lease>();
  private renewTimer: NodeJS.Timeout | undefined;
  /** A fallback was already logged in this outage. */
  private warned = false;

  constructor(cfg: ClusterConfig, deps: SharedStateDeps) {
    this.cfg = cfg;
    this.deps = deps;
    this.limits = deps.loginfailures;
    this.logger = deps.logger;
    this.link = new RedisLink(cfg, deps.logger, [...THROTTLE_SCRIPTS, ...LEASE_SCRIPTS, ...VIEW_SCRIPTS]);
    this.throttle = new SharedThrottle(this.link, cfg.prefix, cfg.instance);
    this.leases = new SessionLeases(this.link, cfg.prefix, cfg.instance);
    this.view = new ClusterView(this.link, cfg.prefix);
    this.metrics = new ClusterMetrics(deps.registry, () => this.held.size);
    this.link.onState((s) => this.onState(s));
  }

  get redis(): RedisState { return this.link.state; }
  private get ttlMs(): number { return this.cfg.leasettl * 1000; }

  /** Connect (waiting at most a few seconds: amigate starts either way) and start renewing. */
  async start(): Promise<void> {
    await this.link.start(Math.max(2000, this.cfg.timeout * 4));
    this.renewTimer = setInterval(() => void this.renewAll(false), Math.max(500, Math.floor(this.ttlMs / 3)));
    this.renewTimer.unref();
  }

  /** Stop renewing and give back this instance's leases (a clean stop frees its users at once). */
  async close(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    const all = [...this.held.values()];
    this.held.clear();
    if (this.link.state === 'up') await Promise.allSettled(all.map((l) => this.leases.release(l)));
    await this.link.close(this.cfg.timeout);
  }

  /** /readyz: with redisdown: refuse, an instance without Redis cannot log anyone in. */
  readiness(): { ready: boolean; redis: RedisState } {
    return { ready: this.link.state === 'up' || this.cfg.redisdown === 'local', redis: this.link.state };
  }

  /** GET /sessions: every instance's sessions. */
  async sessions(): Promise<{ instance: string; redis: RedisState; sessions: SessionEntry[] }> {
    return { instance: this.cfg.instance, redis: this.link.state, sessions: await this.view.list() };
  }

  // --- LoginGate ----------------------------------------------------------------

  configure(cfg: LoginFailuresConfig): void {
    this.limits = cfg;
    this.deps.local.configure(cfg);
  }

  async lockedFor(ip: string, user: string): Promise<number | 'unavailable'> {
    const local = this.deps.local.lockedFor(ip, user);
    if (local > 0 || this.limits.maxfailures === 0) return local;
    try {
      return await this.timed('lockout-check', () => this.throttle.lockedFor(this.limits, ip, user));
    } catch (err) {
      return this.fallback('lockout-check', err, () => local);
    }
  }

  fail(ip: string, user?: string): void {
    this.deps.local.fail(ip, user);
    this.timed('lockout-record', () => this.throttle.fail(this.limits, ip, user)).then((locked) => {
      if (locked.ip || locked.user) this.logger.info({ ip: locked.ip, user: locked.user }, 'cluster lockout started');
    }, (err: unknown) => this.fallback('lockout-record', err, () => undefined, false));
  }

  succeed(ip: string, user: string): void {
    this.deps.local.succeed(ip, user);
    // Best effort: failures left behind only expire with their window.
    this.throttle.succeed(ip, user).catch(() => { /* counted as down by the link's state */ });
  }

  // --- SessionPlaces ------------------------------------------------------------

  async acquire(sessionId: number, user: UserRecord, limit: number): Promise<SlotResult> {
    const d = this.deps.describe(sessionId);
    const lease: Lease = {
      user: user.name,
      member: this.leases.member(sessionId),
      info: sessionEntry({ instance: this.cfg.instance, id: sessionId, user: user.name, remote: d?.remote ?? '', listener: d?.listener ?? '', transport: d?.transport ?? '', since: new Date().toISOString() }),
    };
    let got: SlotResult;
    try {
      got = (await this.timed('session-acquire', () => this.leases.acquire(lease, limit, this.ttlMs))) ? 'ok' : 'full';
    } catch (err) {
      got = this.fallback('session-acquire', err, () => (limit > 0 && this.deps.localCount(user.name) >= limit ? 'full' : 'ok'));
    }
    if (got !== 'ok') return got;
    // Kept even when taken locally: registered in Redis when it is back.
    this.held.set(sessionId, lease);
    if (!this.deps.isLive(sessionId)) this.release(sessionId);
    return 'ok';
  }

  async count(user: string): Promise<number | 'unavailable'> {
    try {
      return await this.timed('session-count', () => this.leases.count(user));
    } catch (err) {
      return this.fallback('session-count', err, () => this.deps.localCount(user), false);
    }
  }

  /** The session closed: its place is free on every instance now. */
  release(sessionId: number): void {
    const lease = this.held.get(sessionId);
    if (!lease) return;
    this.held.delete(sessionId);
    // Not released (Redis down): it expires within leasettl.
    this.leases.release(lease).catch((err: unknown) => this.fallback('session-release', err, () => undefined, false));
  }

  /** Leases held (tests, metrics). */
  get heldCount(): number { return this.held.size; }

  // --- Redis up and down ----------------------------------------------------------

  private onState(s: RedisState): void {
    this.metrics.redisUp(s === 'up');
    if (s !== 'up') return;
    this.warned = false;
    // Redis is back (maybe restarted, empty): register every session this instance has.
    void this.renewAll(true);
  }

  private async renewAll(full: boolean): Promise<void> {
    if (this.link.state !== 'up' || this.held.size === 0) return;
    try {
      await this.leases.renew([...this.held.values()], this.ttlMs, full);
      if (full) this.logger.info({ leases: this.held.size }, 'redis: this instance\'s session leases registered');
    } catch (err) {
      this.fallback('session-renew', err, () => undefined, false);
    }
  }

  /** Redis did not answer: the policy's answer for this step (`refusable`: the step is part of a login decision). */
  private fallback<T>(op: ClusterOp, err: unknown, local: () => T, refusable = true): T | 'unavailable' {
    const refuse = refusable && this.cfg.redisdown === 'refuse';
    if (refuse) this.metrics.refusal(op);
    else this.metrics.fallback(op);
    if (!this.warned) {
      this.warned = true;
      this.logger.warn({ op, err: err instanceof Error ? err.message : String(err), redisdown: this.cfg.redisdown },
        refuse ? 'redis unavailable: logins are refused until it answers (cluster.redisdown: refuse)' : 'redis unavailable: lockouts and session limits count on this instance only until it answers');
    }
    return refuse ? 'unavailable' : local();
  }

  private async timed<T>(op: ClusterOp, fn: () => Promise<T>): Promise<T> {
    const t0 = process.hrtime.bigint();
    const out = await fn();
    this.metrics.observe(op, Number(process.hrtime.bigint() - t0) / 1e9);
    return out;
  }
}
