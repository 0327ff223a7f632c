// HTTP-level limits and refusals of the AMI-over-HTTP front end: what is wrong
// with the HTTP request itself gets a clear 4xx/5xx page (response.ts
// errorPage()), never a 200; what is wrong at the AMI level keeps Asterisk's
// 200 + `Response: Error`.
//
//   request line + headers over maxHeaderBytes   431 Request Header Fields Too Large   (node:http maxHeaderSize)
//   more than maxHeaders header lines            413 Request Entity Too Large "Too many headers"      (as Asterisk)
//   request target over maxTargetBytes           414 URI Too Long
//   body over maxBodyBytes                       413 Request Entity Too Large "Body too large"        (as Asterisk)
//   bad Content-Length                           400 Bad Request "Invalid Content-Length in request!" (as Asterisk)
//   Transfer-Encoding other than chunked         501 Unimplemented "Unsupported Transfer-Encoding."   (as Asterisk)
//   method other than GET, HEAD, POST            501 Not Implemented "Attempt to use unimplemented / unsupported method"
//   unknown path                                 404 Not Found "The requested URL was not found on this server."
//   unparsable HTTP                              400 Bad Request (node:http 'clientError')
//   headers or request not complete in time      408 Request Timeout
//
// The texts are Asterisk's (main/http.c) where it has one.

import type { IncomingMessage, ServerOptions } from 'node:http';
import type { Readable } from 'node:stream';
import { HttpRequestError } from '../errors.js';
import { errorPage, headText, type HeadOptions } from './response.js';

export interface HttpLimits {
  /** Request line plus all header bytes (node:http maxHeaderSize). @default 8192 */
  readonly maxHeaderBytes: number;
  /** Header lines (Asterisk: MAX_HTTP_REQUEST_HEADERS = 100). @default 100 */
  readonly maxHeaders: number;
  /** The request target (path and query). @default 4096 */
  readonly maxTargetBytes: number;
  /** A POST body (Asterisk: MAX_CONTENT_LENGTH = 4096). @default 16384 */
  readonly maxBodyBytes: number;
  /** Time to receive the request headers. @default 10000 */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request (headers and body). @default 30000 */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  maxHeaderBytes: 8192,
  maxHeaders: 100,
  maxTargetBytes: 4096,
  maxBodyBytes: 16384,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
});

/** node:http server options that enforce the header limit and timeouts. */
export function serverOptions(limits: HttpLimits): ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    noDelay: true,
    // HTTP/1.1 keep-alive between requests (Asterisk: session_keep_alive 15 s).
    keepAliveTimeout: 15_000,
  };
}

export const NOT_FOUND = (): HttpRequestError => new HttpRequestError(404, 'Not Found', 'The requested URL was not found on this server.');
export const NOT_IMPLEMENTED = (): HttpRequestError => new HttpRequestError(501, 'Not Implemented', 'Attempt to use unimplemented / unsupported method');
export const BODY_TOO_LARGE = (): HttpRequestError => new HttpRequestError(413, 'Request Entity Too Large', 'Body too large');

const METHODS = new Set(['GET', 'HEAD', 'POST']);

/** The part of a request the head checks look at (an IncomingMessage fits). */
export interface RequestHead {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: readonly string[];
}

/**
 * Everything about a request's head that is refused before any AMI work.
 * @throws HttpRequestError
 */
export function checkRequestHead(req: RequestHead, limits: HttpLimits): void {
  const target = req.url ?? '';
  if (target.length === 0) throw new HttpRequestError(400, 'Bad Request', 'Invalid Request');
  if (req.rawHeaders.length / 2 > limits.maxHeaders) throw new HttpRequestError(413, 'Request Entity Too Large', 'Too many headers');
  if (Buffer.byteLength(target, 'latin1') > limits.maxTargetBytes) throw new HttpRequestError(414, 'URI Too Long', 'The request target is too long.');
  if (!METHODS.has((req.method ?? '').toUpperCase())) throw NOT_IMPLEMENTED();
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && te.toLowerCase() !== 'chunked' && te.toLowerCase() !== 'identity') {
    throw new HttpRequestError(501, 'Unimplemented', 'Unsupported Transfer-Encoding.');
  }
  const cl = req.headers['content-length'];
  if (cl !== undefined) {
    if (!/^\d{1,15}$/.test(cl.trim())) throw new HttpRequestError(400, 'Bad Request', 'Invalid Content-Length in request!');
    if (Number(cl) > limits.maxBodyBytes) throw BODY_TOO_LARGE();
  }
}

/**
 * Read a request body (chunked or not) up to `maxBodyBytes`, as latin1 text.
 * @throws HttpRequestError 413 when it is larger, 400 when the peer breaks off
 */
export function readBody(req: Readable, limits: HttpLimits): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: HttpRequestError | undefined): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
      if (err !== undefined) {
        // Stop reading what is left: the answer closes the connection.
        req.resume();
        reject(err);
      } else {
        resolve(Buffer.concat(chunks).toString('latin1'));
      }
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limits.maxBodyBytes) finish(BODY_TOO_LARGE());
      else chunks.push(c);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (): void => finish(new HttpRequestError(400, 'Bad Request', 'Error parsing request body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}

/**
 * The raw answer for node:http's 'clientError' (the request could not even be
 * parsed), to write on the socket before destroying it; undefined when nothing
 * should be written (the peer is gone).
 */
export function clientErrorText(err: Error & { code?: string }, opts: Omit<HeadOptions, 'close'> = {}): string | undefined {
  let status = 400;
  let title = 'Bad Request';
  let text = 'Invalid Request';
  switch (err.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined;
    case 'HPE_HEADER_OVERFLOW':
      status = 431; title = 'Request Header Fields Too Large'; text = 'The request line or headers are too long.';
      break;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      status = 408; title = 'Request Timeout'; text = 'The request was not complete in time.';
      break;
    default:
      break;
  }
  const page = errorPage(status, title, text, { ...opts, close: true });
  return headText(page.status, page.title, page.headers) + page.body;
}
