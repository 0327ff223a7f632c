// The `general:` section: proxy-wide limits and the defaults users inherit.
// Its type, its defaults and its JSON Schema fragment (schema.ts assembles the
// whole file's schema; load.ts checks banner and authlimitperip after it).

import { bool, int, obj, str, type Schema } from './schema-helpers.js';

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

export const GENERAL_DEFAULTS = {
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
} as const;

const G = GENERAL_DEFAULTS;

export const GENERAL_SCHEMA: Schema = obj('Proxy-wide settings ([general] in manager.conf).', {
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
}, { default: {} });
