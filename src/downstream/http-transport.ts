// The HTTP front end of a session: one AmiSession per cookie (or Digest)
// session, fed one action per HTTP request.
//
//   request(msg)  -> session.receive(msg); the packets the core send()s (and the
//                    events a WaitEvent flushes) until actionDone() are that
//                    request's answer, as AMI text
//   pollsEvents   -> broadcast events wait in the core (bounded, oldest dropped
//                    and counted) until a WaitEvent takes them
//   end()/destroy() -> the answers still owed go out with what they have; the
//                    mount forgets the HTTP session (onClose)
//
// Requests of one session are answered in order, as the core handles them
// (S26). HTTP specifics, as measured on Asterisk 22: a second waitevent ends
// the first with an empty answer (session.abortWait()); any other request ends
// a pending WaitEvent early with what is queued, as input does on a TCP socket
// (Asterisk would run the two at once; the client simply polls again).

import type { AmiMessage } from '../protocol/message.js';
import type { OutboundEvent } from '../protocol/outbound-event.js';
import type { Transport, TransportSession } from '../session/context.js';

export interface HttpAnswer {
  /** The action's output as AMI text (latin1): response, list, events, or '' (a WaitEvent ended by another). */
  readonly text: string;
  /** The session ended with or before this answer (Logoff, failed login, expiry). */
  readonly ended: boolean;
}

export interface HttpTransportOptions {
  /** WaitEvent's cap: httptimeout - 10 s. */
  readonly maxWaitSeconds: number;
  /** The session has ended (once). */
  readonly onClose: () => void;
}

interface Pending {
  readonly out: Buffer[];
  bytes: number;
  readonly waitevent: boolean;
  readonly resolve: (a: HttpAnswer) => void;
}

export class HttpTransport implements Transport {
  readonly pollsEvents = true;
  readonly maxWaitSeconds: number;
  private session!: TransportSession;
  private readonly pending: Pending[] = [];
  private readonly onClose: () => void;
  private open = true;
  private bytes = 0;
  private high = 0;

  constructor(opts: HttpTransportOptions) {
    this.maxWaitSeconds = Math.max(0, opts.maxWaitSeconds);
    this.onClose = opts.onClose;
  }

  attach(session: TransportSession): void { this.session = session; }

  get closed(): boolean { return !this.open; }
  get queuedBytes(): number { return this.bytes; }
  get highWater(): number { return this.high; }
  /** Events collected for an answer are written with it, even at close. */
  get eventsQueued(): number { return 0; }

  /**
   * One HTTP request's action. `abandon()` is for a client that went away: a
   * WaitEvent it is waiting on ends now, so nothing holds the session for it.
   */
  request(msg: AmiMessage): { answer: Promise<HttpAnswer>; abandon: () => void } {
    if (!this.open) return { answer: Promise.resolve({ text: '', ended: true }), abandon: () => undefined };
    const waitevent = msg.getNonEmpty('Action')?.toLowerCase() === 'waitevent';
    let p!: Pending;
    const answer = new Promise<HttpAnswer>((resolve) => {
      p = { out: [], bytes: 0, waitevent, resolve };
    });
    this.pending.push(p);
    if (waitevent) this.session.abortWait();
    else this.session.input();
    this.session.receive(msg);
    const abandon = (): void => {
      if (this.pending[0] === p && p.waitevent) this.session.abortWait();
    };
    return { answer, abandon };
  }

  banner(): void { /* HTTP has no greeting */ }
  send(msg: AmiMessage): void { this.append(msg.toBuffer()); }
  event(ev: OutboundEvent): void { this.append(ev.wire); }

  actionDone(): void {
    const p = this.pending.shift();
    if (p !== undefined) this.answer(p, false);
  }

  flush(): void { /* an answer goes out whole, on actionDone() */ }
  loggedIn(): void { /* writetimeout has no meaning here: node:http owns the socket */ }
  pause(): void { /* the core answers overflowing requests itself (maxpendingactions) */ }
  resume(): void { /* see pause() */ }

  /** Logoff, failed login: the owed answers go out, then the session is gone at once (not in 2 s). */
  end(): void {
    if (!this.close()) return;
    this.session.destroy('http-ended');
  }

  destroy(): void { this.close(); }

  private append(b: Buffer): void {
    const p = this.pending[0];
    // Nothing asked for it (an Event: Shutdown between requests): an HTTP
    // client gets nothing without a request.
    if (p === undefined || !this.open) return;
    p.out.push(b);
    p.bytes += b.length;
    this.bytes += b.length;
    if (this.bytes > this.high) this.high = this.bytes;
  }

  private answer(p: Pending, ended: boolean): void {
    this.bytes -= p.bytes;
    p.resolve({ text: Buffer.concat(p.out, p.bytes).toString('latin1'), ended });
  }

  private close(): boolean {
    if (!this.open) return false;
    this.open = false;
    for (const p of this.pending.splice(0)) this.answer(p, true);
    this.onClose();
    return true;
  }
}
