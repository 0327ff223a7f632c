// Every configured Asterisk server, one Pool each. The router sends through
// send(servers, msg) in its order of preference; servers that are not ready
// are skipped. Packets, connection losses and server state changes go to the
// UpstreamListener the router implements (layers call downwards; see types.ts).

import type pino from 'pino';
import type { AmiMessage } from '../protocol/message.js';
import { ConfigInvalidError, UpstreamOverloadedError, UpstreamUnavailableError } from '../errors.js';
import type { ClusterStats, UpstreamConfig, UpstreamListener, UpstreamRef } from './types.js';
import { defaultConnector, type Connector } from './connector.js';
import { retryDelay as defaultRetryDelay, type RetryDelay } from './backoff.js';
import { Pool, type ActionPrivilege } from './pool.js';

export type { ClusterStats } from './types.js';

export interface ClusterOptions {
  logger: pino.Logger;
  /** Opens the byte stream to a server. @default defaultConnector (net/tls) */
  connector?: Connector;
  /** Delay before reconnect attempt n (0-based); null gives up. @default 100 ms base, 10 s cap, full jitter */
  retryDelay?: (attempt: number) => number | null;
  /** ms the event connection waits for FullyBooted before the server is ready anyway. @default 2000 */
  readyTimeoutMs?: number;
  /** Router actions in flight per server before send() throws UpstreamOverloadedError (a server's `maxpendingactions` wins). @default 1000 */
  maxPendingActions?: number;
  /** ms from connect to a successful Login before the attempt is abandoned. @default 10000 */
  loginTimeoutMs?: number;
  /** ms to wait for the ListCommands reply at each server (re)login. @default 5000 */
  listCommandsTimeoutMs?: number;
  /** ms close() waits for Goodbye before destroying sockets. @default 1000 */
  closeTimeoutMs?: number;
  /** ms after `Event: Shutdown` before sockets Asterisk has not closed are destroyed. @default 5000 */
  shutdownGraceMs?: number;
  /** Log in with an MD5 Challenge first (plain Secret when refused). @default true */
  md5?: boolean;
}

export class Cluster {
  private readonly pools = new Map<string, Pool>();
  private readonly order: Pool[] = [];
  private readonly logger: pino.Logger;
  private started = false;

  constructor(configs: readonly UpstreamConfig[], listener: UpstreamListener, opts: ClusterOptions) {
    this.logger = opts.logger;
    const connector = opts.connector ?? defaultConnector;
    const retryDelay: RetryDelay = opts.retryDelay ?? defaultRetryDelay;
    for (const config of configs) {
      if (this.pools.has(config.name)) {
        throw new ConfigInvalidError('upstreams', [{ file: 'upstreams', line: undefined, key: `upstreams.${config.name}`, message: 'duplicate upstream name' }]);
      }
      const pool = new Pool({
        config, listener, connector, retryDelay,
        logger: opts.logger.child({ upstream: config.name }),
        ...(opts.maxPendingActions !== undefined ? { maxPendingActions: opts.maxPendingActions } : {}),
        ...(opts.readyTimeoutMs !== undefined ? { bootTimeoutMs: opts.readyTimeoutMs } : {}),
        ...(opts.listCommandsTimeoutMs !== undefined ? { listCommandsTimeoutMs: opts.listCommandsTimeoutMs } : {}),
        ...(opts.loginTimeoutMs !== undefined ? { loginTimeoutMs: opts.loginTimeoutMs } : {}),
        ...(opts.closeTimeoutMs !== undefined ? { closeTimeoutMs: opts.closeTimeoutMs } : {}),
        ...(opts.shutdownGraceMs !== undefined ? { shutdownGraceMs: opts.shutdownGraceMs } : {}),
        ...(opts.md5 !== undefined ? { md5: opts.md5 } : {}),
      });
      this.pools.set(config.name, pool);
      this.order.push(pool);
    }
  }

  /** Connect every connection of every server; each reconnects with backoff until close(). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.logger.info({ upstreams: this.order.map((p) => p.name) }, 'connecting upstreams');
    for (const p of this.order) p.start();
  }

  /** Log off politely, close every socket, stop every timer. */
  async close(): Promise<void> {
    await Promise.all(this.order.map((p) => p.close()));
  }

  /**
   * Write an action on a ready connection of the first ready server in
   * `servers`. Throws UpstreamUnavailableError when none is ready, or
   * UpstreamOverloadedError when every ready one is at maxPendingActions.
   */
  send(servers: readonly string[], msg: AmiMessage): UpstreamRef {
    let overloaded: UpstreamOverloadedError | undefined;
    for (const name of servers) {
      const pool = this.pools.get(name);
      if (pool === undefined || !pool.isReady()) continue;
      try {
        return pool.send(msg);
      } catch (err) {
        if (err instanceof UpstreamOverloadedError) overloaded = err;
        else if (!(err instanceof UpstreamUnavailableError)) throw err;
      }
    }
    // Name the servers: the client learns which of its upstreams is down.
    throw overloaded ?? new UpstreamUnavailableError(`Upstream ${servers.join(', ')} is not available`);
  }

  isReady(server: string): boolean {
    return this.pools.get(server)?.isReady() ?? false;
  }

  /** Exact banner line of `server`, or of the first configured server that has sent one. */
  banner(server?: string): string | undefined {
    if (server !== undefined) return this.pools.get(server)?.banner;
    for (const p of this.order) {
      const b = p.banner;
      if (b !== undefined) return b;
    }
    return undefined;
  }

  /** Action (lower-case) -> required classes, from the server's own ListCommands; undefined before its first login. */
  actionPrivileges(server: string): ReadonlyMap<string, ActionPrivilege> | undefined {
    return this.pools.get(server)?.actionPrivileges;
  }

  stats(): ClusterStats {
    return { servers: this.order.map((p) => p.stats()) };
  }
}
