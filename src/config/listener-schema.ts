// The `listeners:` part of the configuration: its resolved types, defaults and
// JSON Schema fragment (schema.ts assembles the whole file's schema from it).
// A listener speaks AMI over TCP/TLS (`protocol: ami`, the default) or AMI
// over HTTP(S) (`protocol: http`: /rawman, /mxml, /manager and the digest
// variants; other front ends such as WebSocket mount on the same listener).
// The keys that only make sense for HTTP have no schema default, so
// listeners.ts can refuse them on an AMI listener and fill them in for HTTP.
// The WebSocket and console keys have their own file (websocket-schema.ts).
// `proxyprotocol` and `trustedproxies` (any listener kind) put it behind a load
// balancer that sends a PROXY protocol header (docs/proxy-protocol.md).

import { CONSOLE_SCHEMA, WEBSOCKET_SCHEMA, type WebSocketListenerConfig } from './websocket-schema.js';

export interface ListenerTlsConfig {
  /** Absolute path of the PEM certificate (chain). */
  readonly certfile: string;
  /** Absolute path of the PEM private key. */
  readonly privatekey: string;
  /** Absolute path of the PEM CA bundle that signs client certificates. */
  readonly cafile: string | undefined;
  /** Require and verify a client certificate (mTLS). @default false */
  readonly verifyclient: boolean;
  /** @default 'TLSv1.2' */
  readonly minversion: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list for TLS 1.2 (TLS_* names set the TLS 1.3 suites). @default DEFAULT_CIPHERS: forward-secret AEAD only */
  readonly ciphers: string;
}

/** The HTTP settings of a `protocol: http` listener (flat keys in the file). */
export interface HttpListenerConfig {
  /** Seconds a logged-in HTTP session lives without a request (manager.conf httptimeout). @default 60 */
  readonly httptimeout: number;
  /** false: state-changing actions must come as POST (405 through GET). @default true */
  readonly allowget: boolean;
  /** Digest realm (Asterisk: asterisk.conf systemname). @default 'asterisk' */
  readonly realm: string;
  /** `Server:` header value; '' leaves the header out (http.conf servername). @default 'Asterisk' */
  readonly servername: string;
  /** HTTP sessions (cookie and digest) this listener keeps at once. @default 1000 */
  readonly maxhttpsessions: number;
  /** Bytes of a request body. @default 16384 */
  readonly maxbodybytes: number;
}

export interface ListenerConfig {
  /** @default '<bindaddr>:<port>' */
  readonly name: string;
  /** @default 'ami' */
  readonly protocol: 'ami' | 'http';
  /** @default '127.0.0.1' */
  readonly bindaddr: string;
  readonly port: number;
  readonly tls: ListenerTlsConfig | undefined;
  /** Allows a plaintext listener on a non-loopback address (warned). @default false */
  readonly insecure: boolean;
  /** Set exactly when protocol is 'http'. */
  readonly http: HttpListenerConfig | undefined;
  /** AMI over WebSocket: set when protocol is 'http' and websocket.enabled (the default). */
  readonly websocket: WebSocketListenerConfig | undefined;
  /** The web console at /console (protocol http only). @default false */
  readonly console: boolean;
  /** Expect a PROXY protocol header (v1, v2, or either) on every connection; undefined: none. */
  readonly proxyprotocol: 'v1' | 'v2' | 'auto' | undefined;
  /** The load balancers allowed to send it (addresses or CIDRs); non-empty exactly when proxyprotocol is set. @default [] */
  readonly trustedproxies: readonly string[];
}

/**
 * The TLS 1.2 suites of the usual "intermediate" profile without DHE (Node sets no
 * DH parameters): ECDHE key exchange (forward secrecy) with an AEAD cipher only.
 */
export const DEFAULT_CIPHERS = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305';

export const LISTENER_DEFAULTS = {
  bindaddr: '127.0.0.1',
  protocol: 'ami',
  insecure: false,
  tls: { verifyclient: false, minversion: 'TLSv1.2', ciphers: DEFAULT_CIPHERS },
  http: { httptimeout: 60, allowget: true, realm: 'asterisk', servername: 'Asterisk', maxhttpsessions: 1000, maxbodybytes: 16384 },
} as const;

/** The keys only a `protocol: http` listener takes. */
export const HTTP_LISTENER_KEYS = Object.keys(LISTENER_DEFAULTS.http) as ReadonlyArray<keyof HttpListenerConfig>;

type Schema = Record<string, unknown>;
const D = LISTENER_DEFAULTS;

export const LISTENER_SCHEMA: Schema = {
  type: 'object', additionalProperties: false, description: 'One listener.', required: ['port'],
  properties: {
    name: { type: 'string', minLength: 1, description: "Name used in logs and metrics; default '<bindaddr>:<port>'." },
    protocol: { enum: ['ami', 'http'], description: "'ami': AMI over TCP/TLS; 'http': AMI over HTTP(S) (/rawman, /mxml, /manager and the digest variants).", default: D.protocol },
    bindaddr: { type: 'string', description: 'IP address to listen on (bindaddr).', default: D.bindaddr },
    port: { type: 'integer', minimum: 0, maximum: 65535, description: 'TCP port (0 = any free port).' },
    tls: {
      type: 'object', additionalProperties: false, description: 'TLS settings; without them the listener is plaintext.', required: ['certfile', 'privatekey'],
      properties: {
        certfile: { type: 'string', minLength: 1, description: 'PEM certificate (chain), relative to the config file (tlscertfile).' },
        privatekey: { type: 'string', minLength: 1, description: 'PEM private key, relative to the config file (tlsprivatekey).' },
        cafile: { type: 'string', minLength: 1, description: 'PEM CA bundle for client certificates, relative to the config file.' },
        verifyclient: { type: 'boolean', description: 'Require a client certificate signed by cafile (mTLS).', default: D.tls.verifyclient },
        minversion: { enum: ['TLSv1.2', 'TLSv1.3'], description: 'Lowest TLS version accepted.', default: D.tls.minversion },
        ciphers: { type: 'string', minLength: 1, description: 'OpenSSL cipher list for TLS 1.2 (TLS_* names restrict the TLS 1.3 suites); default: forward-secret AEAD suites only (ECDHE with AES-GCM or ChaCha20-Poly1305).', default: D.tls.ciphers },
      },
    },
    insecure: { type: 'boolean', description: 'Allow a plaintext listener on a non-loopback address (a warning is logged).', default: D.insecure },
    httptimeout: { type: 'integer', minimum: 1, maximum: 86400, description: `protocol: http only. Seconds a logged-in HTTP session lives without a request (httptimeout); default ${D.http.httptimeout}.` },
    allowget: { type: 'boolean', description: 'protocol: http only. false: state-changing actions (Login included) must be sent with POST; through GET they get 405. Default true.' },
    realm: { type: 'string', minLength: 1, pattern: '^[ -~]+$', description: `protocol: http only. Digest realm of /arawman, /amxml, /amanager (asterisk.conf systemname); default '${D.http.realm}'.` },
    servername: { type: 'string', pattern: '^[ -~]*$', description: `protocol: http only. Server: header value; '' leaves it out (http.conf servername); default '${D.http.servername}'.` },
    maxhttpsessions: { type: 'integer', minimum: 1, maximum: 1000000, description: `protocol: http only. HTTP sessions (cookie and digest) kept at once on this listener; default ${D.http.maxhttpsessions}.` },
    maxbodybytes: { type: 'integer', minimum: 1024, maximum: 1048576, description: `protocol: http only. Bytes of a request body; more gets 413; default ${D.http.maxbodybytes}.` },
    websocket: WEBSOCKET_SCHEMA,
    console: CONSOLE_SCHEMA,
    proxyprotocol: { enum: ['v1', 'v2', 'auto'], description: "Every connection starts with a PROXY protocol header from a load balancer in trustedproxies ('v1' text, 'v2' binary, 'auto' either); the client address in it is the one ACLs, limits and the audit use. Absent: no header (docs/proxy-protocol.md)." },
    trustedproxies: {
      type: 'array', minItems: 1, items: { type: 'string', minLength: 1 },
      description: 'With proxyprotocol: the load balancers (IP addresses or CIDRs, IPv4 or IPv6) allowed to connect; a connection from any other address is closed unanswered.',
    },
  },
};
