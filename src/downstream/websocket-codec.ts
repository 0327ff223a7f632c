// The two WebSocket framings of AMI (docs/websocket.md), chosen per connection
// with Sec-WebSocket-Protocol:
//
//   ami       one text frame = one packet, exactly the bytes a TCP client
//             sends or receives (`Key: Value\r\n` lines, blank line at the end).
//   ami-json  one text frame = one JSON object:
//               {"type":"response"|"listitem"|"event"|"banner","headers":{...}}
//             headers in wire order, a repeated name (Variable, Output) as an
//             array of its values in order; the client sends
//               {"type":"action","headers":{"Action":"Ping","ActionID":"1"}}
//
// Encoding is a WireForm (protocol/outbound-event.ts), so a broadcast event is
// turned into JSON once for every ami-json receiver, not once per socket.
// Decoding a client frame gives AmiMessages for the session core, with the same
// parse faults (S3 line too long, S4 too many lines) a TCP client would get;
// a frame that is not valid ami-json gives a FrameError, never an exception.

import { isUtf8 } from 'node:buffer';
import { AmiMessage, headerLine, valueAt } from '../protocol/message.js';
import { AmiParser } from '../protocol/parser.js';
import type { WireForm } from '../protocol/outbound-event.js';

export const SUBPROTOCOLS = ['ami', 'ami-json'] as const;
export type Subprotocol = (typeof SUBPROTOCOLS)[number];

/** What a packet is to an ami-json client (the `type` member). */
export type JsonPacketType = 'response' | 'listitem' | 'event';

/** An ami-json frame amigate cannot turn into an action; answered with an `error` frame. */
export interface FrameError {
  readonly error: 'invalid-json' | 'invalid-action';
  readonly message: string;
}

/**
 * `{"type":<type>,"headers":{...}}` for one packet. Built as a string by hand:
 * keys come from the wire (a header named `__proto__` is just a key here), and
 * JSON.stringify of each key and value does all the escaping. Lines are byte
 * strings (latin1); they are decoded as UTF-8, which is what Asterisk sends.
 */
export function encodeJson(type: JsonPacketType, msg: AmiMessage): Buffer {
  const groups = new Map<string, string[]>();
  for (const line of msg.lines) {
    const c = line.indexOf(':');
    if (c <= 0) continue;
    const key = utf8(line.slice(0, c));
    const value = utf8(valueAt(line, c));
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [value]);
    else g.push(value);
  }
  let out = '{"type":"' + type + '","headers":{';
  let first = true;
  for (const [k, vs] of groups) {
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(k) + ':' + (vs.length === 1 ? JSON.stringify(vs[0]) : JSON.stringify(vs));
  }
  out += '}';
  // Asterisk <= 13 `Response: Follows` carries its output as a body (S24).
  if (msg.body !== undefined) out += ',"body":' + JSON.stringify(utf8(msg.body));
  return Buffer.from(out + '}', 'utf8');
}

/** The greeting of an ami-json connection: `{"type":"banner","banner":"Asterisk Call Manager/..."}`. */
export function encodeJsonBanner(line: string): Buffer {
  return Buffer.from('{"type":"banner","banner":' + JSON.stringify(line) + '}', 'utf8');
}

/** `{"type":"error","error":...,"message":...}`: a client frame amigate could not read. */
export function encodeJsonError(e: FrameError): Buffer {
  return Buffer.from(JSON.stringify({ type: 'error', error: e.error, message: e.message }), 'utf8');
}

/**
 * AMI text for a text frame: the TCP bytes, unless they are not valid UTF-8
 * (a channel variable in Latin-1, say): a text frame must be UTF-8 or the
 * browser drops the connection (RFC 6455 8.1), so such bytes become U+FFFD.
 */
export function amiText(wire: Buffer): Buffer {
  return isUtf8(wire) ? wire : Buffer.from(wire.toString('utf8'), 'utf8');
}

/**
 * A whole server-to-client text frame (RFC 6455 5.2: FIN, opcode 1, no mask,
 * 7/16/64-bit length) around `payload`. A server frame is the same bytes for
 * every receiver, so a broadcast event is framed once and the one Buffer is
 * written to every socket, as the TCP wire form is.
 */
export function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + n);
  out[0] = 0x81;
  if (n < 126) {
    out[1] = n;
  } else if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(out, head);
  return out;
}

/** Broadcast events in the `ami` framing, checked for UTF-8 and framed once for every receiver. */
export const AMI_EVENT_FORM: WireForm = { name: 'ws-ami-event', encode: (m) => textFrame(amiText(m.toBuffer())) };

/** Broadcast events in the ami-json framing, encoded and framed once for every receiver. */
export const JSON_EVENT_FORM: WireForm = { name: 'ws-ami-json-event', encode: (m) => textFrame(encodeJson('event', m)) };

export interface DecodeLimits {
  /** general.maxlinebytes: one `Key: Value` line, as on TCP (S3). */
  readonly maxLineBytes: number;
  /** general.maxheaders: lines per packet (S4). */
  readonly maxHeaders: number;
}

/**
 * An ami-json action frame -> one AmiMessage, or a FrameError. Values may be
 * strings, numbers or booleans; an array gives the header once per element, in
 * order. CR or LF in a name or value, ':' in a name, or an empty name is
 * refused (it would forge headers upstream). Over-long lines and too many lines
 * give the packet the parse fault a TCP client gets, so the answer is Asterisk's.
 */
export function decodeJsonAction(text: string, limits: DecodeLimits): AmiMessage | FrameError {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { error: 'invalid-json', message: 'Frame is not JSON: ' + (err as Error).message };
  }
  if (!isPlainObject(doc)) return { error: 'invalid-action', message: 'Frame must be a JSON object' };
  const type = doc['type'];
  if (type !== undefined && type !== 'action') return { error: 'invalid-action', message: 'Frame type must be "action"' };
  const headers = doc['headers'];
  if (!isPlainObject(headers)) return { error: 'invalid-action', message: 'Frame must have a "headers" object' };
  const lines: string[] = [];
  let tooLong = false;
  for (const key of Object.keys(headers)) {
    const raw = headers[key];
    const values = Array.isArray(raw) ? raw : [raw];
    for (const v of values) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        return { error: 'invalid-action', message: `Header ${JSON.stringify(key)}: values must be strings, numbers, booleans or arrays of them` };
      }
      let line: string;
      try {
        line = headerLine(bytes(key), bytes(String(v)));
      } catch (err) {
        return { error: 'invalid-action', message: (err as Error).message };
      }
      // The TCP limit counts the line with its CRLF in Asterisk's 1024-byte buffer (S3).
      if (line.length + 2 > limits.maxLineBytes) tooLong = true;
      else lines.push(line);
    }
  }
  const msg = new AmiMessage(lines.length > limits.maxHeaders ? lines.slice(0, limits.maxHeaders) : lines);
  if (tooLong) msg.fault = 'line-too-long';
  else if (lines.length > limits.maxHeaders) msg.fault = 'too-many-lines';
  return msg;
}

/**
 * The `ami` framing, client to amigate: a frame's end is a packet's end. A
 * frame without its blank line is completed, so `Action: Ping` alone is one
 * Ping; a frame may carry several packets. One parser per connection keeps
 * Asterisk's line-length and line-count rules (S3, S4) exactly as on TCP.
 */
export class AmiFrameDecoder {
  private readonly parser: AmiParser;

  constructor(onMessage: (m: AmiMessage) => void, limits: DecodeLimits) {
    this.parser = new AmiParser({ onMessage }, { maxLineBytes: limits.maxLineBytes, maxLines: limits.maxHeaders });
  }

  write(frame: Buffer): void {
    if (frame.length === 0) return;
    this.parser.write(frame);
    const n = frame.length;
    const last = frame[n - 1];
    if (last !== 10) {
      this.parser.write('\r\n\r\n');
    } else {
      // Is the frame's last line blank (the packet already ended)? Its start is the
      // frame's start or an LF; a frame never starts inside a packet.
      let i = n - 2;
      if (i >= 0 && frame[i] === 13) i--;
      if (i >= 0 && frame[i] !== 10) this.parser.write('\r\n');
    }
  }
}

/** Text from a JSON frame as the byte string of its UTF-8 encoding (how AmiMessage keeps lines). */
function bytes(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'utf8').toString('latin1');
  }
  return s;
}

/** A latin1 byte string as the UTF-8 text it encodes (ASCII, the common case, is returned as is). */
function utf8(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'latin1').toString('utf8');
  }
  return s;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
