// The `cluster:` section: shared login state in Redis for several amigate
// instances (docs/shared-state.md). Its type, defaults, JSON Schema fragment
// (schema.ts adds it to the file's schema) and resolveCluster(), which load.ts
// calls to check the URL and resolve the password. Without the section nothing
// is shared and amigate behaves as a single instance.
//
//   cluster:
//     redis: rediss://amigate@redis.internal:6380/0
//     password: { env: AMIGATE_REDIS_PASSWORD }
//     leasettl: 30
//     redisdown: local

import { hostname } from 'node:os';

export interface ClusterConfig {
  /** redis:// or rediss:// URL, without the password when `password` is given. Never logged whole (redactRedisUrl). */
  readonly redis: string;
  /** Password from `password:` (literal, { env } or { file }), or the URL's; undefined = none. */
  readonly password: string | undefined;
  /** Prefix of every key amigate writes. @default 'amigate:' */
  readonly prefix: string;
  /** This instance's name in leases and the cluster view. @default '<hostname>-<pid>' */
  readonly instance: string;
  /** Seconds a session lease lives without renewal (renewed every leasettl/3). @default 30 */
  readonly leasettl: number;
  /** Logins while Redis is unreachable: 'local' counts per instance (with a warning and a metric), 'refuse' fails them. @default 'local' */
  readonly redisdown: 'local' | 'refuse';
  /** ms one Redis command may take before it counts as Redis being down. @default 500 */
  readonly timeout: number;
}

export const CLUSTER_DEFAULTS = { prefix: 'amigate:', leasettl: 30, redisdown: 'local', timeout: 500 } as const;

type Schema = Record<string, unknown>;
const D = CLUSTER_DEFAULTS;

export const CLUSTER_SCHEMA: Schema = {
  type: 'object', additionalProperties: false, required: ['redis'],
  description: 'Shared login state (lockouts, session limits, session list) in Redis for several amigate instances (docs/shared-state.md).',
  properties: {
    redis: { type: 'string', minLength: 1, description: 'redis://[user:password@]host:port/db or rediss:// (TLS).' },
    password: {
      expect: 'a string, { env: NAME } or { file: path }',
      description: 'Redis password (AUTH), instead of one in the URL.',
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'object', additionalProperties: false, required: ['env'], properties: { env: { type: 'string', minLength: 1 } } },
        { type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string', minLength: 1 } } },
      ],
    },
    prefix: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[!-~]+$', description: `Prefix of every key; default '${D.prefix}'.`, default: D.prefix },
    instance: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._-]+$', description: "This instance's name in leases and /sessions; default <hostname>-<pid>." },
    leasettl: { type: 'integer', minimum: 3, maximum: 3600, description: `Seconds a session lease lives without renewal; default ${D.leasettl}.`, default: D.leasettl },
    redisdown: { enum: ['local', 'refuse'], description: `Logins while Redis is unreachable: local = per-instance counts, refuse = Authentication failed; default ${D.redisdown}.`, default: D.redisdown },
    timeout: { type: 'integer', minimum: 50, maximum: 10000, description: `ms one Redis command may take; default ${D.timeout}.`, default: D.timeout },
  },
};

type Path = ReadonlyArray<string | number>;
type Json = Record<string, unknown>;

interface Resolver {
  problem(path: Path, message: string, keyOf?: string): void;
  warn(path: Path, message: string): void;
  secret(value: unknown, path: Path): Promise<string | undefined>;
}

/** The validated section (schema already applied), or undefined without one. */
export async function resolveCluster(c: Json | undefined, ctx: Resolver): Promise<ClusterConfig | undefined> {
  if (c === undefined) return undefined;
  const at = ['cluster'];
  const raw = String(c['redis']);
  let url: URL | undefined;
  try { url = new URL(raw); } catch { /* below */ }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    // The value may hold a password: never echo it.
    ctx.problem(at, 'must be a redis://host:port/db or rediss://host:port/db URL', 'redis');
    return undefined;
  }
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname)) ctx.problem(at, 'the path must be a database number (/0 ... /99)', 'redis');
  const inUrl = url.password !== '' ? decodeURIComponent(url.password) : undefined;
  let password = inUrl;
  if (c['password'] !== undefined) {
    if (inUrl !== undefined) ctx.problem(at, 'give the password either in the URL or in cluster.password, not both', 'password');
    password = await ctx.secret(c['password'], [...at, 'password']);
  }
  if (url.protocol === 'redis:' && !isLoopbackHost(url.hostname)) {
    ctx.warn([...at, 'redis'], `Redis at ${url.hostname} is reached without TLS: lockouts and the session list cross the network unencrypted (use rediss://)`);
  }
  if (password === undefined && !isLoopbackHost(url.hostname)) ctx.warn([...at, 'redis'], `Redis at ${url.hostname} is used without a password: anyone who reaches it can lift lockouts (docs/shared-state.md)`);
  url.password = '';
  return {
    redis: url.toString(),
    password,
    prefix: c['prefix'] as string,
    instance: (c['instance'] as string | undefined) ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '_')}-${process.pid}`,
    leasettl: c['leasettl'] as number,
    redisdown: c['redisdown'] as ClusterConfig['redisdown'],
    timeout: c['timeout'] as number,
  };
}

/** The URL for logs: scheme, host, port and db only (a password never leaves the config). */
export function redactRedisUrl(u: string): string {
  try {
    const url = new URL(u);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function isLoopbackHost(h: string): boolean {
  return h === 'localhost' || h === '[::1]' || h === '::1' || /^127\./.test(h);
}
