// AMI over HTTP, request side: the request target and form body become the
// parameters of one AMI action (main/http.c handle_uri() and
// ast_http_get_post_vars(), main/manager.c generic_http_callback()).
//
//   GET/HEAD  /rawman?action=ping&actionid=a1       -> query parameters
//   POST      Content-Type: application/x-www-form-urlencoded
//             action=ping&actionid=a1               -> form parameters only (the query is ignored)
//   POST      any other Content-Type                -> no parameters (`Missing action in request`)
//
// Decoding is ast_uri_decode(..., ast_uri_http_legacy): `+` is a space and
// `%XX` a byte; parameters keep their order, repeated names included
// (`Variable=a=1&Variable=b=2`). Values are byte strings (latin1, one char per
// byte) like every AmiMessage line. No sockets, no session knowledge here.

import { AmiMessage } from '../protocol/message.js';
import { HttpRequestError } from '../errors.js';

export interface HttpParam { readonly name: string; readonly value: string }

/** AST_MAX_MANHEADERS: a message holds at most this many header lines. */
export const MAX_PARAMS = 128;

/**
 * ast_uri_decode() with ast_uri_http_legacy: `+` -> space, `%XX` (two hex
 * digits) -> that byte, anything else as is. A decoded NUL ends the value, as it
 * ends the C string Asterisk goes on with.
 */
export function decodeComponent(s: string): string {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 43 /* + */) {
      out += ' ';
    } else if (c === 37 /* % */ && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      const b = parseInt(s.slice(i + 1, i + 3), 16);
      if (b === 0) return out;
      out += String.fromCharCode(b);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * `a=1&b=2&a=3` -> [a=1, b=2, a=3]. A piece without `=` has an empty value;
 * pieces with an empty name (`&&`, `=x`) are left out: no AMI header can be
 * looked up by an empty name, so Asterisk's `: x` line has no effect either.
 */
export function parseForm(text: string): HttpParam[] {
  const out: HttpParam[] = [];
  if (text.length === 0) return out;
  for (const piece of text.split('&')) {
    const eq = piece.indexOf('=');
    const name = decodeComponent(eq < 0 ? piece : piece.slice(0, eq));
    if (name.length === 0) continue;
    out.push({ name, value: eq < 0 ? '' : decodeComponent(piece.slice(eq + 1)) });
  }
  return out;
}

/** The path of a request target (`/rawman?x` -> `/rawman`). */
export function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

/** The query of a request target, without `?`; '' when there is none. */
export function queryOf(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? '' : target.slice(q + 1);
}

/** get_content_type(): the type/subtype before any `;`, compared case-insensitively. */
export function isFormContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

export interface ParamSource {
  /** Request method as sent (GET, HEAD, POST). */
  readonly method: string;
  /** The request target as in the request line (`/rawman?action=ping`). */
  readonly target: string;
  /** The Content-Type header, if any. */
  readonly contentType?: string | undefined;
  /** The request body (latin1 text), if any. */
  readonly body?: string | undefined;
}

/**
 * The action's parameters, as Asterisk 22 takes them: a POST only from an
 * `application/x-www-form-urlencoded` body (its query string is ignored, a body
 * of another type gives none); every other method from the query string.
 */
export function requestParams(req: ParamSource): HttpParam[] {
  if (req.method.toUpperCase() === 'POST') {
    return isFormContentType(req.contentType) ? parseForm(req.body ?? '') : [];
  }
  return parseForm(queryOf(req.target));
}

/**
 * The AMI message the parameters stand for: one `name: value` line each, in
 * order (astman_append_headers()). More than MAX_PARAMS lines mark the message
 * `too-many-lines`, as the TCP parser does for a packet of more than 128 lines,
 * so the session answers `Too many lines in message or allocation failure`
 * instead of dropping the excess silently as Asterisk's HTTP path does.
 *
 * @throws HttpRequestError 400 when a name holds `:` or a name or value holds
 *   CR or LF: such a line could smuggle headers or a second action upstream.
 */
export function paramsToMessage(params: readonly HttpParam[]): AmiMessage {
  const lines: string[] = [];
  for (const p of params) {
    if (hasBad(p.name, true) || hasBad(p.value, false)) {
      throw new HttpRequestError(400, 'Bad Request', 'Invalid parameter');
    }
    if (lines.length < MAX_PARAMS) lines.push(p.name + ': ' + p.value);
  }
  const msg = new AmiMessage(lines);
  if (params.length > MAX_PARAMS) msg.fault = 'too-many-lines';
  return msg;
}

function hasBad(s: string, name: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || c === 13 || (name && c === 58) || c > 0xff) return true;
  }
  return false;
}

/** The first value of `name` (case-insensitive), as astman_get_header() would find it. */
export function paramValue(params: readonly HttpParam[], name: string): string | undefined {
  const n = name.toLowerCase();
  for (const p of params) if (p.name.toLowerCase() === n) return p.value;
  return undefined;
}
