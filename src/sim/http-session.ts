// One AMI-over-HTTP session of the simulated Asterisk (main/manager.c
// mansession_session with managerid != 0): its `mansession_id` (32 bits, as
// Asterisk: `%08x` of ast_random()), its login state, and the events queued for
// it from login on, which reach it only through WaitEvent (Pragma:
// SuppressEvents on every answer). The queue is bounded (the sim must stay
// bounded in long demos; Asterisk's shared event list is not): the oldest
// events are dropped first and counted in `dropped`.

import { EventFilterSet } from '../policy/event-filter.js';
import { stringsToMask } from '../protocol/privileges.js';
import type { SimEvent } from './events.js';
import type { EventSink, SimPbx } from './pbx.js';
import type { SimActionSession, SimPeer } from './reply.js';
import type { CompiledUser } from './users.js';

const QUEUE_LIMIT = 10_000;

let nextSessionNumber = 0;

export interface Waiter {
  /** Ends the wait: true = answer with the events, false = superseded (empty answer). */
  finish(deliver: boolean): void;
}

export class SimHttpSession implements EventSink, SimActionSession {
  readonly pbx: SimPbx;
  /** mansession_id, 8 hex digits (a Digest session's current nonce, which Asterisk also takes as its cookie). */
  id: string;
  readonly sessionId: string;
  socket: SimPeer = {};
  authenticated = false;
  username: string | undefined;
  user: CompiledUser | undefined;
  readperm = 0;
  writeperm = 0;
  sendEvents = -1;
  filters = new EventFilterSet();
  challenge: string | undefined;
  /** Digest sessions: the last nc, the nonce's time and the previous nonce (auth_http_callback()). */
  nc = 0;
  nonceTime = 0;
  oldNonce: string | undefined;
  /** Events queued since the last WaitEvent. */
  readonly queue: Buffer[] = [];
  dropped = 0;
  waiter: Waiter | undefined;
  /** A request is running on it (generic_http_callback()'s inuse). */
  inUse = 0;
  ended = false;
  private expiry: ReturnType<typeof setTimeout> | undefined;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly onEnd: (s: SimHttpSession) => void;

  constructor(pbx: SimPbx, id: string, onEnd: (s: SimHttpSession) => void) {
    this.pbx = pbx;
    this.id = id;
    this.onEnd = onEnd;
    this.sessionId = '0x7f8a' + (0x20011a0 + nextSessionNumber++ * 0x1000).toString(16);
  }

  login(user: CompiledUser, events: string | undefined): void {
    this.authenticated = true;
    this.user = user;
    this.username = user.name;
    this.readperm = user.readperm;
    this.writeperm = user.writeperm;
    this.filters = new EventFilterSet(user.filters);
    if (events !== undefined && events.length > 0) {
      const mask = stringsToMask(events);
      if (mask >= 0) this.sendEvents = mask;
    }
    // Events are queued from login on.
    this.pbx.sessions.add(this);
  }

  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.timers.delete(t); resolve(); }, ms);
      this.timers.add(t);
    });
  }

  offer(ev: SimEvent): void {
    if (!this.authenticated || this.ended) return;
    const cat = ev.category;
    if ((this.readperm & cat) !== cat || (this.sendEvents & cat) !== cat) return;
    if (this.filters.size > 0 && !this.filters.passes(ev.name, undefined, ev.text)) return;
    if (this.queue.length >= QUEUE_LIMIT) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(ev.buf);
    this.waiter?.finish(true);
  }

  /** The AMI text of the queued events, emptying the queue. */
  takeEvents(): string {
    const text = this.queue.map((b) => b.toString('latin1')).join('');
    this.queue.length = 0;
    return text;
  }

  /** Reset the idle timer: httptimeout once logged in, 5 s before (generic_http_callback()). */
  arm(httpTimeoutMs: number): void {
    if (this.ended) return;
    clearTimeout(this.expiry);
    const ms = this.authenticated || httpTimeoutMs < 5000 ? httpTimeoutMs : 5000;
    this.expiry = setTimeout(() => {
      if (this.inUse > 0) { this.arm(httpTimeoutMs); return; }
      this.end();
    }, ms);
    this.expiry.unref();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.expiry);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.waiter?.finish(false);
    this.pbx.sessions.delete(this);
    this.onEnd(this);
  }

  closeAfterFlush(): void { this.end(); }
  destroy(): void { this.end(); }
  pause(): void { /* HTTP sessions have no socket of their own */ }
  resume(): void { /* idem */ }
}
