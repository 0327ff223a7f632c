// The `upstreams:` section: one entry per Asterisk server. Its type, its
// defaults and its JSON Schema fragment (schema.ts assembles the whole file's
// schema; upstreams.ts resolves secrets and paths and checks names after it).

import { bool, int, obj, secretRef, str, type Schema } from './schema-helpers.js';

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

export const UPSTREAM_DEFAULTS = {
  port: 5038, connections: 2, keepalive: 10, keepalivemisses: 3, tls: { rejectunauthorized: true },
  maxlinebytes: 1048576, // 1 MiB: a Command output line is far shorter; bounds memory per connection
  maxheaders: 100000, // a `Response: Follows` of 100,000 Output lines still passes
  boottimeout: 2000, // ms - FullyBooted comes right after login on a running Asterisk (S8)
} as const;

export const UPSTREAMS_SCHEMA: Schema = {
  type: 'array', minItems: 1, description: 'Asterisk servers (at least one).',
  items: obj('One Asterisk server.', {
    name: str("Name users.*.upstreams refer to; default '<host>:<port>'.", { minLength: 1 }),
    host: str('Host name or address of the Asterisk AMI.', { minLength: 1 }),
    port: int('AMI port.', 1, { maximum: 65535, default: UPSTREAM_DEFAULTS.port }),
    username: str('AMI user the proxy logs in as (needs read=all, write=all for a complete ListCommands).', { minLength: 1 }),
    secret: secretRef('Secret of that AMI user.'),
    connections: int('Connections in the pool.', 1, { maximum: 64, default: UPSTREAM_DEFAULTS.connections }),
    tls: obj('Connect to Asterisk over TLS.', {
      cafile: str('PEM CA bundle, relative to the config file; default: the system CAs.', { minLength: 1 }),
      servername: str('Name expected in the server certificate (SNI); default: host.', { minLength: 1 }),
      rejectunauthorized: bool('Refuse servers whose certificate does not verify.', { default: UPSTREAM_DEFAULTS.tls.rejectunauthorized }),
    }),
    keepalive: int('Seconds between keepalive Pings; 0 = off.', 0, { default: UPSTREAM_DEFAULTS.keepalive }),
    keepalivemisses: int('Missed Pings before the connection is declared dead.', 1, { default: UPSTREAM_DEFAULTS.keepalivemisses }),
    maxpendingactions: int('Actions in flight on this server before new ones fail fast; default: the upstream layer\'s (1000).', 1),
    maxlinebytes: int('Bytes of one line from this server; a longer line is discarded and the packet flagged.', 1024, { default: UPSTREAM_DEFAULTS.maxlinebytes }),
    maxheaders: int('Lines of one packet from this server; the excess is discarded and the packet flagged.', 128, { default: UPSTREAM_DEFAULTS.maxheaders }),
    boottimeout: int('Milliseconds the event connection waits for FullyBooted after (re)login before the server takes actions anyway.', 0, { default: UPSTREAM_DEFAULTS.boottimeout }),
  }, { required: ['host', 'username', 'secret'] }),
};
