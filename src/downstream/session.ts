// One downstream AMI client, from banner to close.
//
//   status: unauthenticated -> ready -> closing -> closed
//
// Like main/manager.c session_do()/do_message(), a session handles its actions
// strictly one at a time and in order (S26): the next packet is looked at only
// when the previous one is fully answered (response, whole EventList, or error).
// Broadcast events that arrive while an action is in flight are held and
// flushed between actions, so no event is ever written inside a list.
//
// Actions that would change the shared upstream session are answered here and
// never forwarded (S14): Login, Challenge, Logoff, Events, Filter, WaitEvent;
// Ping is answered locally too. ListCommands is forwarded and filtered.

import type { Duplex } from 'node:stream';
import { AmiParser } from '../protocol/parser.js';
import { AmiMessage } from '../protocol/message.js';
import { ALL } from '../protocol/privileges.js';
import { stringsToMask } from '../protocol/privileges.js';
import { newChallenge } from '../protocol/md5-challenge.js';
import type { AmigateError } from '../errors.js';
import type { ActionOutcome, ReplyHandler } from '../router/router.js';
import type { EventSink } from '../fanout/fanout.js';
import { Writer } from './writer.js';

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

export interface ConnectionInfo {
  remoteAddress: string;
  remotePort: number;
  listener: string;
  tls?: { protocol: string | null; cipher: string | undefined; subject: string | undefined; fingerprint256: string | undefined; authorized: boolean };
}

/** Everything a session needs from the layers below; implemented by proxy.ts. */
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
  login(req: { username: string; secret?: string; key?: string; challenge?: string; conn: ConnectionInfo; sessionId: number }): Promise<LoginResult>;
  /** S10: Challenge for a user that may not log in again answers "Login Already In Use". */
  challengeAllowed(username: string | undefined): boolean;
  /** Policy: may this user run this action? `servers` narrows the upstreams. */
  decide(user: SessionUser, msg: AmiMessage): Decision;
  /** The user's configured filters plus `extra` (from Filter actions), compiled. */
  compileFilters(user: SessionUser, extra: ReadonlyArray<string | { matchcriteria: string; filter: string }>): SessionFilters;
  /** Throws a FilterSyntaxError-like error with kind 'compile' | 'format'. */
  checkFilter(spec: string | { matchcriteria: string; filter: string }): void;
  /** Forward upstream; throws AmigateError when no upstream can take it. */
  forward(session: Session, msg: AmiMessage, servers: readonly string[], handler: ReplyHandler): void;
  /** Filter a ListCommands response down to what the user may run. */
  filterListCommands(user: SessionUser, response: AmiMessage): AmiMessage;
  /** The upstreams a user's action may go to (policy already allowed it). */
  serversFor(user: SessionUser): readonly string[];
  /** FullyBooted after login for system readers (S8), from the upstream's state. */
  fullyBooted(): { uptime: number; lastReload: number } | undefined;
  /** Lifecycle and audit notifications. */
  observe(ev: SessionObservation): void;
}

export type SessionObservation =
  | { type: 'login-ok'; session: Session }
  | { type: 'login-failed'; session: Session; username: string; reason: string }
  | { type: 'action'; session: Session; action: string; msg: AmiMessage; result: 'success' | 'error' | 'denied' | 'timeout' | 'upstream-lost'; rule?: string; upstream?: string; latencyMs: number; upstreamMs?: number }
  /** `eventsDropped`: events held or queued that the client never got, counted under `dropReason`. */
  | { type: 'closed'; session: Session; cause: string; eventsDropped: number; dropReason: string }
  | { type: 'slow-consumer'; session: Session; queuedBytes: number; reason: string }
  | { type: 'limit'; session: Session; limit: string }
  /** Only for users with logevents: the event's name and Privilege, read from its first lines. */
  | { type: 'event'; session: Session; event: string; privilege: string | undefined };

type Busy = false | 'action' | 'login' | 'waitevent' | 'failing';

const EMPTY_FILTERS: SessionFilters = { size: 0, passes: () => true };

export class Session implements EventSink {
  readonly id: number;
  readonly conn: ConnectionInfo;
  readonly openedAt = Date.now();
  status: SessionStatus = 'unauthenticated';
  user: SessionUser | undefined;
  /** send_events: what Events/Login `Events:` asked for; delivery also needs readMask (S17). */
  sendMask = ALL;
  private readonly socket: Duplex;
  private readonly services: SessionServices;
  private readonly parser: AmiParser;
  private writer: Writer;
  private readonly queue: AmiMessage[] = [];
  private busy: Busy = false;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private challenge: string | undefined;
  private filters: SessionFilters = EMPTY_FILTERS;
  private readonly extraFilters: Array<string | { matchcriteria: string; filter: string }> = [];
  private authTimer: NodeJS.Timeout | undefined;
  private waitEvent: { id: string | undefined; timer: NodeJS.Timeout; msg: AmiMessage; action: string; started: number } | undefined;
  private paused = false;
  /** Why the session was dropped as a slow consumer; the reason its lost events are counted under. */
  private slowReason: string | undefined;
  closeCause = '';

  constructor(id: number, socket: Duplex, services: SessionServices, conn: ConnectionInfo) {
    this.id = id;
    this.socket = socket;
    this.services = services;
    this.conn = conn;
    this.parser = new AmiParser({ onMessage: (m) => this.enqueue(m) }, { maxLineBytes: services.maxLineBytes ?? 1024, maxLines: services.maxHeaders ?? 128 });
    this.writer = new Writer(socket, {
      writeTimeoutMs: 1000,
      maxQueueBytes: services.maxQueueBytes,
      onSlow: (info) => this.onSlow(info),
    });
    socket.on('data', (chunk: Buffer) => {
      // action_waitevent(): on an AMI socket, input from the client ends the wait
      // (ast_wait_for_input() breaks the loop); the new packet is handled after it.
      if (this.busy === 'waitevent') this.finishWaitEvent();
      this.parser.write(chunk);
    });
    socket.on('end', () => this.destroy('client-closed'));
    socket.on('close', () => this.destroy('client-closed'));
    socket.on('error', () => this.destroy('socket-error'));
  }

  /** The largest output queue (bytes) this session reached. */
  get queueHighWater(): number { return this.writer.highWater; }

  /** Bytes waiting for this client now: the socket's queue plus events held during an action. */
  get queuedBytes(): number { return this.writer.queuedBytes + this.heldBytes; }

  start(): void {
    this.writer.write(this.services.banner() + '\r\n');
    // authtimeout (S7): an unauthenticated session is closed without a word.
    // Asterisk checks it only while waiting for input, so a Login being
    // handled (its 1 s failure sleep included) still gets its answer.
    this.authTimer = setTimeout(() => {
      if (this.status === 'unauthenticated' && this.busy !== 'login' && this.busy !== 'failing') this.destroy('auth-timeout');
    }, this.services.authTimeoutMs);
    this.authTimer.unref?.();
  }

  // --- EventSink (fan-out) ----------------------------------------------------

  get receivingEvents(): boolean { return this.status === 'ready'; }
  get readMask(): number { return this.user?.readMask ?? 0; }
  get servers(): ReadonlySet<string> | undefined { return this.user?.servers; }
  get serverHeader(): boolean { return this.user?.serverHeader ?? false; }

  passesFilters(name: string, event: AmiMessage, text: () => string): boolean {
    if (this.filters.size === 0) return true;
    return this.filters.passes(name, event, text());
  }

  deliverEvent(wire: Buffer): void {
    if (this.user?.logEvents === true) this.observeEvent(wire);
    if (this.busy !== false) {
      // Asterisk queues events while a session is inside an action and flushes
      // them between actions (S26). Bounded by the output queue limit.
      this.held.push(wire);
      this.heldBytes += wire.length;
      if (this.heldBytes > this.services.maxQueueBytes) this.onSlow({ queuedBytes: this.heldBytes, reason: 'held-events' });
      if (this.busy === 'waitevent') this.finishWaitEvent();
      return;
    }
    this.writer.write(wire, true);
  }

  /** Apply new rights after a config reload (same user name). */
  updateUser(user: SessionUser): void {
    this.user = user;
    this.filters = this.services.compileFilters(user, this.extraFilters);
  }

  // --- input ------------------------------------------------------------------

  private enqueue(msg: AmiMessage): void {
    if (this.status === 'closing' || this.status === 'closed') return;
    const max = this.services.maxPendingActions;
    if (this.queue.length >= max) {
      // Fail fast but in order: keep only what the error reply needs.
      const id = msg.get('ActionID');
      const marker = new AmiMessage(id === undefined ? [] : ['ActionID: ' + id]);
      marker.fault = undefined;
      (marker as AmiMessage & { overflow?: true }).overflow = true;
      this.queue.push(marker);
      if (!this.paused && this.queue.length >= 2 * max) {
        this.paused = true;
        this.socket.pause();
      }
    } else {
      this.queue.push(msg);
    }
    this.pump();
  }

  private pump(): void {
    while (this.busy === false && this.queue.length > 0 && this.status !== 'closing' && this.status !== 'closed') {
      const msg = this.queue.shift()!;
      try {
        this.handle(msg);
      } catch (err) {
        // Input must never crash the proxy: answer, log through observe, go on.
        this.busy = false;
        this.writeReply(undefined, 'Error', 'Internal error');
        this.services.observe({ type: 'action', session: this, action: msg.getNonEmpty('Action') ?? '', msg, result: 'error', rule: 'internal-error: ' + String((err as Error)?.message ?? err), latencyMs: 0 });
      }
    }
    if (this.paused && this.queue.length < this.services.maxPendingActions) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private handle(msg: AmiMessage): void {
    if ((msg as AmiMessage & { overflow?: true }).overflow) {
      this.services.observe({ type: 'limit', session: this, limit: 'maxpendingactions' });
      this.reply(msg, 'Error', 'Too many pending actions');
      return;
    }
    // do_message(): a flagged packet gets its parse error, with its ActionID (S3, S4).
    if (msg.fault !== undefined) this.services.observe({ type: 'limit', session: this, limit: msg.fault });
    if (msg.fault === 'too-many-lines') return this.reply(msg, 'Error', 'Too many lines in message or allocation failure');
    if (msg.fault === 'line-too-long') return this.reply(msg, 'Error', 'Failed to parse message: line too long');
    const action = msg.getNonEmpty('Action');
    if (action === undefined) return this.reply(msg, 'Error', 'Missing action in request');
    const a = action.toLowerCase();
    const started = performance.now();
    // Before login only Challenge is an action record: Login has its own
    // records (loginSucceeded/loginFailed), and an unauthenticated client has
    // no user to attribute anything else to (docs/audit.md).
    if (this.status === 'unauthenticated') {
      if (a === 'login') return this.login(msg);
      if (a === 'challenge') return this.challengeAction(msg, action, started);
      if (a === 'logoff') return this.logoff(msg);
      return this.reply(msg, 'Error', 'Permission denied'); // S7
    }
    const user = this.user!;
    switch (a) {
      case 'login':
        this.reply(msg, 'Success', 'Already authenticated');
        return this.observeLocal(msg, action, 'success', started);
      case 'logoff':
        this.observeLocal(msg, action, 'success', started);
        return this.logoff(msg);
      case 'challenge': return this.challengeAction(msg, action, started);
      case 'ping':
        this.ping(msg);
        return this.observeLocal(msg, action, 'success', started);
    }
    const decision = this.services.decide(user, msg);
    if (!decision.allow) {
      this.reply(msg, 'Error', decision.message);
      this.services.observe({ type: 'action', session: this, action, msg, result: 'denied', rule: decision.rule, latencyMs: performance.now() - started });
      return;
    }
    switch (a) {
      case 'events': return this.events(msg, action, started);
      case 'filter': return this.filter(msg, action, started);
      case 'waitevent': return this.waitEventAction(msg, action, started);
    }
    this.forward(msg, action, decision.servers ?? this.services.serversFor(user), started, a === 'listcommands');
  }

  // --- forwarded actions --------------------------------------------------------

  private forward(msg: AmiMessage, action: string, servers: readonly string[], started: number, listCommands: boolean): void {
    const clientId = msg.actionId();
    const audit = msg.clone(); // the router rewrites msg in place
    this.busy = 'action';
    const handler: ReplyHandler = {
      packet: (reply) => {
        if (this.status === 'closed') return;
        this.writer.write(listCommands && reply.isResponse ? this.services.filterListCommands(this.user!, reply).toBuffer() : reply.toBuffer());
      },
      done: (outcome: ActionOutcome, info: { upstream: string; upstreamMs: number; err?: AmigateError }) => {
        if (info.err && this.status !== 'closed') {
          this.writeReply(clientId, 'Error', info.err.message);
        }
        const result = outcome;
        this.services.observe({ type: 'action', session: this, action, msg: audit, result, upstream: info.upstream, latencyMs: performance.now() - started, upstreamMs: info.upstreamMs });
        this.idle();
      },
    };
    try {
      this.services.forward(this, msg, servers, handler);
    } catch (err) {
      const e = err as AmigateError;
      this.writeReply(clientId, 'Error', e.message);
      this.services.observe({ type: 'action', session: this, action, msg: audit, result: 'error', latencyMs: performance.now() - started });
      this.idle();
    }
  }

  /** Between actions: flush held events, then look at the next packet. */
  private idle(): void {
    this.busy = false;
    if (this.held.length > 0) {
      const held = this.held;
      this.held = [];
      this.heldBytes = 0;
      for (const b of held) this.writer.write(b, true);
    }
    if (this.status === 'ready' || this.status === 'unauthenticated') this.pump();
  }

  // --- locally answered actions ------------------------------------------------

  private login(msg: AmiMessage): void {
    const username = msg.get('Username') ?? '';
    const md5 = msg.get('AuthType')?.toLowerCase() === 'md5';
    this.busy = 'login';
    const started = performance.now();
    this.services.login({
      username,
      ...(md5 ? { key: msg.get('Key') ?? '', ...(this.challenge !== undefined ? { challenge: this.challenge } : {}) } : { secret: msg.get('Secret') ?? '' }),
      conn: this.conn,
      sessionId: this.id,
    }).then((res) => {
      if (this.status !== 'unauthenticated') return; // closed meanwhile
      if (!res.ok) {
        this.services.observe({ type: 'login-failed', session: this, username, reason: res.reason });
        // manager.c authenticate() failure: sleep 1 s, answer, close (S8). The
        // reply and the delay are the same whatever the reason.
        this.busy = 'failing';
        const t = setTimeout(() => {
          if (this.status !== 'unauthenticated') return;
          this.reply(msg, 'Error', res.reply);
          this.end('login-failed');
        }, 1000);
        t.unref?.();
        return;
      }
      this.user = res.user;
      this.status = 'ready';
      if (this.authTimer) clearTimeout(this.authTimer);
      this.writer = this.rebuildWriter(res.user.writeTimeoutMs);
      const events = msg.get('Events');
      if (events !== undefined && events.length > 0) {
        const m = stringsToMask(events);
        if (m >= 0) this.sendMask = m;
      }
      this.filters = this.services.compileFilters(res.user, this.extraFilters);
      this.reply(msg, 'Success', 'Authentication accepted');
      this.services.observe({ type: 'login-ok', session: this });
      // goami2 reads the login reply with one read(): give it its own write,
      // then FullyBooted for system readers (S8).
      this.writer.flush();
      const booted = this.services.fullyBooted();
      if (booted && (res.user.readMask & 1) === 1 && (this.sendMask & 1) === 1) {
        setImmediate(() => {
          if (this.status !== 'ready') return;
          this.writer.write(AmiMessage.from([
            ['Event', 'FullyBooted'], ['Privilege', 'system,all'],
            ['Uptime', String(booted.uptime)], ['LastReload', String(booted.lastReload)], ['Status', 'Fully Booted'],
          ]).toBuffer());
          this.idle();
        });
      } else {
        this.idle();
      }
      void started;
    }, () => {
      if (this.status !== 'unauthenticated') return;
      this.reply(msg, 'Error', 'Authentication failed');
      this.end('login-error');
    });
  }

  private challengeAction(msg: AmiMessage, action: string, started: number): void {
    // action_challenge(): AuthType MD5 (any case) or "Must specify AuthType" (S9).
    if (!this.services.challengeAllowed(msg.get('Username'))) {
      this.busy = 'failing';
      const t = setTimeout(() => {
        this.reply(msg, 'Error', 'Login Already In Use');
        this.observeLocal(msg, action, 'error', started);
        this.end('session-limit');
      }, 1000);
      t.unref?.();
      return;
    }
    if (msg.get('AuthType')?.toLowerCase() !== 'md5') {
      this.reply(msg, 'Error', 'Must specify AuthType');
      return this.observeLocal(msg, action, 'error', started);
    }
    this.challenge ??= newChallenge();
    this.writeResponse(msg, [['Response', 'Success'], ['Challenge', this.challenge]]);
    this.observeLocal(msg, action, 'success', started);
  }

  private logoff(msg: AmiMessage): void {
    this.writeResponse(msg, [['Response', 'Goodbye'], ['Message', 'Thanks for all the fish.']]);
    this.end('logoff');
  }

  private ping(msg: AmiMessage): void {
    const now = Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000);
    const ts = `${Math.floor(now / 1e6)}.${String(now % 1e6).padStart(6, '0')}`;
    this.writeResponse(msg, [['Response', 'Success'], ['Ping', 'Pong'], ['Timestamp', ts]]);
  }

  private events(msg: AmiMessage, action: string, started: number): void {
    // action_events(): strings_to_mask(EventMask); -1 is "Invalid event mask" (S15).
    const mask = stringsToMask(msg.get('EventMask'));
    if (mask < 0) this.reply(msg, 'Error', 'Invalid event mask');
    else {
      this.sendMask = mask;
      this.writeResponse(msg, [['Response', 'Success'], ['Events', mask > 0 ? 'On' : 'Off']]);
    }
    this.services.observe({ type: 'action', session: this, action, msg, result: mask < 0 ? 'error' : 'success', latencyMs: performance.now() - started });
  }

  private filter(msg: AmiMessage, action: string, started: number): void {
    // manager_add_filter() for this session only (S20): forwarding it would filter the shared upstream.
    const op = msg.get('Operation');
    let result: 'success' | 'error' = 'error';
    if (op === undefined || op.toLowerCase() !== 'add') {
      this.reply(msg, 'Error', 'Unknown operation');
    } else {
      const criteria = msg.get('MatchCriteria');
      const filter = msg.get('Filter');
      const spec = criteria !== undefined && criteria.length > 0 ? { matchcriteria: criteria, filter: filter ?? '' } : filter;
      if (spec === undefined) {
        this.reply(msg, 'Error', 'Filter was formatted incorrectly.  Check the syntax of the filter given.');
      } else {
        try {
          this.services.checkFilter(spec);
          this.extraFilters.push(spec);
          this.filters = this.services.compileFilters(this.user!, this.extraFilters);
          this.reply(msg, 'Success', 'Success');
          result = 'success';
        } catch (err) {
          const kind = (err as { kind?: string }).kind;
          this.reply(msg, 'Error', kind === 'compile'
            ? 'Filter did not compile.  Check the syntax of the filter given.'
            : 'Filter was formatted incorrectly.  Check the syntax of the filter given.');
        }
      }
    }
    this.services.observe({ type: 'action', session: this, action, msg, result, latencyMs: performance.now() - started });
  }

  private waitEventAction(msg: AmiMessage, action: string, started: number): void {
    // action_waitevent() (S14): emulated per session so the shared upstream never blocks.
    const timeout = Number.parseInt(msg.get('Timeout') ?? '', 10);
    const ms = Number.isFinite(timeout) && timeout > 0 ? Math.min(timeout, 3600) * 1000 : 60_000;
    this.busy = 'waitevent';
    const id = msg.actionId();
    const timer = setTimeout(() => this.finishWaitEvent(), ms);
    timer.unref?.();
    this.waitEvent = { id, timer, msg, action, started };
    if (this.held.length > 0) this.finishWaitEvent();
  }

  private finishWaitEvent(): void {
    const w = this.waitEvent;
    if (!w) return;
    this.waitEvent = undefined;
    clearTimeout(w.timer);
    setImmediate(() => {
      if (this.status !== 'ready') return;
      const idLine = w.id === undefined ? [] : ['ActionID: ' + w.id];
      this.writer.write(new AmiMessage(['Response: Success', ...idLine, 'Message: Waiting for Event completed.']).toBuffer());
      const held = this.held;
      this.held = [];
      this.heldBytes = 0;
      for (const b of held) this.writer.write(b, true);
      this.writer.write(new AmiMessage(['Event: WaitEventComplete', ...idLine]).toBuffer());
      this.observeLocal(w.msg, w.action, 'success', w.started);
      this.idle();
    });
  }

  // --- output helpers -----------------------------------------------------------

  /** astman_send_response_full(): Response, then ActionID if the request had one, then Message (S21). */
  private reply(req: AmiMessage, response: string, message: string): void {
    this.writeReply(req.actionId(), response, message);
  }

  private writeReply(actionId: string | undefined, response: string, message: string): void {
    const lines = ['Response: ' + response];
    if (actionId !== undefined) lines.push('ActionID: ' + actionId);
    lines.push('Message: ' + message);
    this.writer.write(new AmiMessage(lines).toBuffer());
  }

  /** A response whose first pair is Response:, with the request's ActionID second. */
  private writeResponse(req: AmiMessage, pairs: Array<[string, string]>): void {
    const m = AmiMessage.from(pairs);
    // The client's ActionID is echoed raw, as Asterisk does: a lone CR is legal
    // inside a value (S2), so it must not go through the injection check.
    const id = req.actionId();
    if (id !== undefined) m.lines.splice(1, 0, 'ActionID: ' + id);
    this.writer.write(m.toBuffer());
  }

  private rebuildWriter(writeTimeoutMs: number): Writer {
    this.writer.close();
    return new Writer(this.socket, {
      writeTimeoutMs,
      maxQueueBytes: this.services.maxQueueBytes,
      onSlow: (info) => this.onSlow(info),
    });
  }

  private onSlow(info: { queuedBytes: number; reason: string }): void {
    this.slowReason = info.reason;
    this.services.observe({ type: 'slow-consumer', session: this, ...info });
    this.destroy('slow-consumer');
  }

  /**
   * users.<name>.logevents: name and Privilege from the head of the wire text
   * (fan-out puts `Event:` first, as manager.c does). Only these users pay for it.
   */
  private observeEvent(wire: Buffer): void {
    const head = wire.toString('latin1', 0, Math.min(wire.length, 512));
    const event = /^Event: *([^\r\n]*)/i.exec(head)?.[1] ?? '';
    const privilege = /\r\nPrivilege: *([^\r\n]*)/i.exec(head)?.[1];
    this.services.observe({ type: 'event', session: this, event, privilege });
  }

  /** Audit and count an action amigate answered itself (no upstream). */
  private observeLocal(msg: AmiMessage, action: string, result: 'success' | 'error', started: number): void {
    this.services.observe({ type: 'action', session: this, action, msg, result, latencyMs: performance.now() - started });
  }

  // --- closing ------------------------------------------------------------------

  /** Send what is queued, then close (Logoff, failed login). */
  end(cause: string): void {
    if (this.status === 'closing' || this.status === 'closed') return;
    this.closeCause = cause;
    this.status = 'closing';
    this.writer.flush();
    this.socket.end();
    const t = setTimeout(() => this.destroy(cause), 2000);
    t.unref?.();
  }

  /** Write a last packet (e.g. Event: Shutdown) and close. */
  shutdown(packet: Buffer | undefined, cause: string): void {
    if (this.status === 'closed') return;
    if (packet && this.status === 'ready') this.writer.write(packet);
    this.end(cause);
  }

  destroy(cause: string): void {
    if (this.status === 'closed') return;
    this.closeCause ||= cause;
    this.status = 'closed';
    if (this.authTimer) clearTimeout(this.authTimer);
    if (this.waitEvent) clearTimeout(this.waitEvent.timer);
    // Counted before the socket goes: held events and events still in its queue never reach the client.
    const eventsDropped = this.held.length + this.writer.eventsQueued;
    this.writer.close();
    this.queue.length = 0;
    this.held = [];
    this.heldBytes = 0;
    this.socket.destroy();
    this.services.observe({ type: 'closed', session: this, cause: this.closeCause, eventsDropped, dropReason: this.slowReason ?? 'session-closed' });
  }
}
