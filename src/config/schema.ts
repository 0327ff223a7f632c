// The amigate configuration: the typed, resolved, frozen `Config` every other
// module receives, the one DEFAULTS object, and the JSON Schema (ajv) the YAML
// file is validated against. Keys are lower-case and reuse manager.conf names
// where Asterisk has one (S30). Each section's type, defaults and schema
// fragment live in <section>-schema.ts; this file assembles them and owns the
// small admin: and log: sections. load.ts parses, validates, resolves secrets
// and paths, runs the semantic checks and deep-freezes the result.

import { LISTENER_DEFAULTS, LISTENER_SCHEMA, type ListenerConfig } from './listener-schema.js';
import { CLUSTER_SCHEMA, type ClusterConfig } from './cluster-schema.js';
import { GENERAL_DEFAULTS, GENERAL_SCHEMA, type GeneralConfig } from './general-schema.js';
import { UPSTREAM_DEFAULTS, UPSTREAMS_SCHEMA, type UpstreamConfig } from './upstream-schema.js';
import { SCOPE_DEFAULTS, USER_DEFAULTS, USERS_SCHEMA, type UserConfig } from './user-schema.js';
import { bool, int, obj, str, strList, type Schema } from './schema-helpers.js';

export type { HttpListenerConfig, ListenerConfig, ListenerTlsConfig } from './listener-schema.js';
export type { ClusterConfig } from './cluster-schema.js';
export type { GeneralConfig, LoginFailuresConfig } from './general-schema.js';
export type { UpstreamConfig, UpstreamTlsConfig } from './upstream-schema.js';
export type { CertificateBinding, FilterSpec, ScopeConfig, UserConfig } from './user-schema.js';

// --- resolved configuration (what the proxy receives) -------------------------

export interface AdminConfig {
  /** @default '127.0.0.1' */
  readonly bindaddr: string;
  /** @default 9189 */
  readonly port: number;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface LogConfig {
  /** @default 'info' */
  readonly level: LogLevel;
  /** Absolute path, or null for stdout. @default null */
  readonly file: string | null;
  /** @default false */
  readonly pretty: boolean;
  /** Extra patterns (case-insensitive) tested against `Name: value` of audited headers; a match is redacted. @default [] */
  readonly sensitive: readonly string[];
  /** Action headers an audit record keeps (case-insensitive names); null keeps every header. @default null */
  readonly auditheaders: readonly string[] | null;
  /** Which actions get an audit record: every one, only denied ones, or none (logins and sessions always do). @default 'all' */
  readonly auditactions: 'all' | 'denied' | 'none';
}

/** The validated, resolved and deep-frozen configuration. */
export interface Config {
  /** Absolute path of the file it came from (or the name given to parseConfig). */
  readonly file: string;
  readonly general: GeneralConfig;
  readonly listeners: readonly ListenerConfig[];
  readonly upstreams: readonly UpstreamConfig[];
  readonly admin: AdminConfig | undefined;
  readonly log: LogConfig;
  /** Keyed by the name as written; look users up through auth/user-store.ts (names are case-insensitive, as in Asterisk). */
  readonly users: Readonly<Record<string, UserConfig>>;
  /** Shared login state in Redis (docs/shared-state.md); undefined = this instance alone. */
  readonly cluster?: ClusterConfig | undefined;
}

export interface LoadedConfig {
  readonly config: Config;
  /** Findings that do not stop the proxy (e.g. an insecure listener), each naming its key. */
  readonly warnings: readonly string[];
  /** Line of a key path such as `listeners[1].tls.certfile` in the file (or of its nearest parent), for messages found after loading. */
  lineOf(key: string): number | undefined;
}

// --- defaults -------------------------------------------------------------------

/** The "intermediate" TLS 1.2 suites: forward-secret AEAD only (ECDHE with AES-GCM or ChaCha20-Poly1305; docs/tls.md). */
export { DEFAULT_CIPHERS } from './listener-schema.js';

/** Every default in one place; the schema and docs/config.md are built from these. */
export const DEFAULTS = {
  general: GENERAL_DEFAULTS,
  listener: LISTENER_DEFAULTS,
  upstream: UPSTREAM_DEFAULTS,
  admin: { bindaddr: '127.0.0.1', port: 9189 },
  log: { level: 'info', file: null, pretty: false, sensitive: [] as string[], auditheaders: null, auditactions: 'all' },
  user: USER_DEFAULTS,
  scope: SCOPE_DEFAULTS,
} as const;

// --- JSON Schema ------------------------------------------------------------------

export const CONFIG_SCHEMA: Schema = obj('The amigate configuration file.', {
  general: GENERAL_SCHEMA,

  listeners: {
    type: 'array', minItems: 1, description: 'Downstream listeners, AMI or HTTP (at least one).',
    items: LISTENER_SCHEMA,
  },

  upstreams: UPSTREAMS_SCHEMA,

  admin: obj('Optional HTTP listener for /metrics, /healthz and /readyz.', {
    bindaddr: str('Address of the admin HTTP listener.', { default: DEFAULTS.admin.bindaddr }),
    port: int('Port of the admin HTTP listener (0 = any free port).', 0, { maximum: 65535, default: DEFAULTS.admin.port }),
  }),

  cluster: CLUSTER_SCHEMA,

  log: obj('Logging.', {
    level: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], description: 'Lowest level written.', default: DEFAULTS.log.level },
    file: { type: ['string', 'null'], minLength: 1, description: 'Log file, relative to the config file; null = stdout.', default: DEFAULTS.log.file },
    pretty: bool('Human-readable lines instead of JSON.', { default: DEFAULTS.log.pretty }),
    sensitive: { ...strList('Extra patterns (JavaScript regexes, case-insensitive) tested against `Name: value` of audited headers; a match is redacted. Secret and Key always are.'), default: [] },
    auditheaders: {
      type: ['array', 'null'], items: { type: 'string', minLength: 1 },
      description: 'Action headers an audit record keeps (case-insensitive names); null keeps every header. Action and ActionID have their own fields.',
      default: DEFAULTS.log.auditheaders,
    },
    auditactions: { enum: ['all', 'denied', 'none'], description: 'Which actions get an audit record: all, only denied ones, or none (logins and sessions are always recorded).', default: DEFAULTS.log.auditactions },
  }, { default: {} }),

  users: USERS_SCHEMA,
}, { required: ['listeners', 'upstreams'] });
