// N connections to one Asterisk. Exactly one of them is the event connection
// (logged in with `Events: on`); the others log in with `Events: off`, so each
// broadcast event arrives once (S17). Actions go to the ready connection with
// the fewest unanswered ones.
//
//   slot 0  [ready, events]  <- broadcast events, some actions
//   slot 1  [ready]          <- actions
//   slot 2  [waiting]        (backoff, then reconnect with Events: off)
//
// The event role is sticky: it moves only when its connection dies, to another
// ready one (`Action: Events / EventMask: on`), and a returning connection logs
// in with events off. Moving it back would need a moment with two event
// connections (duplicates) or none (a gap), so it stays where it is.
//
// The server is ready when a connection is usable, the event connection has
// booted (FullyBooted or bootTimeoutMs) and ListCommands has been read for this
// up-period (S12: module actions register their own privileges).

import type pino from 'pino';
import type { AmiMessage } from '../protocol/message.js';
import { parseListCommands, type ActionPrivilege } from '../protocol/list-commands.js';
import { AmigateError, UpstreamClosedError, UpstreamOverloadedError, UpstreamUnavailableError } from '../errors.js';
import type { ServerStats, UpstreamConfig, UpstreamListener, UpstreamRef } from './types.js';
import { UpstreamConnection, type ConnectionOwner } from './connection.js';
import type { Connector } from './connector.js';
import type { RetryDelay } from './backoff.js';

// The one ListCommands parser (an unknown class never becomes authority 0).
export { parseListCommands, type ActionPrivilege } from '../protocol/list-commands.js';

export interface PoolOptions {
  config: UpstreamConfig;
  listener: UpstreamListener;
  logger: pino.Logger;
  connector: Connector;
  retryDelay: RetryDelay;
  /** @default 1000 */
  maxPendingActions?: number;
  /** ms the event connection waits for FullyBooted. @default 2000 */
  bootTimeoutMs?: number;
  /** ms to wait for the ListCommands reply before declaring the server ready without it. @default 5000 */
  listCommandsTimeoutMs?: number;
  loginTimeoutMs?: number;
  closeTimeoutMs?: number;
  shutdownGraceMs?: number;
  md5?: boolean;
}

export class Pool implements ConnectionOwner {
  readonly name: string;
  readonly connections: readonly UpstreamConnection[];
  private readonly listener: UpstreamListener;
  private readonly logger: pino.Logger;
  private readonly maxPending: number;
  private readonly listTimeoutMs: number;
  private eventConn: UpstreamConnection | undefined;
  /** The event connection finished booting (or a promotion completed) since the server was last fully down. */
  private booted = false;
  private shuttingDown = false;
  private closed = false;
  /** Why the last connection went down: the reason serverState(false) gives. */
  private lastDown: string | undefined;
  /** Last readiness announced through serverState(). */
  private announced = false;
  /** ListCommands state for the current up-period. */
  private listing: 'no' | 'running' | 'done' = 'no';
  private commands: ReadonlyMap<string, ActionPrivilege> | undefined;
  private rr = 0;

  constructor(opts: PoolOptions) {
    this.name = opts.config.name;
    this.listener = opts.listener;
    this.logger = opts.logger;
    this.maxPending = opts.config.maxpendingactions ?? opts.maxPendingActions ?? 1000;
    this.listTimeoutMs = opts.listCommandsTimeoutMs ?? 5000;
    const n = Math.max(1, Math.floor(opts.config.connections || 1));
    const conns: UpstreamConnection[] = [];
    for (let id = 0; id < n; id++) {
      conns.push(new UpstreamConnection({
        config: opts.config,
        id,
        owner: this,
        logger: opts.logger.child({ conn: id }),
        connector: opts.connector,
        retryDelay: opts.retryDelay,
        ...(opts.bootTimeoutMs !== undefined ? { bootTimeoutMs: opts.bootTimeoutMs } : {}),
        ...(opts.loginTimeoutMs !== undefined ? { loginTimeoutMs: opts.loginTimeoutMs } : {}),
        ...(opts.closeTimeoutMs !== undefined ? { closeTimeoutMs: opts.closeTimeoutMs } : {}),
        ...(opts.shutdownGraceMs !== undefined ? { shutdownGraceMs: opts.shutdownGraceMs } : {}),
        ...(opts.md5 !== undefined ? { md5: opts.md5 } : {}),
      }));
    }
    this.connections = conns;
  }

  start(): void {
    for (const c of this.connections) c.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.evaluate();
    await Promise.all(this.connections.map((c) => c.close()));
  }

  isReady(): boolean { return this.announced; }

  /** The exact banner last received from this server. */
  get banner(): string | undefined {
    let best: UpstreamConnection | undefined;
    for (const c of this.connections) if (c.banner !== undefined && (best === undefined || c.generation > best.generation)) best = c;
    return best?.banner;
  }

  get actionPrivileges(): ReadonlyMap<string, ActionPrivilege> | undefined { return this.commands; }

  get pending(): number {
    let n = 0;
    for (const c of this.connections) n += c.pending;
    return n;
  }

  /**
   * Write a router action on the usable connection with the fewest unanswered
   * actions; on a tie, prefer one that does not carry the event stream (its
   * responses queue behind event writes in Asterisk's session thread), then
   * round-robin.
   */
  send(msg: AmiMessage): UpstreamRef {
    if (!this.announced) throw new UpstreamUnavailableError(`Upstream ${this.name} is not available`);
    const conns = this.connections;
    let total = 0;
    for (const c of conns) total += c.pending;
    if (total >= this.maxPending) throw new UpstreamOverloadedError();
    const n = conns.length;
    let best: UpstreamConnection | undefined;
    let bestScore = Infinity;
    let bestIndex = 0;
    for (let k = 0; k < n; k++) {
      const i = (this.rr + k) % n;
      const c = conns[i]!;
      if (!c.usable) continue;
      const score = c.pending * 2 + (c.events ? 1 : 0);
      if (score < bestScore) { best = c; bestScore = score; bestIndex = i; }
    }
    if (best === undefined) throw new UpstreamUnavailableError(`Upstream ${this.name} is not available`);
    this.rr = (bestIndex + 1) % n;
    return best.send(msg);
  }

  stats(): ServerStats {
    let ready = 0;
    let reconnects = 0;
    let pending = 0;
    const oversize = { 'line-too-long': 0, 'too-many-lines': 0 };
    const connections = this.connections.map((c) => {
      if (c.usable) ready++;
      reconnects += c.reconnects;
      pending += c.pending;
      oversize['line-too-long'] += c.oversize['line-too-long'];
      oversize['too-many-lines'] += c.oversize['too-many-lines'];
      return {
        id: c.id, generation: c.generation, status: c.status, pending: c.pending,
        events: c === this.eventConn, reconnects: c.reconnects, lastError: c.lastError?.message, oversize: { ...c.oversize },
      };
    });
    const loggedIn = this.connections.some((c) => c.status === 'booting' || c.status === 'ready');
    return {
      name: this.name,
      state: this.closed ? 'closed' : this.announced ? 'ready' : loggedIn ? 'booting' : 'down',
      ready: this.announced,
      connectionsReady: ready,
      connectionsTotal: this.connections.length,
      reconnects,
      pending,
      oversize,
      eventConnection: this.eventConn?.id ?? null,
      banner: this.banner,
      connections,
    };
  }

  // --- ConnectionOwner --------------------------------------------------------------

  claimEvents(conn: UpstreamConnection): boolean {
    if (this.closed) return false;
    if (this.eventConn === undefined) this.eventConn = conn;
    return this.eventConn === conn;
  }

  ready(conn: UpstreamConnection): void {
    if (conn === this.eventConn) this.booted = true;
    else if (this.eventConn === undefined) this.promote(conn);
    this.evaluate();
  }

  message(conn: UpstreamConnection, msg: AmiMessage): void {
    this.listener.message(msg, conn.ref);
  }

  down(conn: UpstreamConnection, ref: UpstreamRef, err: AmigateError, loggedIn: boolean): void {
    this.lastDown = err.message;
    if (conn === this.eventConn) {
      this.eventConn = undefined;
      if (!this.closed) {
        const next = this.connections.find((c) => c.usable);
        if (next) this.promote(next);
      }
    }
    // Clients get the documented `Upstream connection lost`; the specific reason stays in `cause` and the logs.
    if (loggedIn) this.listener.connectionDown(ref, new UpstreamClosedError(undefined, { cause: err }));
    this.evaluate();
  }

  shutdown(_conn: UpstreamConnection): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.lastDown = 'Asterisk shutting down';
    for (const c of this.connections) c.expectShutdown();
    this.evaluate();
  }

  // --- internals ------------------------------------------------------------------

  /** Make a ready connection the event connection (its predecessor is gone). */
  private promote(conn: UpstreamConnection): void {
    this.eventConn = conn;
    this.logger.info({ conn: conn.id }, 'event connection moved');
    conn.enableEvents((ok) => {
      if (this.eventConn !== conn) return;
      if (!ok) this.logger.warn({ conn: conn.id }, 'upstream did not confirm Events: on');
      this.booted = true;
      this.evaluate();
    });
  }

  /** Recompute readiness and announce changes. */
  private evaluate(): void {
    let usable: UpstreamConnection | undefined;
    let loggedIn = false;
    for (const c of this.connections) {
      if (c.usable && (usable === undefined || c === this.eventConn)) usable = c;
      if (c.status === 'booting' || c.status === 'ready' || c.status === 'closing') loggedIn = true;
    }
    if (!loggedIn) {
      // Everything is down: the next login must boot again (and Shutdown is over).
      this.booted = false;
      this.shuttingDown = false;
    }
    const up = !this.closed && !this.shuttingDown && this.booted && usable !== undefined;
    if (up && !this.announced) {
      if (this.listing === 'no') {
        this.listCommands(usable!); // its callback evaluates again
        return;
      }
      if (this.listing === 'running') return;
      this.announced = true;
      this.logger.info({ commands: this.commands?.size }, 'upstream server ready');
      this.listener.serverState(this.name, true);
    } else if (!up && this.announced) {
      this.announced = false;
      this.listing = 'no';
      const reason = this.closed ? 'closed by amigate' : this.lastDown;
      if (this.closed) this.logger.info('upstream server closed');
      else this.logger.warn({ reason }, 'upstream server not ready');
      this.listener.serverState(this.name, false, reason);
    } else if (!up && this.listing === 'done') {
      this.listing = 'no';
    }
  }

  /** Refresh the action -> privilege table (S12), then let evaluate() declare the server ready. */
  private listCommands(conn: UpstreamConnection): void {
    this.listing = 'running';
    conn.internal([['Action', 'ListCommands']], (reply, err) => {
      if (reply !== undefined && reply.get('Response')?.toLowerCase() === 'success') {
        this.commands = parseListCommands(reply);
      } else {
        this.logger.warn({ err: err?.message ?? reply?.get('Message') }, 'ListCommands failed; keeping the previous action privileges');
      }
      if (this.listing !== 'running') return;
      this.listing = 'done';
      this.evaluate();
    }, this.listTimeoutMs);
  }
}
