// The one Redis connection of an instance (ioredis), set up to fail fast: no
// offline queue (a command while disconnected fails at once instead of waiting
// for a reconnect), a short command timeout, and reconnects every 0.1-2 s
// forever. Tracks up/down, logs each change once, and tells its listeners
// (shared-state.ts re-registers leases when Redis comes back). The password is
// given to ioredis apart from the URL and never logged.

import { Redis } from 'ioredis';
import type pino from 'pino';
import { redactRedisUrl, type ClusterConfig } from '../config/cluster-schema.js';

export type RedisState = 'up' | 'down';

/** A Lua script run with EVALSHA (EVAL once when Redis does not know it yet, e.g. after a restart). */
export interface LuaScript { readonly name: string; readonly keys: number; readonly lua: string }

export class RedisLink {
  readonly client: Redis;
  private current: RedisState = 'down';
  private readonly listeners: Array<(state: RedisState) => void> = [];
  private readonly logger: pino.Logger;
  private readonly where: string;
  private closed = false;

  constructor(cfg: ClusterConfig, logger: pino.Logger, scripts: readonly LuaScript[]) {
    this.logger = logger;
    this.where = redactRedisUrl(cfg.redis);
    // From the parts, not the URL string: ioredis lets a URL's (empty) password override the option.
    const url = new URL(cfg.redis);
    this.client = new Redis({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? 6379 : Number(url.port),
      db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
      ...(url.username !== '' ? { username: decodeURIComponent(url.username) } : {}),
      ...(cfg.password !== undefined ? { password: cfg.password } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      lazyConnect: true,
      enableOfflineQueue: false,
      commandTimeout: cfg.timeout,
      connectTimeout: Math.max(1000, cfg.timeout * 2),
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(100 * times, 2000),
      enableAutoPipelining: true,
    });
    for (const s of scripts) this.client.defineCommand(s.name, { numberOfKeys: s.keys, lua: s.lua });
    this.client.on('ready', () => this.set('up'));
    this.client.on('close', () => this.set('down'));
    // ioredis emits 'error' for every failed (re)connect; the state change is logged once instead.
    this.client.on('error', (err: Error) => { if (this.current === 'up') this.logger.debug({ err: err.message }, 'redis error'); });
  }

  get state(): RedisState { return this.current; }

  /** Called on every change of state. */
  onState(fn: (state: RedisState) => void): void { this.listeners.push(fn); }

  /** Connect, waiting at most `ms` for the first connection; amigate starts either way (down = the redisdown policy). */
  async start(ms: number): Promise<void> {
    const first = new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref?.();
      this.client.once('ready', () => { clearTimeout(t); resolve(); });
    });
    this.client.connect().catch(() => { /* retried by retryStrategy; the state says down */ });
    await first;
    if (this.current === 'down') this.logger.warn({ redis: this.where }, 'redis unreachable at start: logins follow cluster.redisdown until it is');
  }

  /** Run a script defined at construction. */
  run(name: string, args: ReadonlyArray<string | number>): Promise<unknown> {
    const fn = (this.client as unknown as Record<string, (...a: Array<string | number>) => Promise<unknown>>)[name];
    if (typeof fn !== 'function') return Promise.reject(new Error(`no script ${name}`));
    return fn.apply(this.client, [...args]);
  }

  /** QUIT after the commands already sent (a stop's lease releases), bounded by the command timeout; then disconnect. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    if (this.client.status === 'ready') {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([
        this.client.quit().catch(() => undefined),
        new Promise<void>((resolve) => { t = setTimeout(resolve, timeoutMs); }),
      ]);
      clearTimeout(t);
    }
    this.client.disconnect(false);
  }

  private set(state: RedisState): void {
    if (state === this.current || (this.closed && state === 'up')) return;
    this.current = state;
    if (!this.closed) {
      if (state === 'up') this.logger.info({ redis: this.where }, 'redis up: login state is shared');
      else this.logger.warn({ redis: this.where }, 'redis down');
    }
    for (const fn of this.listeners) fn(state);
  }
}
