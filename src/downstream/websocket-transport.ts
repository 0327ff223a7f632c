// The WebSocket front end of a session: AMI over one WebSocket, in the `ami` or
// `ami-json` framing (websocket-codec.ts, docs/websocket.md).
//
//   text frame -> session.input() -> decoder -> session.receive()
//   session -> send()/event() -> one text frame per packet -> ws -> socket
//
// Frames are built here (websocket-codec.ts textFrame()) and written to the
// socket directly: a broadcast event's frame is one Buffer shared by every
// receiver, so fan-out costs one socket.write() per client, as on TCP. The ws
// package still reads frames, answers pings and writes close frames; with
// permessage-deflate off its Sender writes synchronously, so its frames and
// ours go out in call order and never interleave.
//
// Output follows the stream Writer's rules (writer.ts): frames are corked for
// the rest of the tick, and a client that leaves its output undrained for
// `writetimeout` ms, or lets it pass `maxqueuebytes`, is a slow consumer and is
// dropped (session.slow()); nobody else waits for it. A ping every
// `pingIntervalMs` closes a connection whose peer stopped answering (a sleeping
// laptop, a dead NAT entry) that TCP alone would keep for hours.
//
// It decides nothing: login, policy, limits and ordering are the session core's.

import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { AmiMessage } from '../protocol/message.js';
import type { OutboundEvent } from '../protocol/outbound-event.js';
import type { Transport, TransportSession } from '../session/context.js';
import type { SessionUser } from '../session/services.js';
import {
  AMI_EVENT_FORM, AmiFrameDecoder, JSON_EVENT_FORM, amiText, decodeJsonAction, encodeJson, encodeJsonBanner, encodeJsonError,
  textFrame, type DecodeLimits, type Subprotocol,
} from './websocket-codec.js';

export interface WebSocketTransportOptions {
  readonly subprotocol: Subprotocol;
  /** general.maxqueuebytes: output bytes queued before the client is dropped. */
  readonly maxQueueBytes: number;
  /** general.maxlinebytes / maxheaders: the same request limits as TCP (S3, S4). */
  readonly limits: DecodeLimits;
  /** ms between pings; a peer that has not answered the previous one is dropped. 0: no pings. */
  readonly pingIntervalMs: number;
}

/** WebSocket close codes amigate uses (RFC 6455 7.4.1). */
export const CLOSE = { normal: 1000, unsupported: 1003 } as const;

type RawSocket = Duplex & { writableNeedDrain: boolean; writableLength: number };

export class WebSocketTransport implements Transport {
  readonly pollsEvents = false;
  readonly ws: WebSocket;
  readonly subprotocol: Subprotocol;
  private readonly socket: RawSocket;
  private readonly opts: WebSocketTransportOptions;
  private session!: TransportSession;
  /** Before login the writetimeout is Asterisk's default, 1 s (S27); loggedIn() sets the user's. */
  private writeTimeoutMs = 1000;
  private corked = false;
  private timer: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private alive = true;
  private dead = false;
  /** Requests handed to the core and not yet answered in full: their packets are responses and list items. */
  private outstanding = 0;
  private closeWith: { code: number; reason: string } = { code: CLOSE.normal, reason: '' };
  highWater = 0;
  private eventsWritten = 0;
  private eventsFlushed = 0;
  private readonly onEventFlushed = (err?: Error | null): void => { if (!err) this.eventsFlushed++; };

  constructor(ws: WebSocket, socket: Duplex, opts: WebSocketTransportOptions) {
    this.ws = ws;
    this.socket = socket as RawSocket;
    this.opts = opts;
    this.subprotocol = opts.subprotocol;
  }

  attach(session: TransportSession): void {
    this.session = session;
    const ws = this.ws;
    const receive = (m: AmiMessage): void => {
      this.outstanding++;
      session.receive(m);
    };
    const decoder = this.subprotocol === 'ami' ? new AmiFrameDecoder(receive, this.opts.limits) : undefined;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      session.input();
      if (isBinary) {
        // Both framings are text; a binary frame is a client speaking something else.
        this.closeWith = { code: CLOSE.unsupported, reason: 'text frames only' };
        session.end('websocket-binary-frame');
        return;
      }
      if (decoder !== undefined) return decoder.write(data);
      const r = decodeJsonAction(data.toString('utf8'), this.opts.limits);
      if (r instanceof AmiMessage) receive(r);
      else this.write(textFrame(encodeJsonError(r)), false); // nothing was queued: the session goes on
    });
    ws.on('pong', () => { this.alive = true; });
    ws.on('close', () => session.destroy('client-closed'));
    ws.on('error', () => session.destroy('socket-error'));
    this.socket.on('drain', () => this.onDrain());
    if (this.opts.pingIntervalMs > 0) {
      this.pinger = setInterval(() => this.ping(), this.opts.pingIntervalMs);
      this.pinger.unref?.();
    }
  }

  get queuedBytes(): number { return this.dead ? 0 : this.socket.writableLength; }
  get eventsQueued(): number { return this.eventsWritten - this.eventsFlushed; }

  banner(line: string): void {
    this.write(textFrame(this.subprotocol === 'ami' ? Buffer.from(line + '\r\n', 'latin1') : encodeJsonBanner(line)), false);
  }

  send(msg: AmiMessage): void {
    if (this.subprotocol === 'ami') return void this.write(textFrame(amiText(msg.toBuffer())), false);
    // A packet answering a request is its response or a list item; one that answers
    // nothing (Event: Shutdown at drain) is an event, as on the TCP wire.
    const type = msg.has('Response') ? 'response' : this.outstanding > 0 ? 'listitem' : 'event';
    this.write(textFrame(encodeJson(type, msg)), false);
  }

  event(ev: OutboundEvent): void {
    this.write(ev.as(this.subprotocol === 'ami' ? AMI_EVENT_FORM : JSON_EVENT_FORM), true);
  }

  actionDone(): void {
    if (this.outstanding > 0) this.outstanding--;
  }

  flush(): void {
    if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
  }

  loggedIn(user: SessionUser): void { this.writeTimeoutMs = user.writeTimeoutMs; }

  pause(): void { this.ws.pause(); }
  resume(): void { this.ws.resume(); }

  end(): void {
    this.flush();
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(this.closeWith.code, this.closeWith.reason);
  }

  destroy(): void {
    this.stopTimers();
    this.dead = true;
    this.ws.terminate();
  }

  /** One whole frame. False once the transport is dead or the WebSocket closing. */
  private write(frame: Buffer, event: boolean): boolean {
    // Not after a close frame (RFC 6455 5.5.1), whoever sent it.
    if (this.dead || this.ws.readyState !== WebSocket.OPEN || this.socket.destroyed) return false;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(uncork, this);
    }
    if (event) {
      this.socket.write(frame, this.onEventFlushed);
      this.eventsWritten++;
    } else {
      this.socket.write(frame);
    }
    const queued = this.socket.writableLength;
    if (queued > this.highWater) this.highWater = queued;
    if (queued > this.opts.maxQueueBytes) {
      this.slow('queue-full');
      return false;
    }
    if (this.socket.writableNeedDrain && this.timer === undefined) {
      this.timer = setTimeout(() => this.slow('timeout'), this.writeTimeoutMs);
      this.timer.unref?.();
    }
    return true;
  }

  private onDrain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private ping(): void {
    if (this.dead) return;
    if (!this.alive) return this.session.destroy('ping-timeout');
    this.alive = false;
    try { this.ws.ping(); } catch { /* closing already: 'close' follows */ }
  }

  private slow(reason: 'timeout' | 'queue-full'): void {
    if (this.dead) return;
    const queuedBytes = this.socket.writableLength;
    this.stopTimers();
    this.session.slow({ queuedBytes, reason });
  }

  private stopTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = undefined;
  }
}

function uncork(t: WebSocketTransport): void { t.flush(); }
