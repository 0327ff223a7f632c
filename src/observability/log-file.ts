// The log file destination (`log.file`): JSON lines appended in batches, off
// the event loop, with a bounded buffer.
//
// Why not pino.destination (sonic-boom): it writes each line with its own
// fs.write as soon as no write is in flight, so an audited action cost one
// write(2) plus a thread-pool hand-off (measured: about half of the audit's
// cost, docs/benchmarks.md); its buffer has no bound while the disk is slow;
// and a write error other than EAGAIN (ENOSPC, EIO) is emitted as an 'error'
// that takes the process down.
//
// Here: write() appends to memory; a batch goes to the file when
// `batchBytes` are waiting or `flushIntervalMs` after its first line, one
// write in flight at a time. A slow or full destination never blocks the
// proxy and never grows memory past `maxBufferBytes`: lines beyond it are
// dropped and counted (docs/audit.md explains the choice), and once writing
// works again a line says how many were lost. SIGHUP reopens the file
// (logrotate); stop() and process exit write what is left.

import { closeSync, mkdirSync, openSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LogFileOptions {
  /** Bytes (counted as UTF-16 units) held while the file does not keep up; lines past it are dropped and counted. @default 16 MiB */
  maxBufferBytes?: number;
  /** A batch is written once this much is waiting. @default 64 KiB */
  batchBytes?: number;
  /** ms the first line of a batch may wait for others. @default 10 */
  flushIntervalMs?: number;
  /**
   * Called (inside write or a write completion) when lines were dropped and the
   * file takes writes again, with how many and why; the logger turns it into a
   * log line. @default none
   */
  onDropped?: (lines: number, reason: string) => void;
  /** First failure of an episode, e.g. for stderr. @default none */
  onError?: (err: NodeJS.ErrnoException) => void;
}

/** Open log files, written out synchronously when the process exits. */
const open = new Set<LogFile>();
let exitHook = false;

export class LogFile {
  readonly path: string;
  private fd: number;
  private readonly maxBufferBytes: number;
  private readonly batchBytes: number;
  private readonly flushIntervalMs: number;
  private readonly opts: LogFileOptions;
  private chunks: string[] = [];
  private bytes = 0;
  private writing = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private reopenWanted = false;
  private waiters: Array<() => void> = [];
  /** Lines dropped since the last report, and why (the first reason of the episode). */
  private unreported = 0;
  private reason = '';
  /** Lines dropped since the file was opened (amigate_log_lines_dropped_total). */
  dropped = 0;
  /** Lines written to the file. */
  written = 0;
  /** write(2) calls that wrote lines (batches). */
  batches = 0;

  constructor(path: string, opts: LogFileOptions = {}) {
    this.path = path;
    this.opts = opts;
    this.maxBufferBytes = opts.maxBufferBytes ?? 16 << 20;
    this.batchBytes = opts.batchBytes ?? 64 << 10;
    this.flushIntervalMs = opts.flushIntervalMs ?? 10;
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
    open.add(this);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => { for (const f of open) f.flushSync(); });
    }
  }

  /** What waits in memory for the file now (UTF-16 units). */
  get bufferedBytes(): number { return this.bytes; }

  /** pino's DestinationStream: one whole line per call. */
  write(line: string): void {
    if (this.closed) return;
    if (this.bytes + line.length > this.maxBufferBytes) {
      this.drop(1, 'buffer-full');
      return;
    }
    this.chunks.push(line);
    this.bytes += line.length;
    if (this.writing) return;
    if (this.bytes >= this.batchBytes) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => { this.timer = undefined; this.flush(); }, this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Start writing what is buffered now; `cb` once it is in the file (pino's logger.flush(cb)). */
  flush(cb?: (err?: Error) => void): void {
    if (cb) { void this.drained().then(() => cb()); return; }
    if (this.timer !== undefined) { clearTimeout(this.timer); this.timer = undefined; }
    if (this.writing || this.closed) return;
    if (this.reopenWanted && this.chunks.length === 0) this.doReopen();
    if (this.chunks.length === 0) { this.wake(); return; }
    const lines = this.chunks.length;
    const buf = Buffer.from(this.chunks.length === 1 ? this.chunks[0]! : this.chunks.join(''), 'utf8');
    this.chunks = [];
    this.bytes = 0;
    this.writing = true;
    // Lines logged before a SIGHUP go to the old file, the ones after it to the new one.
    this.writeAll(buf, 0, lines, this.reopenWanted);
  }

  private writeAll(buf: Buffer, offset: number, lines: number, reopenAfter: boolean): void {
    write(this.fd, buf, offset, buf.length - offset, null, (err, n) => {
      if (!err && offset + n < buf.length) { this.writeAll(buf, offset + n, lines, reopenAfter); return; }
      this.writing = false;
      this.batches++;
      if (reopenAfter) this.doReopen();
      if (err) {
        // ENOSPC, EIO, EBADF…: this batch is lost; count it and keep going, the next batch retries.
        if (this.unreported === 0) this.opts.onError?.(err);
        this.drop(lines, err.code ?? 'write-error');
      } else {
        this.written += lines;
        this.report();
      }
      if (this.chunks.length > 0 || this.reopenWanted) this.flush(); else this.wake();
    });
  }

  private drop(lines: number, reason: string): void {
    if (this.unreported === 0) this.reason = reason;
    this.unreported += lines;
    this.dropped += lines;
  }

  /** After a successful write: say how many lines were lost, once. */
  private report(): void {
    if (this.unreported === 0) return;
    const n = this.unreported;
    const reason = this.reason;
    this.unreported = 0;
    this.opts.onDropped?.(n, reason);
  }

  /** SIGHUP (logrotate): close and open the path again once the write in flight is done. Nothing buffered is lost. */
  reopen(): void {
    if (this.closed) return;
    this.reopenWanted = true;
    if (!this.writing) this.flush();
  }

  private doReopen(): void {
    this.reopenWanted = false;
    try {
      const fd = openSync(this.path, 'a');
      closeSync(this.fd);
      this.fd = fd;
    } catch (err) {
      // Keep writing to the old file rather than losing lines.
      this.opts.onError?.(err as NodeJS.ErrnoException);
    }
  }

  /** Resolves when everything buffered so far has been handed to the file (or dropped). */
  drained(): Promise<void> {
    if (!this.writing && this.chunks.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (!this.writing) this.flush();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Write everything, then close the file (SIGTERM). Later writes are ignored. */
  async stop(): Promise<void> {
    if (this.closed) return;
    await this.drained();
    this.flushSync();
    this.closed = true;
    open.delete(this);
    try { closeSync(this.fd); } catch { /* already closed */ }
  }

  /**
   * Write what is buffered synchronously (process exit). A batch already in
   * flight is the thread pool's: it completes, or the process is gone.
   */
  flushSync(): void {
    if (this.closed || this.chunks.length === 0) return;
    const text = this.chunks.join('');
    const lines = this.chunks.length;
    this.chunks = [];
    this.bytes = 0;
    try {
      const buf = Buffer.from(text, 'utf8');
      for (let off = 0; off < buf.length;) off += writeSync(this.fd, buf, off, buf.length - off);
      this.written += lines;
    } catch (err) {
      this.drop(lines, (err as NodeJS.ErrnoException).code ?? 'write-error');
    }
  }
}
