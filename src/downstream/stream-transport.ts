// The TCP/TLS front end of a session: AMI text over one byte stream.
//
//   socket 'data' -> session.input() (ends a WaitEvent) -> AmiParser -> session.receive()
//   session -> send()/event() -> Writer (corked per tick, bounded queue, writetimeout) -> socket
//
// Backpressure: while the Writer is congested (the client does not read), the
// socket is not read either and the core starts no new action; the Writer's
// drain resumes both (issue 12).
//
// It decides nothing: every rule lives in the session core (src/session/).

import type { Duplex } from 'node:stream';
import { AmiParser } from '../protocol/parser.js';
import type { AmiMessage } from '../protocol/message.js';
import type { OutboundEvent } from '../protocol/outbound-event.js';
import type { Transport, TransportSession } from '../session/context.js';
import type { SessionUser } from '../session/services.js';
import { Writer } from './writer.js';

export interface StreamTransportOptions {
  /** general.maxqueuebytes: output bytes queued before the client is dropped. */
  maxQueueBytes: number;
  /** general.maxlinebytes (S3). @default 1024 */
  maxLineBytes?: number;
  /** general.maxheaders (S4). @default 128 */
  maxHeaders?: number;
}

export class StreamTransport implements Transport {
  readonly pollsEvents = false;
  readonly socket: Duplex;
  readonly parser: AmiParser;
  private readonly maxQueueBytes: number;
  private writer: Writer;
  private session!: TransportSession;
  /** Paused by the core (too many pending actions) / because the output is congested. */
  private pausedByCore = false;
  private pausedForOutput = false;

  constructor(socket: Duplex, opts: StreamTransportOptions) {
    this.socket = socket;
    this.maxQueueBytes = opts.maxQueueBytes;
    this.parser = new AmiParser({ onMessage: (m) => this.session.receive(m) }, { maxLineBytes: opts.maxLineBytes ?? 1024, maxLines: opts.maxHeaders ?? 128 });
    // Before login the writetimeout is Asterisk's default, 1 s (S27); loggedIn() sets the user's.
    this.writer = this.newWriter(1000);
  }

  attach(session: TransportSession): void {
    this.session = session;
    const socket = this.socket;
    socket.on('data', (chunk: Buffer) => {
      session.input();
      this.parser.write(chunk);
      if (this.writer.congested && !this.pausedForOutput) {
        this.pausedForOutput = true;
        socket.pause();
      }
    });
    socket.on('end', () => session.destroy('client-closed'));
    socket.on('close', () => session.destroy('client-closed'));
    socket.on('error', () => session.destroy('socket-error'));
  }

  get queuedBytes(): number { return this.writer.queuedBytes; }
  get highWater(): number { return this.writer.highWater; }
  get eventsQueued(): number { return this.writer.eventsQueued; }
  get congested(): boolean { return this.writer.congested; }

  banner(line: string): void { this.writer.write(line + '\r\n'); }
  send(msg: AmiMessage): void { this.writer.write(msg.toBuffer()); }
  event(ev: OutboundEvent): void { this.writer.write(ev.wire, true); }
  actionDone(): void { /* a stream has no per-action framing */ }
  flush(): void { this.writer.flush(); }

  loggedIn(user: SessionUser): void {
    this.writer.close();
    this.writer = this.newWriter(user.writeTimeoutMs);
  }

  pause(): void {
    this.pausedByCore = true;
    this.socket.pause();
  }

  resume(): void {
    this.pausedByCore = false;
    if (!this.pausedForOutput) this.socket.resume();
  }

  /** The client took its output: read it again, and let the core take the next request. */
  private drained(): void {
    if (this.pausedForOutput) {
      this.pausedForOutput = false;
      if (!this.pausedByCore) this.socket.resume();
    }
    this.session.outputDrained();
  }
  end(): void { this.socket.end(); }

  destroy(): void {
    this.writer.close();
    this.socket.destroy();
  }

  private newWriter(writeTimeoutMs: number): Writer {
    return new Writer(this.socket, {
      writeTimeoutMs,
      maxQueueBytes: this.maxQueueBytes,
      onSlow: (info) => this.session.slow(info),
      onDrain: () => this.drained(),
    });
  }
}
