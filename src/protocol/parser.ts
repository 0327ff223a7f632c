// Incremental push parser for AMI byte streams, in either direction.
//
//   parser.write(chunk) -> onBanner(line)   the one-line greeting, when `banner` is set
//                       -> onMessage(msg)   every packet ended by a blank line
//
// Line framing is main/manager.c get_input(): a line ends at "\r\n" or a bare
// "\n" (a lone "\r" is data); the input buffer holds `maxLineBytes` (1024 in
// Asterisk). When that many bytes are buffered without a terminator inside
// them, Asterisk discards them all and flags the packet; at the blank line it
// answers "Failed to parse message: line too long" (S3). Emulating that exactly,
// including the CR/LF split at 1023 characters, also bounds memory: a 10 MB line
// never holds more than `maxLineBytes` here. More than `maxLines` lines flag the
// packet "too many lines" and the excess is dropped (S4).
//
// Reading from Asterisk (`wholeLines`), a line of `maxLineBytes` or more is
// discarded whole, up to and including its line end, however many chunks it
// spans, and the packet is flagged: no piece of it is ever taken for a header
// (docs/upstream.md, maxlinebytes). Memory stays bounded the same way.
//
// No sockets, timers or logging here: the caller decides what a fault means.

import { AmiMessage, type ParseFault } from './message.js';

export interface ParserOptions {
  /** The first line of the stream is a banner (client side of a connection). @default false */
  banner?: boolean;
  /** Asterisk's inbuf size; 1024 on the request side (S3). @default 1024 */
  maxLineBytes?: number;
  /** AST_MAX_MANHEADERS; 128 on the request side (S4). @default 128 */
  maxLines?: number;
  /** Emit a message for a blank line with no headers (request side: "Missing action"). @default true */
  emitEmpty?: boolean;
  /** Read Asterisk <= 13 `Response: Follows` bodies up to `--END COMMAND--` (S24). @default false */
  legacyFollows?: boolean;
  /** Upper bound of a `Response: Follows` body in bytes. @default 16 MiB */
  maxBodyBytes?: number;
  /**
   * Discard a too-long line whole (the upstream side) instead of Asterisk's
   * get_input() way of dropping full buffers and reading the tail as a line
   * of its own (the request side, S3). @default false
   */
  wholeLines?: boolean;
}

export interface ParserHandlers {
  onMessage(msg: AmiMessage): void;
  onBanner?(line: string): void;
}

const END_COMMAND = '--END COMMAND--';

export class AmiParser {
  private readonly handlers: ParserHandlers;
  private readonly maxLineBytes: number;
  private readonly maxLines: number;
  private readonly emitEmpty: boolean;
  private readonly legacyFollows: boolean;
  private readonly maxBodyBytes: number;
  private readonly wholeLines: boolean;
  /** wholeLines: inside a too-long line; everything up to the next '\n' goes. */
  private skipping = false;
  private wantBanner: boolean;
  /** Unconsumed bytes (latin1), always shorter than maxLineBytes between writes. */
  private buf = '';
  private lines: string[] = [];
  /**
   * s->parsing == MESSAGE_LINE_TOO_LONG. Per connection, not per packet: do_message()
   * only clears it in handle_parse_error(), which a too-many-lines packet never reaches.
   */
  private lineTooLong = false;
  /** do_message()'s hdr_loss: more than maxLines lines in this packet. */
  private tooManyLines = false;
  /** Inside a `Response: Follows` packet: 'headers' until the first non-header line, then 'body'. */
  private follows: 'no' | 'headers' | 'body' | 'end' = 'no';
  private body = '';

  constructor(handlers: ParserHandlers, options: ParserOptions = {}) {
    this.handlers = handlers;
    this.wantBanner = options.banner ?? false;
    this.maxLineBytes = options.maxLineBytes ?? 1024;
    this.maxLines = options.maxLines ?? 128;
    this.emitEmpty = options.emitEmpty ?? true;
    this.legacyFollows = options.legacyFollows ?? false;
    this.maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
    this.wholeLines = options.wholeLines ?? false;
  }

  /** Bytes held while waiting for a line end (for memory accounting). */
  get buffered(): number { return this.buf.length + this.body.length; }

  write(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const buf = this.buf.length === 0 ? text : this.buf + text;
    const max = this.maxLineBytes;
    let pos = 0;
    for (;;) {
      const lf = buf.indexOf('\n', pos);
      if (this.skipping) {
        // The rest of a too-long line, up to and including its '\n'.
        if (lf < 0) { pos = buf.length; break; }
        pos = lf + 1;
        this.skipping = false;
        continue;
      }
      const end = lf < 0 ? buf.length : lf;
      if (end - pos >= max && this.wholeLines) {
        this.lineTooLong = true;
        if (lf < 0) { this.skipping = true; pos = buf.length; break; }
        pos = lf + 1;
        continue;
      }
      if (end - pos >= max) {
        // get_input(): no terminator within a full buffer -> discard it and flag.
        // All full buffers go at once, so a huge line costs O(n), not O(n^2 / max).
        // 1023 chars + CRLF: the discard takes the '\r' and leaves a bare '\n' that
        // ends the packet, so a second, empty packet follows (capture 14).
        pos += Math.floor((end - pos) / max) * max;
        this.lineTooLong = true;
      }
      if (lf < 0) break;
      const crlf = lf > pos && buf.charCodeAt(lf - 1) === 13;
      const line = buf.slice(pos, crlf ? lf - 1 : lf);
      pos = lf + 1;
      if (this.follows === 'body') this.onBodyLine(line, crlf);
      else this.onLine(line, crlf);
    }
    this.buf = pos >= buf.length ? '' : buf.slice(pos);
  }

  private onLine(line: string, crlf: boolean): void {
    if (this.wantBanner) {
      this.wantBanner = false;
      this.handlers.onBanner?.(line);
      return;
    }
    if (this.follows === 'headers' && (line.length === 0 || !isFollowsHeader(line))) {
      // Command output starts here; it may hold blank lines and colons (S24).
      this.follows = 'body';
      this.onBodyLine(line, crlf);
      return;
    }
    if (line.length === 0) {
      this.finish();
      return;
    }
    if (this.lines.length >= this.maxLines) {
      this.tooManyLines = true;
      return;
    }
    this.lines.push(line);
    if (this.legacyFollows && this.lines.length === 1 && isFollowsStart(line)) this.follows = 'headers';
  }

  /** Raw command output of a legacy `Response: Follows`, kept byte-exact up to the marker. */
  private onBodyLine(line: string, crlf: boolean): void {
    if (line.endsWith(END_COMMAND)) {
      this.body += line.slice(0, line.length - END_COMMAND.length);
      this.follows = 'end';
      return;
    }
    this.body += crlf ? line + '\r\n' : line + '\n';
    if (this.body.length > this.maxBodyBytes) {
      // A runaway body: end the packet as faulty rather than grow without bound.
      this.lineTooLong = true;
      this.finish();
    }
  }

  private finish(): void {
    // do_message(): hdr_loss is reported first and leaves s->parsing set, so a
    // line-too-long seen in that packet is reported on the next one [code-reading].
    let fault: ParseFault | undefined;
    if (this.tooManyLines) fault = 'too-many-lines';
    else if (this.lineTooLong) fault = 'line-too-long';
    const lines = this.lines;
    if (lines.length === 0 && fault === undefined && !this.emitEmpty) return;
    if (fault !== 'too-many-lines') this.lineTooLong = false;
    this.tooManyLines = false;
    const msg = new AmiMessage(lines, this.follows === 'no' ? undefined : this.body);
    msg.fault = fault;
    this.lines = [];
    this.body = '';
    this.follows = 'no';
    this.handlers.onMessage(msg);
  }
}

function isFollowsStart(line: string): boolean {
  const c = line.indexOf(':');
  return c === 8 && line.slice(0, 8).toLowerCase() === 'response' && line.slice(9).trim().toLowerCase() === 'follows';
}

function isFollowsHeader(line: string): boolean {
  // Asterisk 13 action_command(): "Response: Follows", "Privilege: Command", optional "ActionID: x".
  const c = line.indexOf(':');
  if (c < 0) return false;
  const name = line.slice(0, c).toLowerCase();
  return name === 'privilege' || name === 'actionid';
}
