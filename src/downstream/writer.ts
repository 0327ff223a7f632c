// Backpressure-aware output for one downstream socket.
//
// Writes are corked for the rest of the tick so a burst of events goes out in
// one syscall. When the socket's buffer passes its high-water mark we start one
// timer: if the client has not drained within `writeTimeoutMs` (Asterisk's
// writetimeout, S27) or the queue passes `maxQueueBytes`, it is a slow consumer
// and is dropped; nobody else waits for it.
//
// Until then the session stops reading the client while `congested` (over the
// socket's high-water mark) and starts again on `onDrain`: like an Asterisk
// session thread blocked in write(), which reads no more input, a stalled
// client cannot make the proxy forward and answer its actions (issue 12).

import type { Duplex } from 'node:stream';

export interface WriterOptions {
  /** ms a client may leave its output undrained. @default 1000 */
  writeTimeoutMs: number;
  /** Bytes queued for one client before it is dropped at once. @default 1 MiB */
  maxQueueBytes: number;
  /** Called once when the client is dropped for being slow. */
  onSlow(info: { queuedBytes: number; reason: 'timeout' | 'queue-full' }): void;
  /** Called when the socket drained after being congested. @default none */
  onDrain?: () => void;
}

export class Writer {
  private readonly socket: Duplex & { writableLength: number; writableNeedDrain: boolean };
  private readonly opts: WriterOptions;
  private corked = false;
  private timer: NodeJS.Timeout | undefined;
  private dead = false;
  /** Largest queue seen, for the queue-depth metric. */
  highWater = 0;
  bytesWritten = 0;
  /** Events handed to the socket, and those it has flushed: the difference is lost if the session dies now. */
  private eventsWritten = 0;
  private eventsFlushed = 0;
  // One callback per writer, not one closure per event: write() callbacks fire in order.
  private readonly onEventFlushed = (): void => { this.eventsFlushed++; };

  constructor(socket: Duplex, opts: WriterOptions) {
    this.socket = socket as Duplex & { writableLength: number; writableNeedDrain: boolean };
    this.opts = opts;
    socket.on('drain', () => this.onDrain());
  }

  get queuedBytes(): number { return this.socket.writableLength; }

  /** Over the socket's high-water mark (a write returned false) and not drained since: read no more from this client. */
  get congested(): boolean { return this.socket.writableNeedDrain; }

  /** Events written but not yet flushed to the kernel (amigate_events_dropped_total counts them when a session dies). */
  get eventsQueued(): number { return this.eventsWritten - this.eventsFlushed; }

  /** Queue bytes for the client; `event` marks a broadcast event (counted for drops). False once the writer is dead. */
  write(data: Buffer | string, event = false): boolean {
    if (this.dead || this.socket.destroyed || !this.socket.writable) return false;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(uncork, this);
    }
    let ok: boolean;
    if (event) {
      ok = this.socket.write(data, this.onEventFlushed);
      this.eventsWritten++;
    } else {
      ok = this.socket.write(data);
    }
    this.bytesWritten += data.length;
    const queued = this.socket.writableLength;
    if (queued > this.highWater) this.highWater = queued;
    if (queued > this.opts.maxQueueBytes) {
      this.slow('queue-full');
      return false;
    }
    if (!ok && this.timer === undefined) {
      this.timer = setTimeout(() => this.slow('timeout'), this.opts.writeTimeoutMs);
      this.timer.unref?.();
    }
    return true;
  }

  /** Write now, outside of the tick's batch (the login reply must be its own read for goami2). */
  flush(): void {
    if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
  }

  close(): void {
    this.dead = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onDrain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dead) this.opts.onDrain?.();
  }

  private slow(reason: 'timeout' | 'queue-full'): void {
    if (this.dead) return;
    const queuedBytes = this.socket.writableLength;
    this.close();
    this.opts.onSlow({ queuedBytes, reason });
  }
}

function uncork(w: Writer): void { w.flush(); }
