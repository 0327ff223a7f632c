// The two narrow faces of a session core: the Transport it writes through, and
// the ActionContext a local action sees. Nothing here touches a socket.
//
// ┌─ transport (downstream/*) ──────────────────────────────────────────────────┐
// │ A transport adapts one wire to one AmiSession. It                           │
// │   creates the session:  new AmiSession(id, services, conn, transport)       │
// │                         (the constructor calls transport.attach(session))   │
// │   then calls            session.start()        banner + authtimeout         │
// │                         session.receive(msg)   one parsed request, FIFO     │
// │                         session.input()        client sent bytes: ends a    │
// │                                                pending WaitEvent (AMI rule) │
// │                         session.abortWait()    end a WaitEvent silently     │
// │                                                (HTTP: a 2nd waitevent)      │
// │                         session.authenticate() log in without a Login       │
// │                                                action (HTTP Digest)         │
// │                         session.slow(info)     output stuck: drop it        │
// │                         session.end(cause)     close after queued output    │
// │                         session.destroy(cause) the wire is gone             │
// │   and reads             session.status / user / id / conn                   │
// │ It implements Transport (below): the core calls it, in order, for every     │
// │ packet; one action's packets are send()/event() calls between the request  │
// │ and the next actionDone(), so a transport that answers one request per      │
// │ action (HTTP) collects exactly those and replies on actionDone().           │
// └─────────────────────────────────────────────────────────────────────────────┘
//
// Polling transports (HTTP): `pollsEvents` makes the core hold every broadcast
// event (bounded by maxqueuebytes, the oldest dropped and counted as
// events-dropped) until a WaitEvent takes them, so no event rides on the
// answer to another action; `maxWaitSeconds` caps WaitEvent's Timeout
// (Asterisk: httptimeout - 10 s, and Timeout 0 returns at once). A stream
// transport sets neither and WaitEvent behaves as on Asterisk's TCP port.
//
// Serialization: the core hands over AmiMessages (send) or a fan-out
// OutboundEvent (event) whose AMI text and any other wire form are built once
// for all receivers. Formatting for a wire (AMI text, JSON, mxml, html) is the
// transport's job, never the core's; deciding anything is the core's, never
// the transport's.

import type { AmiMessage } from '../protocol/message.js';
import type { OutboundEvent } from '../protocol/outbound-event.js';
import type { ReplyHandler } from '../router/router.js';
import type { ActionResult, ConnectionInfo, FilterSpec, SessionHandle, SessionServices, SessionStatus, SessionUser } from './services.js';

/** What a transport may call on its session (implemented by AmiSession). */
export interface TransportSession {
  readonly id: number;
  readonly status: SessionStatus;
  readonly user: SessionUser | undefined;
  readonly conn: ConnectionInfo;
  start(): void;
  receive(msg: AmiMessage): void;
  input(): void;
  abortWait(): boolean;
  /**
   * Log in without a Login action, after the transport proved the user's
   * identity itself (HTTP Digest: `digest` = whether the response matched).
   * Runs the login service's other checks and the login audit; true when the
   * session is now logged in. A refused session is destroyed.
   */
  authenticate(username: string, digest: boolean): Promise<boolean>;
  slow(info: { queuedBytes: number; reason: string }): void;
  end(cause: string): void;
  destroy(cause: string): void;
}

/** What a session core writes through. One per session. */
export interface Transport {
  /**
   * true: broadcast events wait in the session (bounded by maxqueuebytes, the
   * oldest dropped and counted) until WaitEvent asks for them (HTTP). false:
   * they are written between actions (stream, WebSocket).
   */
  readonly pollsEvents: boolean;
  /** The longest WaitEvent in seconds; set: Timeout 0 returns at once, a missing or larger one waits this long (HTTP). */
  readonly maxWaitSeconds?: number;
  /** Bytes accepted but not yet on the wire. */
  readonly queuedBytes: number;
  /** The largest `queuedBytes` seen. */
  readonly highWater: number;
  /** Events accepted but not yet on the wire: lost if the session dies now. */
  readonly eventsQueued: number;
  /** Called once by the AmiSession constructor. */
  attach(session: TransportSession): void;
  /** The greeting line of a stream (S1); a transport without one ignores it. */
  banner(line: string): void;
  /** One packet of the current action: a response, list item, list end, or a local reply. */
  send(msg: AmiMessage): void;
  /** One broadcast event; `ev.wire` is the AMI text, `ev.as(form)` any other form, shared. */
  event(ev: OutboundEvent): void;
  /** The current action has sent its last packet. Never called once end() or destroy() was. */
  actionDone(): void;
  /** Push out what is queued now, not at the end of the tick (the login reply, for goami2). */
  flush(): void;
  /** The session logged in as `user` (writetimeout is per user, S27). */
  loggedIn(user: SessionUser): void;
  /** Stop / restart reading requests (too many pending actions). */
  pause(): void;
  resume(): void;
  /** Close after what is queued has gone out. */
  end(): void;
  /** Close now; nothing more is written. */
  destroy(): void;
}

export type Busy = false | 'action' | 'login' | 'waitevent' | 'failing';

/** What a local action (session/actions/*) sees of its session. */
export interface ActionContext extends SessionHandle {
  readonly services: SessionServices;
  /** send_events (S17): what Events/Login `Events:` asked for. */
  sendMask: number;
  /** The transport's WaitEvent cap (Transport.maxWaitSeconds), if any. */
  readonly maxWaitSeconds: number | undefined;
  /** The MD5 challenge of this session, once Challenge made one (S9). */
  challenge: string | undefined;
  /** The action continues after handle() returns; ends with done() (or end()). */
  setBusy(kind: Exclude<Busy, false>): void;
  /** The current asynchronous action has ended: flush held events, take the next request. */
  done(): void;
  /** astman_send_response_full(): Response, ActionID if the request had one, Message (S21). */
  reply(req: AmiMessage, response: string, message: string): void;
  /** A response from pairs, the request's ActionID inserted second, raw. */
  respond(req: AmiMessage, pairs: Array<[string, string]>): void;
  send(msg: AmiMessage): void;
  flush(): void;
  /** Audit and count an action answered here (no upstream). */
  observe(msg: AmiMessage, action: string, result: ActionResult, started: number): void;
  /** Forward through the router; `transform` rewrites the response packet (ListCommands). */
  forward(msg: AmiMessage, action: string, servers: readonly string[], started: number, transform?: (reply: AmiMessage) => AmiMessage): void;
  /** Status unauthenticated -> ready. */
  loggedIn(user: SessionUser): void;
  addFilter(spec: FilterSpec): void;
  /**
   * WaitEvent: `finish` runs once (on a later tick, only if still ready) when an
   * event is held, the client sends input, or `ms` pass. It writes the reply,
   * calls flushHeld() and done().
   */
  waitForEvents(ms: number, finish: () => void): void;
  /** Write the held events now (inside WaitEvent's reply). */
  flushHeld(): void;
}

/** One action amigate answers (or shapes) itself; one per file in session/actions/. */
export interface LocalAction {
  /** As Asterisk spells it in ListCommands. */
  readonly name: string;
  /** Answered before login too; every other action is "Permission denied" then (S7). */
  readonly beforeLogin: boolean;
  /** Goes through policy (decide) first; false for those Asterisk answers for anyone logged in. */
  readonly checked: boolean;
  /** `servers`: the decision's upstreams, for actions that forward. */
  run(ctx: ActionContext, msg: AmiMessage, action: string, started: number, servers: readonly string[] | undefined): void;
}

export type { ReplyHandler };
