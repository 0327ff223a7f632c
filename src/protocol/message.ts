// AmiMessage: one AMI packet as its ordered raw header lines (no terminators).
// Lines are kept as received (latin1 strings, one char per byte) so that a
// relayed packet is byte-exact and repeated headers (Variable:, Output:) keep
// their order. Lookups follow main/manager.c __astman_get_header(): the name is
// matched case-insensitively and must be followed directly by ':', leading
// blanks (bytes < 33) of the value are skipped, trailing blanks are kept (S5).

import { HeaderInjectionError } from '../errors.js';

export type ParseFault = 'line-too-long' | 'too-many-lines';

export class AmiMessage {
  /** Raw header lines without CRLF, e.g. `Event: Newchannel`. */
  lines: string[];
  /**
   * Asterisk <= 13 `Response: Follows` only: the raw command output between the
   * headers and `--END COMMAND--`, exactly as received (S24). Undefined otherwise.
   */
  body: string | undefined;
  /** Set by the request parser when Asterisk would answer with a parse error (S3, S4). */
  fault: ParseFault | undefined;
  /** Cached wire form; cleared by every mutation. */
  private wire: Buffer | undefined;

  constructor(lines: string[] = [], body?: string) {
    this.lines = lines;
    this.body = body;
    this.fault = undefined;
    this.wire = undefined;
  }

  /** Build from [key, value] pairs; refuses CR/LF anywhere and ':' in keys. */
  static from(pairs: ReadonlyArray<readonly [string, string]>): AmiMessage {
    const lines = new Array<string>(pairs.length);
    for (let i = 0; i < pairs.length; i++) {
      const [k, v] = pairs[i]!;
      lines[i] = headerLine(k, v);
    }
    return new AmiMessage(lines);
  }

  /** Index of the first line whose name is `name` (case-insensitive), or -1. */
  indexOf(name: string, from = 0): number {
    const n = name.length;
    const lines = this.lines;
    for (let i = from; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.length > n && l.charCodeAt(n) === 58 /* : */ && sameName(l, name, n)) return i;
    }
    return -1;
  }

  /** First value of `name`, leading blanks skipped; undefined when absent. */
  get(name: string): string | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : valueAt(this.lines[i]!, name.length);
  }

  /** First non-empty value of `name` (how manager.c reads `Action`, S5). */
  getNonEmpty(name: string): string | undefined {
    for (let i = this.indexOf(name); i >= 0; i = this.indexOf(name, i + 1)) {
      const v = valueAt(this.lines[i]!, name.length);
      if (v.length > 0) return v;
    }
    return undefined;
  }

  /** Every value of `name`, in order. */
  getAll(name: string): string[] {
    const out: string[] = [];
    for (let i = this.indexOf(name); i >= 0; i = this.indexOf(name, i + 1)) out.push(valueAt(this.lines[i]!, name.length));
    return out;
  }

  has(name: string): boolean { return this.indexOf(name) >= 0; }

  /**
   * The ActionID to echo: the first ActionID header's value, or undefined when it is
   * absent or blank. manager.c reads it with astman_get_header() (first match, leading
   * blanks skipped) and writes "ActionID:" only when that is not empty (astman_start_ack).
   */
  actionId(): string | undefined {
    const v = this.get('ActionID');
    return v === undefined || v.length === 0 ? undefined : v;
  }

  /** Name of the first line (`Response`, `Event`, `Action`...), as sent. */
  get kind(): string {
    const l = this.lines[0];
    if (l === undefined) return '';
    const c = l.indexOf(':');
    return c < 0 ? '' : l.slice(0, c);
  }

  /** True when the first line is `Event:` (case-insensitive). */
  get isEvent(): boolean { return this.firstIs('event'); }
  /** True when the first line is `Response:` (case-insensitive). */
  get isResponse(): boolean { return this.firstIs('response'); }

  private firstIs(name: string): boolean {
    const l = this.lines[0];
    return l !== undefined && l.length > name.length && l.charCodeAt(name.length) === 58 && sameName(l, name, name.length);
  }

  /** Replace the first `name` line in place (keeping its position), or append one. */
  set(name: string, value: string): this {
    const line = headerLine(name, value);
    const i = this.indexOf(name);
    if (i >= 0) this.lines[i] = line; else this.lines.push(line);
    this.wire = undefined;
    return this;
  }

  /** Replace the first `name` line with a raw line (already validated by the caller's origin). */
  setLineAt(index: number, line: string): this {
    this.lines[index] = line;
    this.wire = undefined;
    return this;
  }

  removeLineAt(index: number): this {
    this.lines.splice(index, 1);
    this.wire = undefined;
    return this;
  }

  /** Insert a header after line `index` (so `Response:`/`Event:` stays first, S21). */
  insertAfter(index: number, name: string, value: string): this {
    this.lines.splice(index + 1, 0, headerLine(name, value));
    this.wire = undefined;
    return this;
  }

  append(name: string, value: string): this {
    this.lines.push(headerLine(name, value));
    this.wire = undefined;
    return this;
  }

  /** Remove every `name` line; returns how many were removed. */
  delete(name: string): number {
    let removed = 0;
    for (let i = this.indexOf(name); i >= 0; i = this.indexOf(name, i)) {
      this.lines.splice(i, 1);
      removed++;
    }
    if (removed) this.wire = undefined;
    return removed;
  }

  clone(): AmiMessage {
    const m = new AmiMessage(this.lines.slice(), this.body);
    m.fault = this.fault;
    return m;
  }

  /** The exact wire bytes, CRLF framed; computed once and cached until mutated. */
  toBuffer(): Buffer {
    if (this.wire === undefined) this.wire = Buffer.from(this.toString(), 'latin1');
    return this.wire;
  }

  /** Wire text (latin1: one char per byte). */
  toString(): string {
    if (this.body !== undefined) {
      return this.lines.join('\r\n') + '\r\n' + this.body + '--END COMMAND--\r\n\r\n';
    }
    return this.lines.length === 0 ? '\r\n' : this.lines.join('\r\n') + '\r\n\r\n';
  }

  /** [key, value] pairs of the header lines (lines without ':' are skipped). */
  entries(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const l of this.lines) {
      const c = l.indexOf(':');
      if (c > 0) out.push([l.slice(0, c), valueAt(l, c)]);
    }
    return out;
  }
}

/** `Key: Value`, refusing anything that would break framing (header injection). */
export function headerLine(key: string, value: string): string {
  key = toByteString(key);
  value = toByteString(value);
  if (key.length === 0 || hasBadKeyChar(key)) throw new HeaderInjectionError(`invalid AMI header name ${JSON.stringify(key)}`);
  if (hasCrLf(value)) throw new HeaderInjectionError(`CR or LF in the value of AMI header ${key}`);
  return key + ': ' + value;
}

/**
 * Lines are byte strings (one char per byte, latin1). Text holding a char above
 * U+00FF is stored as its UTF-8 bytes instead: latin1 encoding keeps only the low
 * byte, so U+010A would reach the wire as a bare LF (header injection), while
 * UTF-8 never encodes a non-ASCII char with a byte below 0x80.
 */
function toByteString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) return Buffer.from(s, 'utf8').toString('latin1');
  }
  return s;
}

function hasCrLf(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || c === 13) return true;
  }
  return false;
}

function hasBadKeyChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || c === 13 || c === 58) return true;
  }
  return false;
}

/** Value after the ':' at `colon`, with leading blanks (bytes < 33) skipped: ast_skip_blanks(). */
export function valueAt(line: string, colon: number): string {
  let i = colon + 1;
  while (i < line.length && line.charCodeAt(i) < 33) i++;
  return line.slice(i);
}

/** Case-insensitive ASCII compare of line[0..n) with name (strncasecmp). */
function sameName(line: string, name: string, n: number): boolean {
  for (let i = 0; i < n; i++) {
    let a = line.charCodeAt(i);
    let b = name.charCodeAt(i);
    if (a === b) continue;
    if (a >= 65 && a <= 90) a += 32;
    if (b >= 65 && b <= 90) b += 32;
    if (a !== b) return false;
  }
  return true;
}
