// One AMI connection to the simulated Asterisk: main/manager.c session_do(),
// do_message() and process_message() over a Node socket.
//
//   bytes ─▶ AmiParser (request mode: 1024-byte lines, 128 headers, S3/S4)
//         ─▶ inbox ─▶ one action at a time, in order (S26); an action may be async
//            (the 1 s login-failure sleep, a synchronous Originate)
//         ─▶ its whole output in one socket write (listWriteDelayMs: a list's ack first)
//   events ─▶ offer(): read classes all-of, Events mask, filters (S17, S20)
//         ─▶ pending, flushed only between actions, so never inside a list
//
// Unauthenticated sockets are closed silently after authtimeout (S7). A socket
// that will not take a write for writetimeout ms is dropped (S27).

import type net from 'node:net';
import { AmiParser } from '../protocol/parser.js';
import type { AmiMessage } from '../protocol/message.js';
import { EventFilterSet } from '../policy/event-filter.js';
import { stringsToMask } from '../protocol/privileges.js';
import type { SimEvent } from './events.js';
import type { EventSink, SimPbx } from './pbx.js';
import type { CompiledUser } from './users.js';
import { idLineOf, type ActionContext, type ActionResult, type SimActionSession } from './reply.js';
import { dispatch } from './dispatch.js';

let nextSessionNumber = 0;

export class SimSession implements EventSink, SimActionSession {
  readonly pbx: SimPbx;
  readonly socket: net.Socket;
  /** `0x7f...`: the mansession pointer SuccessfulAuth prints as SessionID. */
  readonly sessionId: string;
  authenticated = false;
  username: string | undefined;
  user: CompiledUser | undefined;
  readperm = 0;
  writeperm = 0;
  /** send_events: -1 (everything) until Login `Events:` or the Events action set it. */
  sendEvents = -1;
  filters = new EventFilterSet();
  /** The MD5 challenge; once set it stays for the session (action_challenge()). */
  challenge: string | undefined;
  private writeTimeoutMs = 100;
  private readonly parser: AmiParser;
  private readonly inbox: AmiMessage[] = [];
  private busy = false;
  private pending: Buffer[] = [];
  private flushQueued = false;
  private readonly held: Buffer[] = [];
  private closed = false;
  private authTimer: ReturnType<typeof setTimeout> | undefined;
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(pbx: SimPbx, socket: net.Socket) {
    this.pbx = pbx;
    this.socket = socket;
    const n = nextSessionNumber++;
    this.sessionId = '0x7f89' + (0x10011a0 + n * 0x1000).toString(16);
    socket.setNoDelay(true);
    this.parser = new AmiParser({ onMessage: (m) => this.onMessage(m) });
    socket.on('data', (chunk: Buffer) => this.parser.write(chunk));
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => this.cleanup());
    socket.on('drain', () => {
      if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
      this.drainTimer = undefined;
    });
    this.armAuthTimer(pbx.settings.authTimeoutMs);
    if (pbx.hung) socket.pause();
    this.write(Buffer.from(`Asterisk Call Manager/${pbx.settings.amiVersion}\r\n`, 'latin1'));
  }

  /** authenticate() succeeded: take over the user's permissions, filters and event mask. */
  login(user: CompiledUser, events: string | undefined): void {
    this.authenticated = true;
    this.user = user;
    this.username = user.name;
    this.readperm = user.readperm;
    this.writeperm = user.writeperm;
    this.writeTimeoutMs = user.writeTimeoutMs;
    this.filters = new EventFilterSet(user.filters);
    if (events !== undefined && events.length > 0) {
      const mask = stringsToMask(events);
      if (mask >= 0) this.sendEvents = mask;
    }
    if (this.authTimer !== undefined) clearTimeout(this.authTimer);
    this.authTimer = undefined;
  }

  /** A timer that dies with the session. */
  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  // --- events ---------------------------------------------------------------

  offer(ev: SimEvent): void {
    if (!this.authenticated || this.closed) return;
    const cat = ev.category;
    // process_events(): the session must hold ALL the event's classes (S17).
    if ((this.readperm & cat) !== cat || (this.sendEvents & cat) !== cat) return;
    if (this.filters.size > 0 && !this.filters.passes(ev.name, undefined, ev.text)) return;
    this.pending.push(ev.buf);
    if (!this.busy && !this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => { if (!this.busy) this.flushEvents(); });
    }
  }

  private flushEvents(): void {
    this.flushQueued = false;
    if (this.pending.length === 0 || this.closed) return;
    const bufs = this.pending;
    this.pending = [];
    this.writeMany(bufs);
  }

  // --- input ----------------------------------------------------------------

  private onMessage(msg: AmiMessage): void {
    if (this.closed) return;
    this.inbox.push(msg);
    this.pump();
  }

  private pump(): void {
    while (!this.busy && !this.closed && !this.pbx.hung && this.inbox.length > 0) {
      const msg = this.inbox.shift()!;
      // do_message() runs process_events() before it reads the next request.
      this.flushEvents();
      this.busy = true;
      const ctx: ActionContext = { pbx: this.pbx, session: this, msg, idLine: idLineOf(msg), out: '' };
      let result: ActionResult | Promise<ActionResult>;
      try {
        result = dispatch(ctx);
      } catch {
        result = undefined;
      }
      if (result instanceof Promise) {
        result.then((r) => this.finish(ctx, r), () => this.finish(ctx, undefined));
        return;
      }
      this.finish(ctx, result);
    }
  }

  private finish(ctx: ActionContext, result: ActionResult): void {
    this.busy = false;
    if (this.closed) return;
    const delay = this.pbx.settings.listWriteDelayMs ?? 0;
    const ackEnd = delay > 0 && /^Response: Success\r\n(?:ActionID: [^\r]*\r\n)?EventList: start\r\n/.test(ctx.out) ? ctx.out.indexOf('\r\n\r\n') + 4 : -1;
    if (ackEnd > 0 && ackEnd < ctx.out.length) {
      // listWriteDelayMs: the ack now, the rest later, still busy (so still no events).
      this.write(Buffer.from(ctx.out.slice(0, ackEnd), 'latin1'));
      ctx.out = ctx.out.slice(ackEnd);
      this.busy = true;
      this.pbx.after(delay, () => this.finish(ctx, result));
      return;
    }
    if (ctx.out.length > 0) this.write(Buffer.from(ctx.out, 'latin1'));
    if (result === 'close') {
      this.end();
      return;
    }
    // SuppressEvents: keep this action's events for the next flush (S14).
    if (!ctx.msg.get('SuppressEvents')) this.flushEvents();
    this.pump();
  }

  // --- output ---------------------------------------------------------------

  private write(buf: Buffer): void {
    if (this.closed) return;
    if (this.pbx.hung) {
      this.held.push(buf);
      return;
    }
    this.socket.write(buf);
    this.watchDrain();
  }

  private writeMany(bufs: Buffer[]): void {
    if (this.closed) return;
    if (this.pbx.hung) {
      for (const b of bufs) this.held.push(b);
      return;
    }
    if (bufs.length === 1) {
      this.write(bufs[0]!);
      return;
    }
    this.socket.cork();
    for (const b of bufs) this.socket.write(b);
    this.socket.uncork();
    this.watchDrain();
  }

  /** send_string(): a write blocked longer than writetimeout drops the session (S27). */
  private watchDrain(): void {
    if (this.socket.writableNeedDrain && this.drainTimer === undefined) {
      this.drainTimer = setTimeout(() => {
        this.drainTimer = undefined;
        if (this.socket.writableNeedDrain) this.destroy();
      }, this.writeTimeoutMs);
    }
  }

  // --- lifecycle ------------------------------------------------------------

  private armAuthTimer(ms: number): void {
    this.authTimer = setTimeout(() => {
      this.authTimer = undefined;
      if (this.authenticated || this.closed) return;
      // A hung server notices nothing; check again once it is back.
      if (this.pbx.hung) { this.armAuthTimer(100); return; }
      this.end();
    }, ms);
  }

  pause(): void { this.socket.pause(); }

  resume(): void {
    if (this.closed) return;
    this.socket.resume();
    if (this.held.length > 0) {
      const bufs = this.held.splice(0);
      this.writeMany(bufs);
    }
    if (!this.busy && this.pending.length > 0) this.flushEvents();
    this.pump();
  }

  closeAfterFlush(): void {
    if (this.closed) return;
    if (!this.pbx.hung) this.flushEvents();
    this.end();
  }

  /** Close after what is written (Logoff, login failure, authtimeout, shutdown). */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    this.socket.end();
    this.pbx.sessions.delete(this);
  }

  destroy(): void {
    this.closed = true;
    this.clearTimers();
    this.socket.destroy();
    this.pbx.sessions.delete(this);
  }

  private cleanup(): void {
    this.closed = true;
    this.clearTimers();
    this.pbx.sessions.delete(this);
  }

  private clearTimers(): void {
    if (this.authTimer !== undefined) clearTimeout(this.authTimer);
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.authTimer = this.drainTimer = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
