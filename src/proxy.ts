// Composition root: builds every component from a frozen Config, implements
// the services a session needs (auth, policy, forwarding, filters), wires the
// router to fan-out, and turns lifecycle notifications into audit records and
// metrics. start() opens upstreams, listeners and the admin port; close()
// drains in Asterisk's order (stop accepting, finish in-flight actions up to a
// deadline, Event: Shutdown to system readers, close).

import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import type pino from 'pino';
import { AmiMessage } from './protocol/message.js';
import { DEFAULT_BANNER, parseBanner } from './protocol/banner.js';
import { Router, type ReplyHandler } from './router/router.js';
import { Fanout } from './fanout/fanout.js';
import { Cluster } from './upstream/cluster.js';
import type { Connector } from './upstream/connector.js';
import { Listener, type ListenerTls } from './downstream/listener.js';
import {
  Session, type ConnectionInfo, type Decision, type LoginResult, type SessionFilters,
  type SessionObservation, type SessionServices, type SessionUser,
} from './downstream/session.js';
import type { SessionHandle } from './session/services.js';
import type { Config, ListenerTlsConfig, LogConfig } from './config/schema.js';
import { UserStore, type UserRecord } from './auth/user-store.js';
import { Authenticator, LoginThrottle, certificateMatches } from './auth/authenticator.js';
import { ActionPrivilegeTable } from './policy/action-privileges.js';
import { decideAction } from './policy/action-policy.js';
import { filterListCommands } from './policy/list-commands.js';
import { compileFilter, EventFilterSet, type FilterSpec } from './policy/event-filter.js';
import { createLogger } from './observability/logger.js';
import { Audit, type AuditOptions } from './observability/audit.js';
import { Metrics } from './observability/metrics.js';
import { startAdminServer, type AdminServer } from './observability/http.js';
import { UpstreamOverloadedError, UpstreamUnavailableError, type AmigateError } from './errors.js';

/** An action held by general.upstreamwait until one of its servers is ready. */
interface Parked {
  session: number;
  msg: AmiMessage;
  servers: readonly string[];
  handler: ReplyHandler;
  timer: NodeJS.Timeout;
}

export interface ProxyOptions {
  logger?: pino.Logger;
  connector?: Connector;
  /** ms close() waits for in-flight actions. @default 5000 */
  drainTimeoutMs?: number;
}

export class Proxy implements SessionServices {
  config: Config;
  readonly logger: pino.Logger;
  readonly metrics: Metrics;
  readonly audit: Audit;
  readonly router: Router;
  readonly fanout = new Fanout();
  readonly cluster: Cluster;
  readonly listeners: Listener[] = [];
  private admin: AdminServer | undefined;
  private users: UserStore;
  private readonly authenticator: Authenticator;
  private throttle: LoginThrottle;
  private readonly privileges = new ActionPrivilegeTable();
  private readonly sessions = new Map<number, SessionHandle>();
  private readonly byUser = new Map<string, Set<SessionHandle>>();
  private unauthenticated = 0;
  private nextSessionId = 0;
  private readonly startedAt = Date.now();
  private lastReloadAt = Date.now();
  private booted: { uptime: number; lastReload: number; at: number } | undefined;
  private readonly drainTimeoutMs: number;
  private readonly parked = new Set<Parked>();
  private closing = false;

  constructor(config: Config, opts: ProxyOptions = {}) {
    this.config = config;
    this.logger = opts.logger ?? createLogger({ level: config.log.level, ...(config.log.file ? { file: config.log.file } : {}), pretty: config.log.pretty });
    this.metrics = new Metrics({ listeners: config.listeners.map((l) => l.name), upstreams: config.upstreams.map((u) => u.name) });
    this.audit = new Audit(this.logger, auditOptions(config.log));
    this.users = new UserStore(config);
    this.authenticator = new Authenticator();
    this.throttle = new LoginThrottle(config.general.loginfailures);
    this.drainTimeoutMs = opts.drainTimeoutMs ?? config.general.draintimeout;
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
    this.metrics.setStatsSource(() => ({
      pending: this.router.pendingCount, cluster: this.cluster.stats(), sessions: this.sessions.size, fanout: this.fanout.stats,
      // Scrape time only: one pass over the sessions, nothing per event.
      sessionQueueBytesMax: () => { let max = 0; for (const x of this.sessions.values()) max = Math.max(max, x.queuedBytes); return max; },
    }));
  }

  // --- lifecycle --------------------------------------------------------------

  async start(): Promise<void> {
    this.cluster.start();
    for (const l of this.config.listeners) {
      const listener = new Listener({
        name: l.name,
        host: l.bindaddr,
        port: l.port,
        ...(l.tls ? { tls: await readListenerTls(l.tls) } : {}),
        handshakeTimeoutMs: this.config.general.authtimeout * 1000,
        maxConnections: this.config.general.maxconnections,
        maxConnectionsPerIp: this.config.general.maxconnectionsperip,
        admit: () => this.unauthenticated < this.config.general.authlimit,
        onConnection: (socket, info) => this.onConnection(socket, info),
        onRejected: (reason, remote) => {
          this.metrics.connectionRejected(l.name, reason);
          this.audit.connectionRejected({ remote, listener: l.name, reason });
        },
      });
      await listener.listen();
      this.listeners.push(listener);
      this.logger.info({ listener: l.name, address: listener.address, tls: !!l.tls }, 'listening');
    }
    if (this.config.admin) {
      this.admin = await startAdminServer({
        host: this.config.admin.bindaddr,
        port: this.config.admin.port,
        metrics: this.metrics,
        health: () => ({ live: !this.closing }),
        ready: () => {
          const servers = this.config.upstreams.map((u) => ({ name: u.name, ready: this.cluster.isReady(u.name) }));
          return { ready: !this.closing && servers.some((s) => s.ready), detail: { upstreams: servers } };
        },
      });
      this.logger.info({ admin: `${this.config.admin.bindaddr}:${this.admin.port}` }, 'admin listening');
    }
  }

  get adminPort(): number | undefined { return this.admin?.port; }

  /** Graceful stop: stop accepting, let in-flight actions finish, Event: Shutdown, close. */
  async close(reason = 'shutdown'): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.logger.info({ reason }, 'draining');
    await Promise.all(this.listeners.map((l) => l.stopAccepting()));
    const deadline = Date.now() + this.drainTimeoutMs;
    while (this.router.pendingCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // main/asterisk.c: Event: Shutdown (system class) to every session that may read it (S28).
    const shutdown = AmiMessage.from([['Event', 'Shutdown'], ['Privilege', 'system,all'], ['Shutdown', 'Cleanly'], ['Restart', 'False']]);
    for (const s of this.sessions.values()) {
      const sees = s.status === 'ready' && (s.readMask & 1) === 1 && (s.sendMask & 1) === 1;
      s.shutdown(sees ? shutdown : undefined, 'shutdown');
    }
    await new Promise((r) => setTimeout(r, 50));
    for (const s of this.sessions.values()) s.destroy('shutdown');
    for (const l of this.listeners) l.destroyAll();
    await this.cluster.close();
    await this.admin?.close();
    this.logger.info('stopped');
    this.logger.flush?.();
  }

  /** Apply a new config: users, policies and certificates, without dropping sessions. */
  async reload(next: Config): Promise<void> {
    const prev = this.config;
    // Everything that can fail (files, certificates) is read before anything changes,
    // so a reload either applies whole or leaves the running configuration alone.
    const users = new UserStore(next);
    const contexts: Array<[Listener, ListenerTls | undefined]> = [];
    for (const l of next.listeners) {
      const listener = this.listeners.find((x) => x.name === l.name);
      if (listener) contexts.push([listener, l.tls ? await readListenerTls(l.tls) : undefined]);
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
    this.throttle = new LoginThrottle(next.general.loginfailures);
    this.lastReloadAt = Date.now();
    for (const s of this.sessions.values()) {
      if (!s.user) continue;
      const rec = users.get(s.user.name);
      if (!rec) { s.end('user-removed'); continue; }
      if (sameEntry(prev, next, s.user.name)) { s.updateUser(this.sessionUser(rec)); continue; }
      // A changed user: the new rules apply to this session too, or it ends (general.reloadsessions).
      if (next.general.reloadsessions === 'close') s.end('user-changed');
      else if (!rec.acl.allows(s.conn.remoteAddress) || (rec.certificate && !certificateMatches(rec.certificate, s.conn.tls))) s.end('user-changed');
      else s.updateUser(this.sessionUser(rec));
    }
    this.logger.info({ users: users.size }, 'configuration reloaded');
  }

  // --- sessions ---------------------------------------------------------------

  private onConnection(socket: Duplex, conn: ConnectionInfo): void {
    if (this.closing) { socket.destroy(); return; }
    const id = ++this.nextSessionId;
    const session = new Session(id, socket, this, conn);
    this.sessions.set(id, session);
    this.unauthenticated++;
    this.metrics.connectionOpened(conn.listener);
    this.audit.connectionOpened({ session: id, remote: `${conn.remoteAddress}:${conn.remotePort}`, listener: conn.listener });
    if (conn.tls) this.audit.tlsHandshake({ session: id, remote: `${conn.remoteAddress}:${conn.remotePort}`, listener: conn.listener, tls: { protocol: conn.tls.protocol, cipher: conn.tls.cipher, subject: conn.tls.subject, fingerprint256: conn.tls.fingerprint256, authorized: conn.tls.authorized } });
    session.start();
  }

  observe(ev: SessionObservation): void {
    const s = ev.session;
    const base = { session: s.id, remote: `${s.conn.remoteAddress}:${s.conn.remotePort}`, listener: s.conn.listener };
    switch (ev.type) {
      case 'login-ok': {
        this.unauthenticated--;
        const user = s.user!;
        let set = this.byUser.get(user.name);
        if (!set) this.byUser.set(user.name, (set = new Set()));
        set.add(s);
        this.fanout.add(s);
        this.metrics.login('success');
        this.audit.loginSucceeded({ ...base, user: user.name });
        break;
      }
      case 'login-failed':
        this.metrics.login(ev.reason);
        this.audit.loginFailed({ ...base, user: ev.username, reason: ev.reason });
        break;
      case 'action':
        this.metrics.action(ev.action, ev.result, ev.latencyMs / 1000 - (ev.upstreamMs ?? 0) / 1000, ev.upstreamMs !== undefined ? ev.upstreamMs / 1000 : undefined);
        if (this.audit.wantsAction(ev.result)) this.audit.action({
          ...base, user: s.user?.name, action: ev.action, headers: ev.msg.entries(), result: ev.result,
          ...(ev.rule ? { rule: ev.rule } : {}), ...(ev.upstream ? { upstream: ev.upstream } : {}),
          latencyMs: round(ev.latencyMs), ...(ev.upstreamMs !== undefined ? { upstreamMs: round(ev.upstreamMs) } : {}),
        });
        break;
      case 'limit':
        this.metrics.limitHit(ev.limit);
        break;
      case 'event':
        this.audit.eventDelivered({ ...base, user: s.user?.name, event: ev.event, privilege: ev.privilege });
        break;
      case 'slow-consumer':
        this.metrics.slowConsumer();
        this.audit.slowConsumerDropped({ ...base, user: s.user?.name, queuedBytes: ev.queuedBytes, reason: ev.reason });
        break;
      case 'closed': {
        this.sessions.delete(s.id);
        this.fanout.remove(s.id);
        this.router.dropSession(s.id);
        for (const p of this.parked) if (p.session === s.id) { clearTimeout(p.timer); this.parked.delete(p); }
        if (s.user) this.byUser.get(s.user.name)?.delete(s);
        else this.unauthenticated--;
        this.metrics.connectionClosed(s.conn.listener);
        this.metrics.queueHighWater(s.queueHighWater);
        if (ev.eventsDropped > 0) this.metrics.eventDropped(ev.dropReason, ev.eventsDropped);
        this.audit.sessionClosed({ ...base, user: s.user?.name, cause: ev.cause, durationMs: Date.now() - s.openedAt });
        break;
      }
    }
  }

  banner(): string {
    const b = this.config.general.banner;
    if (b !== 'auto') return b;
    const up = this.cluster.banner();
    return up !== undefined && parseBanner(up) !== undefined ? up : DEFAULT_BANNER;
  }

  get authTimeoutMs(): number { return this.config.general.authtimeout * 1000; }
  get maxQueueBytes(): number { return this.config.general.maxqueuebytes; }
  get maxPendingActions(): number { return this.config.general.maxpendingactions; }
  get maxLineBytes(): number { return this.config.general.maxlinebytes; }
  get maxHeaders(): number { return this.config.general.maxheaders; }

  async login(req: { username: string; secret?: string; key?: string; challenge?: string; conn: ConnectionInfo; sessionId: number }): Promise<LoginResult> {
    // auth/authenticator.ts makes the decision; every failure there costs the same scrypt.
    const out = await this.authenticator.login({
      username: req.username, secret: req.secret, key: req.key, challenge: req.challenge,
      remoteAddress: req.conn.remoteAddress, tls: req.conn.tls,
      activeSessions: (rec) => this.byUser.get(rec.name)?.size ?? 0,
    }, this.users, this.throttle);
    if (!out.ok) return { ok: false, reason: out.reason, reply: out.reason === 'session-limit' ? 'Login Already In Use' : 'Authentication failed' };
    return { ok: true, user: this.sessionUser(out.user) };
  }

  challengeAllowed(username: string | undefined): boolean {
    if (!username) return true;
    const rec = this.users.get(username);
    if (!rec || rec.allowMultipleLogin) return true;
    return (this.byUser.get(rec.name)?.size ?? 0) === 0;
  }

  private sessionUser(rec: UserRecord): SessionUser {
    return {
      name: rec.name,
      readMask: rec.read,
      writeMask: rec.write,
      servers: rec.upstreams ? new Set(rec.upstreams) : undefined,
      serverHeader: rec.serverHeader,
      logEvents: rec.logEvents,
      writeTimeoutMs: rec.writeTimeoutMs,
      record: rec,
    };
  }

  decide(user: SessionUser, msg: AmiMessage): Decision {
    const rec = user.record as UserRecord;
    // A `Server:` header picks one of the user's upstreams and is stripped (as AstManProxy does).
    const server = msg.get('Server');
    let servers: readonly string[] | undefined;
    if (server !== undefined) {
      if (!this.serversFor(user).includes(server)) return { allow: false, rule: 'upstreams', message: `Permission denied: upstreams (${server})` };
      msg.delete('Server');
      servers = [server];
    }
    const d = decideAction(rec, msg, this.privileges);
    if (!d.allow) return { allow: false, rule: d.rule, message: d.message };
    return servers ? { allow: true, servers } : { allow: true };
  }

  compileFilters(user: SessionUser, extra: ReadonlyArray<FilterSpec>): SessionFilters {
    const rec = user.record as UserRecord;
    const set = new EventFilterSet();
    for (const spec of rec.eventfilter) set.add(compileFilter(spec));
    for (const spec of extra) set.add(compileFilter(spec));
    return set;
  }

  checkFilter(spec: FilterSpec): void { compileFilter(spec); }

  forward(session: { readonly id: number }, msg: AmiMessage, servers: readonly string[], handler: ReplyHandler): void {
    if (servers.length === 0) throw new UpstreamUnavailableError();
    const wait = this.config.general.upstreamwait;
    if (wait > 0 && !servers.some((s) => this.cluster.isReady(s))) {
      // general.upstreamwait: hold the action until one of its servers is back, or answer an error.
      const entry: Parked = {
        session: session.id, msg, servers, handler,
        timer: setTimeout(() => {
          this.parked.delete(entry);
          handler.done('error', { upstream: servers[0]!, upstreamMs: 0, err: new UpstreamUnavailableError(`Upstream ${servers.join(', ')} is not available`) });
        }, wait),
      };
      this.parked.add(entry);
      return;
    }
    try {
      this.router.forward(session.id, msg, servers, handler);
    } catch (err) {
      if (err instanceof UpstreamOverloadedError) this.metrics.limitHit('upstream-maxpendingactions');
      throw err;
    }
  }

  /** Send the actions parked for `server` now that it is ready. */
  private unpark(server: string): void {
    for (const p of this.parked) {
      if (!p.servers.includes(server)) continue;
      this.parked.delete(p);
      clearTimeout(p.timer);
      try {
        this.router.forward(p.session, p.msg, p.servers, p.handler);
      } catch (err) {
        p.handler.done('error', { upstream: server, upstreamMs: 0, err: err as AmigateError });
      }
    }
  }

  filterListCommands(user: SessionUser, response: AmiMessage): AmiMessage {
    return filterListCommands(user.record as UserRecord, response, this.privileges);
  }

  serversFor(user: SessionUser): readonly string[] {
    const rec = user.record as UserRecord;
    return rec.upstreams ?? this.config.upstreams.map((u) => u.name);
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
      if (table) this.privileges.refresh(table);
      this.unpark(server);
    } else {
      this.audit.upstreamDown({ upstream: server, reason });
    }
    // A documented amigate event (docs/reliability.md) so system readers learn of the outage.
    const ev = AmiMessage.from([['Event', ready ? 'AmigateUpstreamUp' : 'AmigateUpstreamDown'], ['Privilege', 'system,all'], ['Server', server]]);
    if (!this.closing) this.fanout.publish(ev, server, undefined);
  }
}

/** Is a user's entry the same in both configs (names are case-insensitive)? */
function sameEntry(a: Config, b: Config, name: string): boolean {
  const entry = (c: Config) => {
    const key = Object.keys(c.users).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : JSON.stringify(c.users[key]);
  };
  return entry(a) === entry(b);
}

function round(ms: number): number { return Math.round(ms * 1000) / 1000; }

/** The audit settings of `log:`; applied at start and on every reload. */
function auditOptions(log: LogConfig): AuditOptions {
  return {
    sensitive: log.sensitive.map((src) => new RegExp(src, 'i')),
    headers: log.auditheaders ?? undefined,
    actions: log.auditactions,
  };
}

/** A listener's certificate, key and CA read from disk, with its TLS settings; the same at start and on reload. */
async function readListenerTls(t: ListenerTlsConfig): Promise<ListenerTls> {
  return {
    cert: await readFile(t.certfile),
    key: await readFile(t.privatekey),
    ...(t.cafile ? { ca: await readFile(t.cafile) } : {}),
    verifyClient: t.verifyclient,
    minVersion: t.minversion,
  };
}

/**
 * Keys a reload cannot apply to a running process (docs/operations.md): listener
 * addresses, added or removed listeners, upstreams, the admin port and the log
 * output. Listed so the operator is told, not silently ignored.
 */
function restartOnlyChanges(a: Config, b: Config): string[] {
  const out: string[] = [];
  const addr = (c: Config) => JSON.stringify(c.listeners.map((l) => [l.name, l.bindaddr, l.port]));
  if (addr(a) !== addr(b)) out.push('listeners');
  if (JSON.stringify(a.upstreams) !== JSON.stringify(b.upstreams)) out.push('upstreams');
  if (JSON.stringify(a.admin) !== JSON.stringify(b.admin)) out.push('admin');
  for (const k of ['level', 'file', 'pretty'] as const) if (a.log[k] !== b.log[k]) out.push(`log.${k}`);
  return out;
}

export async function createProxy(config: Config, opts: ProxyOptions = {}): Promise<Proxy> {
  const p = new Proxy(config, opts);
  await p.start();
  return p;
}
