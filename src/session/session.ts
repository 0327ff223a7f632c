// One AMI session, from its first request to close, whatever carries it.
//
//   status: unauthenticated -> ready -> closing -> closed
//
// Like main/manager.c session_do()/do_message(), a session handles its actions
// strictly one at a time and in order (S26): the next request is looked at only
// when the previous one is fully answered (response, whole EventList, or error).
// Broadcast events that arrive while an action is in flight are held and
// flushed between actions, so no event is ever written inside a list.
//
// Actions that would change the shared upstream session are answered here and
// never forwarded (S14): one handler each in session/actions/. Everything else
// goes services.decide() (policy) -> services.forward() (router).
//
// The session writes only through its Transport (context.ts has the interface
// and the whole surface a transport uses); it never sees a socket or a format.
//
// This file owns the status, the FIFO of requests and its turn, event delivery
// and the close. What one request does is request-dispatch.ts; the forwarded
// path is forwarding-path.ts; the replies it builds itself are replies.ts.

import type { AmiMessage } from '../protocol/message.js';
import { ALL } from '../protocol/privileges.js';
import { OutboundEvent } from '../protocol/outbound-event.js';
import type { ActionContext, Busy, Transport, TransportSession } from './context.js';
import type {
  ActionResult, ConnectionInfo, FilterSpec, SessionFilters, SessionHandle, SessionServices, SessionStatus, SessionUser,
} from './services.js';
import { transportLogin } from './actions/login.js';
import { HeldEvents } from './held-events.js';
import { forwardAction, type ForwardingSession } from './forwarding-path.js';
import { handleRequest, overflowMarker } from './request-dispatch.js';
import { replyMessage, responseFor } from './replies.js';

const EMPTY_FILTERS: SessionFilters = { size: 0, passes: () => true };

export class AmiSession implements SessionHandle, TransportSession, ActionContext, ForwardingSession {
  readonly id: number;
  readonly conn: ConnectionInfo;
  readonly openedAt = Date.now();
  readonly services: SessionServices;
  status: SessionStatus = 'unauthenticated';
  user: SessionUser | undefined;
  /** send_events: what Events/Login `Events:` asked for; delivery also needs readMask (S17). */
  sendMask = ALL;
  challenge: string | undefined;
  closeCause = '';
  // transport, busy and held are the core's own, shared with forwarding-path.ts;
  // everyone else sees a session through the interfaces of context.ts and services.ts.
  readonly transport: Transport;
  busy: Busy = false;
  readonly held = new HeldEvents();
  /** Requests not yet handled, in arrival order (S26). */
  private readonly queue: AmiMessage[] = [];
  private filters: SessionFilters = EMPTY_FILTERS;
  private readonly extraFilters: FilterSpec[] = [];
  private authTimer: NodeJS.Timeout | undefined;
  private waiter: { timer: NodeJS.Timeout; finish: () => void } | undefined;
  private paused = false;
  /** Inside pump()'s loop: done() leaves taking the next request to it. */
  private pumping = false;
  /** A stop is draining: no new action starts (hold()). */
  private holding = false;
  /** done() ran for the request pump() is handling (an action that ended inside handle()). */
  private ended = false;
  /** Why the session was dropped as a slow consumer; the reason its lost events are counted under. */
  private slowReason: string | undefined;

  constructor(id: number, services: SessionServices, conn: ConnectionInfo, transport: Transport) {
    this.id = id;
    this.services = services;
    this.conn = conn;
    this.transport = transport;
    transport.attach(this);
  }

  /** The largest output queue (bytes) this session reached. */
  get queueHighWater(): number { return this.transport.highWater; }

  /** Bytes waiting for this client now: the transport's queue plus held events. */
  get queuedBytes(): number { return this.transport.queuedBytes + this.held.bytes; }

  get maxWaitSeconds(): number | undefined { return this.transport.maxWaitSeconds; }

  start(): void {
    this.transport.banner(this.services.banner());
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
  get scopeId(): number | undefined { return this.user?.scopeId; } // [scope]

  passesFilters(name: string, event: AmiMessage, text: () => string): boolean {
    if (this.filters.size === 0) return true;
    return this.filters.passes(name, event, text());
  }

  /** `ev`: fan-out's shared form of `wire`; built here only for callers that pass bytes alone. */
  deliverEvent(wire: Buffer, ev?: OutboundEvent): void {
    if (this.status === 'closed') return;
    if (this.user?.logEvents === true) this.observeEvent(wire);
    const out = ev ?? new OutboundEvent(wire);
    if (this.busy !== false || this.transport.pollsEvents) {
      // Asterisk queues events while a session is inside an action and flushes
      // them between actions (S26). Bounded by the output queue limit.
      this.held.push(out);
      if (this.held.bytes > this.services.maxQueueBytes) this.heldOverflow();
      if (this.busy === 'waitevent') this.finishWait();
      return;
    }
    this.transport.event(out);
  }

  /** Apply new rights after a config reload (same user name). */
  updateUser(user: SessionUser): void {
    this.user = user;
    this.filters = this.services.compileFilters(user, this.extraFilters);
  }

  // --- input (called by the transport) ----------------------------------------

  receive(msg: AmiMessage): void {
    if (this.status === 'closing' || this.status === 'closed') return;
    const max = this.services.maxPendingActions;
    if (this.queue.length >= max) {
      // Fail fast but in order: keep only what the error reply needs.
      this.queue.push(overflowMarker(msg));
      if (!this.paused && this.queue.length >= 2 * max) {
        this.paused = true;
        this.transport.pause();
      }
    } else {
      this.queue.push(msg);
    }
    this.pump();
  }

  /** action_waitevent(): input from the client ends the wait (ast_wait_for_input() breaks its loop). */
  input(): void {
    if (this.busy === 'waitevent') this.finishWait();
  }

  /** End a pending WaitEvent with no reply at all; held events stay for the next one. */
  abortWait(): boolean {
    const w = this.waiter;
    if (w === undefined || this.busy !== 'waitevent') return false;
    this.waiter = undefined;
    clearTimeout(w.timer);
    this.done();
    return true;
  }

  authenticate(username: string, digest: boolean): Promise<boolean> {
    return transportLogin(this, username, digest);
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try { this.drain(); } finally { this.pumping = false; }
    if (this.paused && this.queue.length < this.services.maxPendingActions) {
      this.paused = false;
      this.transport.resume();
    }
  }

  /** The transport's congested output drained (backpressure): go on with the queued requests. */
  outputDrained(): void {
    if (this.isOpen()) this.pump();
  }

  private drain(): void {
    // Not while the output is congested: the next action waits for the drain, as in Asterisk.
    while (this.busy === false && !this.holding && this.queue.length > 0 && this.status !== 'closing' && this.status !== 'closed' && this.transport.congested !== true) {
      const msg = this.queue.shift()!;
      this.ended = false;
      try {
        handleRequest(this, msg);
      } catch (err) {
        // Input must never crash the proxy: answer, log through observe, go on.
        this.busy = false;
        this.transport.send(replyMessage(undefined, 'Error', 'Internal error'));
        this.services.observe({ type: 'action', session: this, action: msg.getNonEmpty('Action') ?? '', msg, result: 'error', rule: 'internal-error: ' + String((err as Error)?.message ?? err), latencyMs: 0 });
      }
      // Answered inside handle(): its packets are all out, the action has ended
      // (unless it ended the session: after end() a transport hears nothing more).
      if (this.busy === false && !this.ended && this.isOpen()) this.transport.actionDone();
    }
  }

  /** Neither closing nor closed (a method, so a check after a call is not narrowed away). */
  private isOpen(): boolean { return this.status === 'ready' || this.status === 'unauthenticated'; }

  // --- ActionContext (what session/actions/* use) -------------------------------

  setBusy(kind: Exclude<Busy, false>): void { this.busy = kind; }

  forward(msg: AmiMessage, action: string, servers: readonly string[], started: number, transform?: (reply: AmiMessage) => AmiMessage): void {
    forwardAction(this, msg, action, servers, started, transform);
  }

  /** Between actions: flush held events, then look at the next request. */
  done(): void {
    this.busy = false;
    this.ended = true;
    if (!this.isOpen()) return;
    if (!this.transport.pollsEvents) this.flushHeld();
    this.transport.actionDone();
    this.pump();
  }

  flushHeld(): void {
    if (this.held.length === 0) return;
    for (const ev of this.held.take()) this.transport.event(ev);
  }

  loggedIn(user: SessionUser): void {
    this.user = user;
    this.status = 'ready';
    if (this.authTimer) clearTimeout(this.authTimer);
    this.transport.loggedIn(user);
    this.filters = this.services.compileFilters(user, this.extraFilters);
  }

  addFilter(spec: FilterSpec): void {
    this.extraFilters.push(spec);
    this.filters = this.services.compileFilters(this.user!, this.extraFilters);
  }

  waitForEvents(ms: number, finish: () => void): void {
    this.busy = 'waitevent';
    const timer = setTimeout(() => this.finishWait(), ms);
    timer.unref?.();
    this.waiter = { timer, finish };
    if (this.held.length > 0) this.finishWait();
  }

  private finishWait(): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = undefined;
    clearTimeout(w.timer);
    setImmediate(() => {
      if (this.status === 'ready') w.finish();
    });
  }

  /** astman_send_response_full(): Response, then ActionID if the request had one, then Message (S21). */
  reply(req: AmiMessage, response: string, message: string): void {
    this.transport.send(replyMessage(req.actionId(), response, message));
  }

  /** A response whose first pair is Response:, with the request's ActionID second (raw). */
  respond(req: AmiMessage, pairs: Array<[string, string]>): void {
    this.transport.send(responseFor(req, pairs));
  }

  send(msg: AmiMessage): void { this.transport.send(msg); }
  flush(): void { this.transport.flush(); }

  observe(msg: AmiMessage, action: string, result: ActionResult, started: number): void {
    this.services.observe({ type: 'action', session: this, action, msg, result, latencyMs: performance.now() - started });
  }

  // --- output trouble -------------------------------------------------------------

  /** The transport could not get rid of its output (writetimeout, maxqueuebytes). */
  slow(info: { queuedBytes: number; reason: string }): void {
    this.slowReason = info.reason;
    this.services.observe({ type: 'slow-consumer', session: this, ...info });
    this.destroy('slow-consumer');
  }

  private heldOverflow(): void {
    if (!this.transport.pollsEvents) return this.slow({ queuedBytes: this.held.bytes, reason: 'held-events' });
    // A polling client (HTTP) is not a slow consumer until it polls: the oldest events go.
    const n = this.held.dropOldest(this.services.maxQueueBytes);
    this.services.observe({ type: 'events-dropped', session: this, count: n, reason: 'queue-full' });
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

  // --- closing ------------------------------------------------------------------

  /** Send what is queued, then close (Logoff, failed login). */
  end(cause: string): void {
    if (this.status === 'closing' || this.status === 'closed') return;
    this.closeCause = cause;
    this.status = 'closing';
    this.transport.flush();
    this.transport.end();
    const t = setTimeout(() => this.destroy(cause), 2000);
    t.unref?.();
  }

  /**
   * A stop's drain: start no new action. What the client sends from now on is
   * never forwarded, so an action unanswered when Event: Shutdown comes was not
   * run and the client may resend it elsewhere; in-flight ones still finish.
   */
  hold(): void { this.holding = true; }

  /** Write a last packet (e.g. Event: Shutdown) and close. */
  shutdown(packet: AmiMessage | undefined, cause: string): void {
    if (this.status === 'closed') return;
    if (packet && this.status === 'ready') this.transport.send(packet);
    this.end(cause);
  }

  destroy(cause: string): void {
    if (this.status === 'closed') return;
    this.closeCause ||= cause;
    this.status = 'closed';
    if (this.authTimer) clearTimeout(this.authTimer);
    if (this.waiter) clearTimeout(this.waiter.timer);
    // Counted before the transport goes: held events and events still in its queue never reach the client.
    const eventsDropped = this.held.clear() + this.transport.eventsQueued;
    this.queue.length = 0;
    this.transport.destroy();
    this.services.observe({ type: 'closed', session: this, cause: this.closeCause, eventsDropped, dropReason: this.slowReason ?? 'session-closed' });
  }
}
