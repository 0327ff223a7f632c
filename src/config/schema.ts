// The amigate configuration: the typed, resolved, frozen `Config` every other
// module receives, the one DEFAULTS object, and the JSON Schema (ajv) the YAML
// file is validated against. Keys are lower-case and reuse manager.conf names
// where Asterisk has one (S30). load.ts parses, validates, resolves secrets and
// paths, runs the semantic checks and deep-freezes the result.

import { LISTENER_DEFAULTS, LISTENER_SCHEMA, type ListenerConfig } from './listener-schema.js';
import { CLUSTER_SCHEMA, type ClusterConfig } from './cluster-schema.js';

export type { HttpListenerConfig, ListenerConfig, ListenerTlsConfig } from './listener-schema.js';
export type { ClusterConfig } from './cluster-schema.js';

// --- resolved configuration (what the proxy receives) -------------------------

/** Event filter as written in users.*.eventfilter (S20): legacy "[!]regex" or the advanced form. */
export type FilterSpec = string | { readonly matchcriteria: string; readonly filter: string };

/** [general]: proxy-wide limits and the defaults users inherit. */
export interface GeneralConfig {
  /** 'auto' relays the upstream's banner (S1); otherwise a literal `Asterisk Call Manager/<version>`. @default 'auto' */
  readonly banner: string;
  /** Seconds an unauthenticated session may stay open (manager.conf authtimeout, S7). @default 30 */
  readonly authtimeout: number;
  /** Unauthenticated sessions at once; more are closed without a banner (authlimit, S1/S7). @default 50 */
  readonly authlimit: number;
  /** Unauthenticated sessions from one source address (IPv6: one /64); more are closed without a banner. amigate's own. @default 10 */
  readonly authlimitperip: number;
  /** Default of users.*.allowmultiplelogin (S10). @default true */
  readonly allowmultiplelogin: boolean;
  /** Default of users.*.displayconnects. @default true */
  readonly displayconnects: boolean;
  /** Milliseconds an upstream action may take before the client gets an error. @default 30000 */
  readonly actiontimeout: number;
  /** Per session: actions queued plus in flight. @default 100 */
  readonly maxpendingactions: number;
  /** Downstream connections in total. @default 10000 */
  readonly maxconnections: number;
  /** Downstream connections per source address. @default 200 */
  readonly maxconnectionsperip: number;
  /** Default of users.*.writetimeout in ms (S27). @default 1000 */
  readonly writetimeout: number;
  /** Bytes a session's output queue may hold before the client is dropped. @default 1048576 */
  readonly maxqueuebytes: number;
  /** Request line buffer (Asterisk's inbuf, S3); at most 1024, Asterisk's own. @default 1024 */
  readonly maxlinebytes: number;
  /** Lines per request (AST_MAX_MANHEADERS, S4); at most 128, Asterisk's own. @default 128 */
  readonly maxheaders: number;
  /** Failed-login lockout, counted per source address and per user name. */
  readonly loginfailures: LoginFailuresConfig;
  /** ms an action may wait for an upstream that is down; 0 = answer an error at once. @default 0 */
  readonly upstreamwait: number;
  /** ms a graceful stop (SIGTERM) waits for in-flight actions. @default 5000 */
  readonly draintimeout: number;
  /** Seconds a graceful stop keeps serving with /readyz at 503 before it stops accepting (behind a load balancer). @default 0 */
  readonly drainreadydelay: number;
  /** On reload, live sessions of a changed user: 'update' applies the new rights at once, 'close' ends them. Removed users are always closed. @default 'update' */
  readonly reloadsessions: 'update' | 'close';
}

export interface LoginFailuresConfig {
  /** Failures within `window` that trigger a lockout; 0 disables the lockout. @default 5 */
  readonly maxfailures: number;
  /** Sliding window in seconds. @default 60 */
  readonly window: number;
  /** Lockout length in seconds. @default 300 */
  readonly lockout: number;
}

export interface UpstreamTlsConfig {
  readonly cafile?: string;
  readonly servername?: string;
  /** @default true */
  readonly rejectunauthorized: boolean;
}

/** One Asterisk server (structurally the upstream layer's UpstreamConfig). */
export interface UpstreamConfig {
  /** @default '<host>:<port>' */
  readonly name: string;
  readonly host: string;
  /** @default 5038 */
  readonly port: number;
  readonly username: string;
  /** Resolved from a literal, { env } or { file }. */
  readonly secret: string;
  /** Pool size. @default 2 */
  readonly connections: number;
  readonly tls?: UpstreamTlsConfig;
  /** Seconds between keepalive Pings; 0 = off. @default 10 */
  readonly keepalive: number;
  /** Missed Pings before the connection is declared dead. @default 3 */
  readonly keepalivemisses: number;
  /** Actions in flight on this server before new ones fail fast. @default the upstream layer's (1000) */
  readonly maxpendingactions?: number;
  /** Bytes of one line from this server; a longer line is discarded and the packet flagged. @default 1048576 */
  readonly maxlinebytes: number;
  /** Lines of one packet from this server; the excess is discarded and the packet flagged. @default 100000 */
  readonly maxheaders: number;
  /** ms the event connection waits for FullyBooted after login before the server is ready anyway. @default 2000 */
  readonly boottimeout: number;
}

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

export interface CertificateBinding {
  /** Exact subject as `CN=crm,O=Example` (attribute order as in the certificate). */
  readonly subject?: string;
  /** SHA-256 fingerprint, upper-case `AB:CD:...`. */
  readonly fingerprint256?: string;
}

/** users.<name>.scope: tenant scoping (docs/tenants.md). Patterns use `*` and `?`. */
export interface ScopeConfig {
  /** Channel name patterns (case-insensitive, as Asterisk compares channel names). @default [] */
  readonly channels: readonly string[];
  /** Dialplan context patterns (case-sensitive). @default [] */
  readonly contexts: readonly string[];
  /** Account code patterns (case-sensitive); the first literal one is forced on Originate. @default [] */
  readonly accountcodes: readonly string[];
  /** Queue name patterns (case-insensitive). @default [] */
  readonly queues: readonly string[];
  /** Device patterns: Device, Peer, Endpoint, Interface, Hint... (case-insensitive). @default [] */
  readonly devices: readonly string[];
  /** Events that name no channel, bridge, queue, device or context. @default 'deny' */
  readonly other: 'deny' | 'allow';
  /** Actions allowed although their output cannot be scoped (e.g. CoreStatus). @default [] */
  readonly unscopedactions: readonly string[];
}

/** One proxy user, resolved. Missing keys mean least privilege. */
export interface UserConfig {
  readonly name: string;
  /** A `$scrypt$...` hash or a plain secret (resolved from a literal, { env } or { file }); undefined = cannot log in. */
  readonly secret: string | undefined;
  /** manager.conf read= syntax, normalised to a comma list ('' = none). */
  readonly read: string;
  /** manager.conf write= syntax, normalised to a comma list ('' = none). */
  readonly write: string;
  /** ACL entries (`addr/mask` or CIDR, `!` negates), one per element. */
  readonly permit: readonly string[];
  readonly deny: readonly string[];
  readonly eventfilter: readonly FilterSpec[];
  readonly allowmultiplelogin: boolean;
  /** 0 = unlimited. */
  readonly maxsessions: number;
  /** ms, >= 100. */
  readonly writetimeout: number;
  readonly displayconnects: boolean;
  readonly actions: { readonly allow: readonly string[] | undefined; readonly deny: readonly string[] };
  readonly commands: { readonly allow: readonly string[] | undefined; readonly deny: readonly string[] };
  readonly originate: { readonly contexts: readonly string[] | undefined; readonly applications: readonly string[] | undefined };
  readonly certificate: CertificateBinding | undefined;
  /** Upstream names this user may reach; undefined = all. */
  readonly upstreams: readonly string[] | undefined;
  readonly serverheader: boolean;
  /** Write an `eventDelivered` audit record for every event delivered to this user's sessions. @default false */
  readonly logevents: boolean;
  /**
   * `deny`: without `system`, Originate/Setvar/Getvar/Status requests holding `${`, `$[` or a
   * system-only function call are refused (stricter than Asterisk); `allow`: Asterisk's own checks only. @default 'deny'
   */
  readonly expressions: 'allow' | 'deny';
  /** Tenant scope; undefined = unscoped (sees and acts on everything its classes allow). */
  readonly scope?: ScopeConfig | undefined;
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
  general: {
    banner: 'auto',
    authtimeout: 30, // s - Asterisk's default (S7)
    authlimit: 50, // Asterisk's default (S7)
    authlimitperip: 10, // amigate's own: one source cannot hold every pre-auth slot
    allowmultiplelogin: true,
    displayconnects: true,
    actiontimeout: 30000, // ms
    maxpendingactions: 100,
    maxconnections: 10000,
    maxconnectionsperip: 200,
    writetimeout: 1000, // ms - Asterisk uses 100; a TLS client over a WAN needs more slack
    maxqueuebytes: 1048576,
    maxlinebytes: 1024, // manager.c get_input(): struct mansession inbuf[1025]; the upper bound too (S3)
    maxheaders: 128, // AST_MAX_MANHEADERS; the upper bound too (S4)
    loginfailures: { maxfailures: 5, window: 60, lockout: 300 },
    upstreamwait: 0, // ms
    draintimeout: 5000, // ms
    drainreadydelay: 0, // s - one instance: nobody to hand over to
    reloadsessions: 'update',
  },
  listener: LISTENER_DEFAULTS,
  upstream: {
    port: 5038, connections: 2, keepalive: 10, keepalivemisses: 3, tls: { rejectunauthorized: true },
    maxlinebytes: 1048576, // 1 MiB: a Command output line is far shorter; bounds memory per connection
    maxheaders: 100000, // a `Response: Follows` of 100,000 Output lines still passes
    boottimeout: 2000, // ms - FullyBooted comes right after login on a running Asterisk (S8)
  },
  admin: { bindaddr: '127.0.0.1', port: 9189 },
  log: { level: 'info', file: null, pretty: false, sensitive: [] as string[], auditheaders: null, auditactions: 'all' },
  user: { maxsessions: 0, serverheader: false, logevents: false, expressions: 'deny' },
  scope: { other: 'deny' },
} as const;

// --- JSON Schema ------------------------------------------------------------------

type Schema = Record<string, unknown>;

const int = (description: string, min: number, extra: Schema = {}): Schema => ({ type: 'integer', minimum: min, description, ...extra });
const bool = (description: string, extra: Schema = {}): Schema => ({ type: 'boolean', description, ...extra });
const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const obj = (description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema =>
  ({ type: 'object', additionalProperties: false, description, properties, ...extra });
const strList = (description: string): Schema => ({ type: 'array', items: { type: 'string' }, description });
const strOrList = (description: string): Schema =>
  ({ expect: 'a string or a list of strings', description, anyOf: [{ type: 'string' }, { type: 'null' }, { type: 'array', items: { type: 'string' } }] });

/** A secret: a literal string, { env: NAME } or { file: path } (relative to the config file). */
const secretRef = (description: string): Schema => ({
  expect: 'a string, { env: NAME } or { file: path }',
  description,
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'object', additionalProperties: false, required: ['env'], properties: { env: { type: 'string', minLength: 1 } } },
    { type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string', minLength: 1 } } },
  ],
});

const G = DEFAULTS.general;

export const CONFIG_SCHEMA: Schema = obj('The amigate configuration file.', {
  general: obj('Proxy-wide settings ([general] in manager.conf).', {
    banner: str("'auto' relays the upstream's banner line; otherwise a literal `Asterisk Call Manager/<version>`.", { default: G.banner, minLength: 1 }),
    authtimeout: int('Seconds an unauthenticated session may stay open (authtimeout).', 1, { default: G.authtimeout }),
    authlimit: int('Maximum unauthenticated sessions at once; more are closed without a banner (authlimit).', 1, { default: G.authlimit }),
    authlimitperip: int('Maximum unauthenticated sessions from one source address (an IPv6 /64); more are closed without a banner.', 1, { default: G.authlimitperip }),
    allowmultiplelogin: bool('Default for users: may a user have several sessions at once (allowmultiplelogin).', { default: G.allowmultiplelogin }),
    displayconnects: bool('Default for users: log connects and disconnects (displayconnects).', { default: G.displayconnects }),
    actiontimeout: int('Milliseconds an upstream action may take before the client gets an error.', 1, { default: G.actiontimeout }),
    maxpendingactions: int('Per session: actions queued plus in flight; more are refused.', 1, { default: G.maxpendingactions }),
    maxconnections: int('Downstream connections in total.', 1, { default: G.maxconnections }),
    maxconnectionsperip: int('Downstream connections per source address.', 1, { default: G.maxconnectionsperip }),
    writetimeout: int('Default for users: ms a client may take to drain its output before it is dropped (writetimeout).', 100, { default: G.writetimeout }),
    maxqueuebytes: int('Bytes one session may have queued for output before it is dropped.', 1024, { default: G.maxqueuebytes }),
    maxlinebytes: int("Bytes of one request line, as Asterisk's input buffer (at most 1024: Asterisk refuses longer lines anyway).", 256, { maximum: 1024, default: G.maxlinebytes }),
    maxheaders: int('Lines of one request (at most 128, AST_MAX_MANHEADERS: Asterisk drops the excess anyway).', 8, { maximum: 128, default: G.maxheaders }),
    loginfailures: obj('Failed-login lockout, counted per source address and per user name.', {
      maxfailures: int('Failures within the window that cause a lockout; 0 disables it.', 0, { default: G.loginfailures.maxfailures }),
      window: int('Sliding window in seconds.', 1, { default: G.loginfailures.window }),
      lockout: int('Lockout length in seconds.', 1, { default: G.loginfailures.lockout }),
    }, { default: {} }),
    upstreamwait: int('Milliseconds an action may wait for a down upstream to come back before it gets an error; 0 answers at once.', 0, { default: G.upstreamwait }),
    draintimeout: int('Milliseconds a graceful stop (SIGTERM) waits for in-flight actions before closing.', 0, { default: G.draintimeout }),
    drainreadydelay: { type: 'number', minimum: 0, maximum: 3600, description: "Seconds a graceful stop answers /readyz 503 while still accepting and serving, before it stops accepting; behind a load balancer at least its check interval x fall count.", default: G.drainreadydelay },
    reloadsessions: { enum: ['update', 'close'], description: "On reload, live sessions of a changed user: 'update' gives them the new rights at once, 'close' ends them. Removed users are always closed.", default: G.reloadsessions },
  }, { default: {} }),

  listeners: {
    type: 'array', minItems: 1, description: 'Downstream listeners, AMI or HTTP (at least one).',
    items: LISTENER_SCHEMA,
  },

  upstreams: {
    type: 'array', minItems: 1, description: 'Asterisk servers (at least one).',
    items: obj('One Asterisk server.', {
      name: str("Name users.*.upstreams refer to; default '<host>:<port>'.", { minLength: 1 }),
      host: str('Host name or address of the Asterisk AMI.', { minLength: 1 }),
      port: int('AMI port.', 1, { maximum: 65535, default: DEFAULTS.upstream.port }),
      username: str('AMI user the proxy logs in as (needs read=all, write=all for a complete ListCommands).', { minLength: 1 }),
      secret: secretRef('Secret of that AMI user.'),
      connections: int('Connections in the pool.', 1, { maximum: 64, default: DEFAULTS.upstream.connections }),
      tls: obj('Connect to Asterisk over TLS.', {
        cafile: str('PEM CA bundle, relative to the config file; default: the system CAs.', { minLength: 1 }),
        servername: str('Name expected in the server certificate (SNI); default: host.', { minLength: 1 }),
        rejectunauthorized: bool('Refuse servers whose certificate does not verify.', { default: DEFAULTS.upstream.tls.rejectunauthorized }),
      }),
      keepalive: int('Seconds between keepalive Pings; 0 = off.', 0, { default: DEFAULTS.upstream.keepalive }),
      keepalivemisses: int('Missed Pings before the connection is declared dead.', 1, { default: DEFAULTS.upstream.keepalivemisses }),
      maxpendingactions: int('Actions in flight on this server before new ones fail fast; default: the upstream layer\'s (1000).', 1),
      maxlinebytes: int('Bytes of one line from this server; a longer line is discarded and the packet flagged.', 1024, { default: DEFAULTS.upstream.maxlinebytes }),
      maxheaders: int('Lines of one packet from this server; the excess is discarded and the packet flagged.', 128, { default: DEFAULTS.upstream.maxheaders }),
      boottimeout: int('Milliseconds the event connection waits for FullyBooted after (re)login before the server takes actions anyway.', 0, { default: DEFAULTS.upstream.boottimeout }),
    }, { required: ['host', 'username', 'secret'] }),
  },

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

  users: {
    type: 'object', description: 'Proxy users, by name (names are case-insensitive, as in manager.conf).',
    default: {},
    propertyNames: { pattern: '^[!-~]{1,79}$' },
    additionalProperties: obj('One user ([name] section of manager.conf).', {
      secret: secretRef('A `$scrypt$...` hash from `amigate hash-secret` (plain Login only), or a plain secret (also allows MD5 Challenge login).'),
      read: strOrList('Read classes (read=), e.g. `system,call`; missing = none.'),
      write: strOrList('Write classes (write=), e.g. `call,originate`; missing = none.'),
      permit: strOrList('ACL permit entries (permit=): `addr/mask` or CIDR.'),
      deny: strOrList('ACL deny entries (deny=): `addr/mask` or CIDR; applied before the permit entries.'),
      eventfilter: {
        type: 'array', description: 'Event filters (eventfilter=): a string is the legacy "[!]regex" form, an object the advanced form.',
        items: {
          expect: 'a string or { matchcriteria, filter }',
          anyOf: [
            { type: 'string' },
            { type: 'object', additionalProperties: false, required: ['matchcriteria'], properties: { matchcriteria: { type: 'string' }, filter: { type: 'string' } } },
          ],
        },
      },
      allowmultiplelogin: bool('May this user have several sessions (allowmultiplelogin); default general.allowmultiplelogin.'),
      maxsessions: int('Maximum sessions of this user; 0 = unlimited.', 0, { default: DEFAULTS.user.maxsessions }),
      writetimeout: int('ms this user may take to drain output (writetimeout); default general.writetimeout.', 100),
      displayconnects: bool('Log this user\'s connects (displayconnects); default general.displayconnects.'),
      actions: obj('Action allow and deny lists (case-insensitive names).', {
        allow: strList('When set, only these actions (plus Ping, Logoff, Events, WaitEvent, ListCommands, Challenge, Login).'),
        deny: strList('Never these actions.'),
      }),
      commands: obj('Regular expressions over the CLI text of Action: Command.', {
        allow: strList('When set, the command must match one of these.'),
        deny: strList('The command must match none of these.'),
      }),
      originate: obj('Where Originate may send calls.', {
        contexts: strList('Allowed Context values (and Local/...@context channels).'),
        applications: strList('Allowed Application values (case-insensitive).'),
      }),
      certificate: obj('Bind the user to a TLS client certificate (mTLS listener).', {
        subject: str('Exact subject, e.g. `CN=crm.example`.', { minLength: 1 }),
        fingerprint256: str('SHA-256 fingerprint `AB:CD:...`.', { pattern: '^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$' }),
      }, { minProperties: 1 }),
      upstreams: strList('Upstream names this user may reach; default all.'),
      serverheader: bool('Tag events with `Server: <upstream name>`.', { default: DEFAULTS.user.serverheader }),
      logevents: bool('Audit every event delivered to this user\'s sessions (name, privilege, session; not the body).', { default: DEFAULTS.user.logevents }),
      expressions: {
        enum: ['allow', 'deny'],
        description: 'deny: without system, refuse `${`, `$[` and system-only function calls in Originate, Setvar, Getvar and Status (stricter than Asterisk); allow: Asterisk\'s own checks only.',
        default: DEFAULTS.user.expressions,
      },
      scope: obj('Tenant scope (docs/tenants.md): the user sees and acts on only its own channels, queues, devices and contexts.', {
        channels: { ...strList('Channel name patterns (`*`, `?`; case-insensitive): a channel whose name matches at creation makes its call the tenant\'s.'), default: [] },
        contexts: { ...strList('Dialplan context patterns (case-sensitive): a channel created in one makes its call the tenant\'s; Originate and transfers must target one.'), default: [] },
        accountcodes: { ...strList('Account code patterns (case-sensitive): a channel with one at creation makes its call the tenant\'s; the first literal is forced on Originate.'), default: [] },
        queues: { ...strList('Queue name patterns (case-insensitive).'), default: [] },
        devices: { ...strList('Device patterns (case-insensitive) for DeviceStateChange, ExtensionStatus, peer and endpoint events.'), default: [] },
        other: { enum: ['deny', 'allow'], description: 'Events that name no channel, bridge, queue, device or context (Reload, Registry, ...).', default: DEFAULTS.scope.other },
        unscopedactions: { ...strList('Actions allowed although their output cannot be scoped (Command, CoreStatus, ...); default none.'), default: [] },
      }),
    }),
  },
}, { required: ['listeners', 'upstreams'] });
