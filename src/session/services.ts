// What a session core asks of the layers below it, and the types both sides
// share. The core declares these; proxy.ts assembles one SessionServices from
// modules of their own (session/services/*: login, policy, forwarding; the
// observer in observability/session-observer.ts), so following one action
// reads session -> one service -> auth/policy/router, never back into proxy.ts.

import type { AmiMessage } from '../protocol/message.js';
import type { ReplyHandler } from '../router/router.js';
import type { EventSink } from '../fanout/fanout.js';

export type SessionStatus = 'unauthenticated' | 'ready' | 'closing' | 'closed';

/** The logged-in identity of a session, as the session needs it. */
export interface SessionUser {
  readonly name: string;
  readonly readMask: number;
  readonly writeMask: number;
  readonly servers: ReadonlySet<string> | undefined;
  readonly serverHeader: boolean;
  readonly writeTimeoutMs: number;
  /** users.<name>.logevents: observe every event delivered (an audit record each). @default false */
  readonly logEvents?: boolean;
  /** Opaque to the session: handed back to the services for policy decisions. */
  readonly record: unknown;
  /** [scope] Tenant scope id (src/scope/), undefined for an unscoped user; fan-out reads it. */
  readonly scopeId?: number | undefined;
}

export type LoginResult =
  | { ok: true; user: SessionUser }
  | { ok: false; reason: string; reply: 'Authentication failed' | 'Login Already In Use' };

export type Decision = { allow: true; servers?: readonly string[] } | { allow: false; rule: string; message: string };

/** A compiled set of event filters for one session (see policy/event-filter.ts). */
export interface SessionFilters {
  readonly size: number;
  passes(name: string, event: AmiMessage, text: string): boolean;
}

export type FilterSpec = string | { matchcriteria: string; filter: string };

/** Where a session comes from; handed to the core by the listener of its transport. */
export interface ConnectionInfo {
  remoteAddress: string;
  remotePort: number;
  listener: string;
  tls?: { protocol: string | null; cipher: string | undefined; subject: string | undefined; fingerprint256: string | undefined; authorized: boolean };
  /** A pre-authentication slot the transport took (downstream/preauth-slots.ts: authlimit, authlimitperip); the registry releases it at login or close. */
  preAuth?: { release(): void };
  /**
   * Behind a load balancer (listener `proxyprotocol`): the balancer's address.
   * remoteAddress/remotePort are then the client's, from the PROXY header.
   */
  proxy?: { address: string; port: number };
}

export interface LoginRequest {
  username: string;
  secret?: string;
  key?: string;
  challenge?: string;
  /**
   * HTTP Digest: the transport checked the digest response against the user's
   * plain secret; true = it matched, false = it did not. The login then runs
   * every other check (lockout, ACL, certificate, session limits).
   */
  digest?: boolean;
  conn: ConnectionInfo;
  sessionId: number;
}

/**
 * A session as the rest of amigate sees it once it exists (registry, observer,
 * drain, reload): whatever its transport. Implemented by session/session.ts.
 */
export interface SessionHandle extends EventSink {
  readonly id: number;
  readonly conn: ConnectionInfo;
  readonly openedAt: number;
  readonly status: SessionStatus;
  readonly user: SessionUser | undefined;
  readonly queueHighWater: number;
  readonly queuedBytes: number;
  /** Apply new rights after a config reload (same user name). */
  updateUser(user: SessionUser): void;
  /** Send what is queued, then close. */
  end(cause: string): void;
  /** Start no new action (a stop's drain); what arrives stays unanswered and is never forwarded. */
  hold(): void;
  /** A last packet (Event: Shutdown) if given, then end(). */
  shutdown(packet: AmiMessage | undefined, cause: string): void;
  destroy(cause: string): void;
}

/** Everything a session needs from the layers below; assembled by proxy.ts. */
export interface SessionServices {
  banner(): string;
  readonly authTimeoutMs: number;
  readonly maxQueueBytes: number;
  readonly maxPendingActions: number;
  /** general.maxlinebytes: the request line buffer (S3). @default 1024 */
  readonly maxLineBytes?: number;
  /** general.maxheaders: lines per request (S4). @default 128 */
  readonly maxHeaders?: number;
  /** Verify a Login (plain or MD5) with every check: user, ACL, certificate, lockout, session limits. */
  login(req: LoginRequest): Promise<LoginResult>;
  /** S10: Challenge for a user that may not log in again answers "Login Already In Use". */
  challengeAllowed(username: string | undefined): boolean | Promise<boolean>;
  /** Policy: may this user run this action? `servers` narrows the upstreams. */
  decide(user: SessionUser, msg: AmiMessage): Decision;
  /** The user's configured filters plus `extra` (from Filter actions), compiled. */
  compileFilters(user: SessionUser, extra: ReadonlyArray<FilterSpec>): SessionFilters;
  /** Throws a FilterSyntaxError-like error with kind 'compile' | 'format'. */
  checkFilter(spec: FilterSpec): void;
  /** Forward upstream; throws AmigateError when no upstream can take it. */
  forward(session: { readonly id: number }, msg: AmiMessage, servers: readonly string[], handler: ReplyHandler): void;
  /** Filter a ListCommands response down to what the user may run. */
  filterListCommands(user: SessionUser, response: AmiMessage): AmiMessage;
  /** The upstreams a user's action may go to (policy already allowed it). */
  serversFor(user: SessionUser): readonly string[];
  /** FullyBooted after login for system readers (S8), from the upstream's state. */
  fullyBooted(): { uptime: number; lastReload: number } | undefined;
  /** Lifecycle and audit notifications. */
  observe(ev: SessionObservation): void;
}

export type ActionResult = 'success' | 'error' | 'denied' | 'timeout' | 'upstream-lost';

export type SessionObservation =
  | { type: 'login-ok'; session: SessionHandle }
  | { type: 'login-failed'; session: SessionHandle; username: string; reason: string }
  | { type: 'action'; session: SessionHandle; action: string; msg: AmiMessage; result: ActionResult; rule?: string; upstream?: string; latencyMs: number; upstreamMs?: number }
  /** `eventsDropped`: events held or queued that the client never got, counted under `dropReason`. */
  | { type: 'closed'; session: SessionHandle; cause: string; eventsDropped: number; dropReason: string }
  | { type: 'slow-consumer'; session: SessionHandle; queuedBytes: number; reason: string }
  | { type: 'limit'; session: SessionHandle; limit: string }
  /** A polling transport's event queue overflowed: the oldest `count` events were dropped, the session lives on. */
  | { type: 'events-dropped'; session: SessionHandle; count: number; reason: string }
  /** Only for users with logevents: the event's name and Privilege, read from its first lines. */
  | { type: 'event'; session: SessionHandle; event: string; privilege: string | undefined };
