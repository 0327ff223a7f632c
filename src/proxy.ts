// Composition root: builds every component from a frozen Config and wires
// them: the session services (session/services/*: login, policy, forwarding,
// plus session/registry.ts and observability/session-observer.ts) into one
// SessionServices, the router into fan-out, upstream state into audit and
// metrics. start() opens upstreams, listeners and the admin port; close()
// runs the drain (drain.ts: not ready first, then stop accepting, finish
// in-flight actions up to a deadline, Event: Shutdown to system readers, close).
// Its helpers, each one job: session-services.ts (the SessionServices object),
// scope-hooks.ts ([scope] hooks), session-openers.ts (a session per connection),
// http-mounts.ts (an HTTP listener's front ends), admin-wiring.ts (admin port).

import type { Duplex } from 'node:stream';
import type pino from 'pino';
import { AmiMessage } from './protocol/message.js';
import { DEFAULT_BANNER, parseBanner } from './protocol/banner.js';
import { Router } from './router/router.js';
import { Fanout } from './fanout/fanout.js';
import { Cluster } from './upstream/cluster.js';
import type { Connector } from './upstream/connector.js';
import { Listener, type ListenerTls } from './downstream/listener.js';
import { HttpFront } from './downstream/http-front.js';
import type { HttpMount } from './downstream/http-mount.js';
import type { AmiHttpMount } from './downstream/ami-http-mount.js';
import type { ConnectionInfo, SessionHandle, SessionObservation, SessionServices } from './session/services.js';
import { SessionRegistry } from './session/registry.js';
import { LoginService, sessionUser } from './session/services/login.js';
import { PolicyService } from './session/services/policy.js';
import { ForwardingService } from './session/services/forwarding.js';
import { PreAuthSlots } from './downstream/preauth-slots.js';
import type { Config, ListenerConfig } from './config/schema.js';
import { loadAllListenerTls } from './tls/listener-tls.js';
import { UserStore } from './auth/user-store.js';
import { certificateMatches } from './auth/authenticator.js';
import { loginState, type SharedState } from './cluster/wiring.js';
import { ActionPrivilegeTable } from './policy/action-privileges.js';
import { auditOptions } from './observability/audit-options.js';
import { restartOnlyChanges, sameUserEntry } from './config/config-diff.js';
import { createLogger, logFileOf } from './observability/logger.js';
import { Audit } from './observability/audit.js';
import { Metrics } from './observability/metrics.js';
import { SessionObserver } from './observability/session-observer.js';
import type { AdminServer } from './observability/http.js';
import { TenantScopes } from './scope/tenant-scopes.js';
import { Drain } from './drain.js';
import { SessionOpeners } from './session-openers.js';
import { httpMounts } from './http-mounts.js';
import { ScopeHooks } from './scope-hooks.js';
import { sessionServices } from './session-services.js';
import { startAdmin } from './admin-wiring.js';

export interface ProxyOptions {
  logger?: pino.Logger;
  connector?: Connector;
  /** ms close() waits for in-flight actions. @default 5000 */
  drainTimeoutMs?: number;
  /** More mounts for an HTTP listener, tried after the built-in ones (tests, embedders). */
  httpMounts?: (listener: ListenerConfig) => HttpMount[];
}

export class Proxy {
  config: Config;
  readonly logger: pino.Logger;
  readonly metrics: Metrics;
  readonly audit: Audit;
  readonly router: Router;
  readonly fanout = new Fanout();
  /** [scope] Tenant scoping (docs/tenants.md). */
  readonly scopes: TenantScopes;
  readonly cluster: Cluster;
  readonly listeners: Listener[] = [];
  /** The HTTP side of each `protocol: http` listener, by listener name. */
  readonly httpFronts = new Map<string, HttpFront>();
  /** AMI over HTTP on each HTTP listener, by listener name. */
  readonly amiHttp = new Map<string, AmiHttpMount>();
  private readonly extraHttpMounts: ((listener: ListenerConfig) => HttpMount[]) | undefined;
  private admin: AdminServer | undefined;
  /** What every session, whatever its transport, is given. */
  readonly services: SessionServices;
  private users: UserStore;
  private readonly privileges = new ActionPrivilegeTable();
  private readonly registry: SessionRegistry;
  private readonly logins: LoginService;
  /** Lockouts and session places shared through Redis (`cluster:`, docs/shared-state.md). */
  readonly shared: SharedState | undefined;
  private readonly forwarding: ForwardingService;
  private readonly observer: SessionObserver;
  private readonly preAuth = new PreAuthSlots(() => this.config.general);
  private readonly openers: SessionOpeners;
  /** [scope] */
  private readonly scopeHooks: ScopeHooks;
  private readonly startedAt = Date.now();
  private lastReloadAt = Date.now();
  private booted: { uptime: number; lastReload: number; at: number } | undefined;
  private readonly drainTimeoutMs: number | undefined;
  private readonly drain: Drain;
  /** The logger was made here (no opts.logger): close() also writes out and closes its file. */
  private readonly ownsLogger: boolean;

  constructor(config: Config, opts: ProxyOptions = {}) {
    this.config = config;
    this.ownsLogger = opts.logger === undefined;
    this.logger = opts.logger ?? createLogger({ level: config.log.level, ...(config.log.file ? { file: config.log.file } : {}), pretty: config.log.pretty });
    this.metrics = new Metrics({ listeners: config.listeners.map((l) => l.name), upstreams: config.upstreams.map((u) => u.name) });
    this.audit = new Audit(this.logger, auditOptions(config.log));
    this.users = new UserStore(config);
    this.drainTimeoutMs = opts.drainTimeoutMs;
    this.drain = new Drain({
      logger: this.logger, listeners: this.listeners, sessions: () => this.sessions.values(), httpFronts: () => this.httpFronts.values(),
      readyDelaySeconds: () => this.config.general.drainreadydelay,
      drainTimeoutMs: () => this.drainTimeoutMs ?? this.config.general.draintimeout,
      pendingActions: () => this.router.pendingCount,
      closeUpstreams: async () => { await this.cluster.close(); await this.shared?.close(); },
      closeAdmin: async () => { await this.admin?.close(); },
      stopped: async () => { if (this.ownsLogger) await logFileOf(this.logger)?.stop(); },
    });
    this.extraHttpMounts = opts.httpMounts;
    this.scopes = new TenantScopes(config); // [scope]
    this.fanout.scopeGate = this.scopes; // [scope]
    this.router = new Router(
      { send: (servers, msg) => this.cluster.send(servers, msg) },
      {
        broadcast: (event, server, originator) => {
          this.noteBroadcast(event, server);
          this.fanout.publish(event, server, originator);
        },
        serverState: (server, ready, reason) => this.onServerState(server, ready, reason),
      },
      { actionTimeoutMs: config.general.actiontimeout },
    );
    this.cluster = new Cluster(config.upstreams, this.router, {
      logger: this.logger.child({ component: 'upstream' }),
      ...(opts.connector ? { connector: opts.connector } : {}),
    });
    this.registry = new SessionRegistry({
      loggedIn: (s) => this.fanout.add(s),
      closed: (s) => {
        this.fanout.remove(s.id);
        this.router.dropSession(s.id);
        this.forwarding.dropSession(s.id);
        this.shared?.release(s.id);
      },
    });
    this.observer = new SessionObserver(this.audit, this.metrics);
    const login = loginState(config, { logger: this.logger, registry: this.metrics.registry, sessions: () => this.registry });
    this.shared = login.shared;
    this.logins = new LoginService(this.users, login.gate, (user) => this.registry.activeSessions(user), login.shared);
    this.forwarding = new ForwardingService({
      router: this.router,
      isReady: (server) => this.cluster.isReady(server),
      upstreamWaitMs: () => this.config.general.upstreamwait,
      onOverload: () => this.metrics.limitHit('upstream-maxpendingactions'),
    });
    this.scopeHooks = new ScopeHooks(this.scopes, (id) => this.sessions.get(id)?.user?.name); // [scope]
    this.services = sessionServices({
      general: () => this.config.general, banner: () => this.banner(), fullyBooted: () => this.fullyBooted(),
      logins: this.logins, policy: new PolicyService(this.privileges, config.upstreams.map((u) => u.name)), forwarding: this.forwarding, scope: this.scopeHooks,
      // Through the method, so a caller that wraps proxy.observe (the soak) sees every notification.
      observe: (ev) => this.observe(ev),
    });
    this.openers = new SessionOpeners({ services: this.services, registry: this.registry, observer: this.observer, closing: () => this.closing });
    this.metrics.setStatsSource(() => ({
      pending: this.router.pendingCount, cluster: this.cluster.stats(), sessions: this.registry.size, fanout: this.fanout.stats, router: this.router.stats,
      scope: { events: this.fanout.stats.scopeWithheld, listItems: this.scopes.stats.listItemsWithheld }, // [scope]
      sessionQueueBytesMax: () => this.registry.maxQueuedBytes(),
      logLinesDropped: logFileOf(this.logger)?.dropped,
    }));
  }

  /** Listeners refuse new connections from the second phase of a stop on. */
  private get closing(): boolean { return !this.drain.accepting; }

  /** The live sessions by id (the drain, reload, and tests read it). */
  private get sessions(): Map<number, SessionHandle> { return this.registry.sessions; }

  // --- lifecycle --------------------------------------------------------------

  async start(): Promise<void> {
    // Certificates and keys first: a bad one fails the start before any upstream is contacted.
    const tlsFiles = await loadAllListenerTls(this.config);
    await this.shared?.start();
    this.cluster.start();
    for (const l of this.config.listeners) {
      const front = l.http ? new HttpFront({ serverName: l.http.servername, mounts: await this.httpMounts(l) }) : undefined;
      if (front) this.httpFronts.set(l.name, front);
      const listener = new Listener({
        name: l.name,
        host: l.bindaddr,
        port: l.port,
        ...(l.tls ? { tls: tlsFiles.get(l.name)! } : {}),
        handshakeTimeoutMs: this.config.general.authtimeout * 1000,
        maxConnections: this.config.general.maxconnections,
        maxConnectionsPerIp: this.config.general.maxconnectionsperip,
        // authlimit/authlimitperip count AMI connections waiting to log in; an HTTP
        // connection is not a session (HTTP sessions are bounded per listener by maxhttpsessions).
        preAuth: front ? undefined : this.preAuth,
        ...(l.proxyprotocol ? { proxyProtocol: { mode: l.proxyprotocol, trusted: l.trustedproxies } } : {}),
        onConnection: (socket, info) => {
          if (this.closing) socket.destroy();
          else if (front) front.accept(socket, info);
          else this.onConnection(socket, info);
        },
        onRejected: (reason, remote, proxy) => {
          this.metrics.connectionRejected(l.name, reason);
          this.audit.connectionRejected({ remote, listener: l.name, reason, proxy });
        },
      });
      await listener.listen();
      this.listeners.push(listener);
      this.logger.info({ listener: l.name, protocol: l.protocol, address: listener.address, tls: !!l.tls, ...(l.proxyprotocol ? { proxyprotocol: l.proxyprotocol } : {}) }, 'listening');
    }
    if (this.config.admin) {
      this.admin = await startAdmin(this.config.admin, {
        metrics: this.metrics, shared: this.shared, upstreams: () => this.config.upstreams,
        isReady: (server) => this.cluster.isReady(server), draining: () => this.drain.draining,
      });
      this.logger.info({ admin: `${this.config.admin.bindaddr}:${this.admin.port}` }, 'admin listening');
    }
  }

  get adminPort(): number | undefined { return this.admin?.port; }

  /** Graceful stop (drain.ts): /readyz 503 for drainreadydelay, stop accepting, in-flight actions finish, Event: Shutdown, close. Called again, it cuts the ready delay short. */
  close(reason = 'shutdown'): Promise<void> { return this.drain.run(reason); }

  /** Apply a new config: users, policies and certificates, without dropping sessions. */
  async reload(next: Config): Promise<void> {
    const prev = this.config;
    // Everything that can fail (files, certificates) is read before anything changes,
    // so a reload either applies whole or leaves the running configuration alone.
    const users = new UserStore(next);
    const tlsFiles = await loadAllListenerTls(next);
    const contexts: Array<[Listener, ListenerTls | undefined]> = [];
    for (const l of next.listeners) {
      const listener = this.listeners.find((x) => x.name === l.name);
      if (listener) contexts.push([listener, tlsFiles.get(l.name)]);
    }
    for (const [listener, ctx] of contexts) {
      const fixed = listener.setSecureContext(ctx);
      if (fixed.length > 0) this.logger.warn({ listener: listener.name, keys: fixed }, 'reload: these listener settings need a restart; the running values stay');
    }
    const restart = restartOnlyChanges(prev, next);
    if (restart.length > 0) this.logger.warn({ keys: restart }, 'reload: these settings need a restart; the running values stay');
    this.config = next;
    this.audit.configure(auditOptions(next.log));
    this.users = users;
    // One throttle for the process: a reload keeps counts and lockouts, with the new limits (docs/security.md).
    this.logins.configure(users, next.general.loginfailures);
    this.scopes.reload(next); // [scope] before sessions get their new scope ids
    this.lastReloadAt = Date.now();
    for (const s of this.sessions.values()) {
      if (!s.user) continue;
      const rec = users.get(s.user.name);
      if (!rec) { s.end('user-removed'); continue; }
      if (sameUserEntry(prev, next, s.user.name)) { s.updateUser(this.scopeHooks.scoped(sessionUser(rec))); continue; }
      // A changed user: the new rules apply to this session too, or it ends (general.reloadsessions).
      if (next.general.reloadsessions === 'close') s.end('user-changed');
      else if (!rec.acl.allows(s.conn.remoteAddress) || (rec.certificate && !certificateMatches(rec.certificate, s.conn.tls))) s.end('user-changed');
      else s.updateUser(this.scopeHooks.scoped(sessionUser(rec)));
    }
    this.logger.info({ users: users.size }, 'configuration reloaded');
  }

  // --- sessions ---------------------------------------------------------------

  /** The front ends an HTTP listener serves (http-mounts.ts). */
  private httpMounts(l: ListenerConfig): Promise<HttpMount[]> {
    return httpMounts(l, {
      general: () => this.config.general, preAuth: this.preAuth, openers: this.openers, metrics: this.metrics, audit: this.audit,
      logger: this.logger, logins: this.logins, amiHttp: this.amiHttp, extra: this.extraHttpMounts,
    });
  }

  private onConnection(socket: Duplex, conn: ConnectionInfo): void {
    this.openers.socket(socket, conn);
  }

  /** Every session notification: the registry's books, then audit and metrics. */
  observe(ev: SessionObservation): void {
    this.registry.track(ev);
    this.observer.observe(ev);
  }

  banner(): string {
    const b = this.config.general.banner;
    if (b !== 'auto') return b;
    const up = this.cluster.banner();
    return up !== undefined && parseBanner(up) !== undefined ? up : DEFAULT_BANNER;
  }

  fullyBooted(): { uptime: number; lastReload: number } | undefined {
    const b = this.booted;
    if (b) {
      const since = Math.floor((Date.now() - b.at) / 1000);
      return { uptime: b.uptime + since, lastReload: b.lastReload + since };
    }
    return { uptime: Math.floor((Date.now() - this.startedAt) / 1000), lastReload: Math.floor((Date.now() - this.lastReloadAt) / 1000) };
  }

  // --- upstream notifications -------------------------------------------------

  private noteBroadcast(event: AmiMessage, server: string): void {
    this.metrics.eventReceived(server);
    if (event.get('Event') === 'FullyBooted') {
      this.booted = { uptime: Number(event.get('Uptime') ?? 0) || 0, lastReload: Number(event.get('LastReload') ?? 0) || 0, at: Date.now() };
    }
  }

  private onServerState(server: string, ready: boolean, reason: string | undefined): void {
    this.metrics.upstreamState(server, ready);
    if (ready) {
      this.audit.upstreamUp({ upstream: server });
      const table = this.cluster.actionPrivileges(server);
      if (table) this.privileges.refresh(table, server);
      this.forwarding.unpark(server);
    } else {
      this.scopes.serverDown(server); // [scope] fail closed: its channels are unknown again
      this.audit.upstreamDown({ upstream: server, reason });
    }
    // A documented amigate event (docs/reliability.md) so system readers learn of the outage.
    const ev = AmiMessage.from([['Event', ready ? 'AmigateUpstreamUp' : 'AmigateUpstreamDown'], ['Privilege', 'system,all'], ['Server', server]]);
    if (!this.closing) this.fanout.publish(ev, server, undefined);
  }
}

export async function createProxy(config: Config, opts: ProxyOptions = {}): Promise<Proxy> {
  const p = new Proxy(config, opts);
  await p.start();
  return p;
}
