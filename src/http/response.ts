// AMI over HTTP, response heads and HTTP error pages, in Asterisk 22's order
// and spelling (main/http.c ast_http_send(), ast_http_create_response(),
// ast_http_auth(), ast_http_error(); main/manager.c generic_http_callback()):
//
//   HTTP/1.1 200 OK
//   Server: <name>                      only when a server name is set
//   Date: Sun, 22 Nov 2026 05:57:38 GMT
//   Connection: close                   only when the connection closes after this reply
//   Cache-Control: no-cache, no-store
//   Content-type: text/plain            (text/xml, text/html)
//   Set-Cookie: mansession_id="..."; Version=1; Max-Age=60    cookie routes only
//   Pragma: SuppressEvents              cookie routes only
//   Content-Length: N
//
// Heads are returned as flat [name, value, ...] arrays, which node:http's
// res.writeHead(status, title, array) writes in this order and spelling (with
// res.sendDate = false), and as raw text for a socket (headText()).

import { CONTENT_TYPE, type OutputFormat } from './format.js';
import { xmlEscape } from './format.js';

export type HeaderList = string[];

export interface HeadOptions {
  /** `Server:` value (Asterisk: `Asterisk/<version>`); undefined or '' leaves the line out. */
  readonly serverName?: string | undefined;
  /** @default new Date() */
  readonly date?: Date;
  /** The connection closes after this reply (the request said `Connection: close`, or an error). */
  readonly close: boolean;
}

/** Server, Date, Connection, Cache-Control: what ast_http_send() writes before the caller's headers. */
function commonHead(opts: HeadOptions): HeaderList {
  const h: HeaderList = [];
  if (opts.serverName) h.push('Server', opts.serverName);
  h.push('Date', httpDate(opts.date ?? new Date()));
  if (opts.close) h.push('Connection', 'close');
  h.push('Cache-Control', 'no-cache, no-store');
  return h;
}

/** `%a, %d %b %Y %H:%M:%S GMT`. */
export function httpDate(d: Date): string {
  return d.toUTCString();
}

export interface AmiHeadOptions extends HeadOptions {
  readonly format: OutputFormat;
  /** The whole Set-Cookie value (session-store.ts setCookieValue()); cookie routes only. */
  readonly setCookie?: string | undefined;
  /** Digest routes: no Set-Cookie and no Pragma (auth_http_callback()). @default false */
  readonly digest?: boolean;
}

/** The head of a 200 answer to an AMI request. */
export function amiHead(opts: AmiHeadOptions, contentLength: number): HeaderList {
  const h = commonHead(opts);
  h.push('Content-type', CONTENT_TYPE[opts.format]);
  if (!opts.digest) {
    if (opts.setCookie !== undefined) h.push('Set-Cookie', opts.setCookie);
    h.push('Pragma', 'SuppressEvents');
  }
  h.push('Content-Length', String(contentLength));
  return h;
}

export interface ErrorPage {
  readonly status: number;
  readonly title: string;
  readonly headers: HeaderList;
  readonly body: string;
}

/** ast_http_create_response(): the small HTML page of every HTTP error. */
export function errorPage(status: number, title: string, text: string, opts: HeadOptions, extra: HeaderList = []): ErrorPage {
  const address = opts.serverName ? `<address>${xmlEscape(opts.serverName, 0)}</address>\r\n` : '';
  const body = '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n' +
    '<html><head>\r\n' +
    `<title>${status} ${title}</title>\r\n` +
    '</head><body>\r\n' +
    `<h1>${title}</h1>\r\n` +
    `<p>${text}</p>\r\n` +
    '<hr />\r\n' +
    address +
    '</body></html>\r\n';
  const headers = commonHead(opts);
  headers.push(...extra, 'Content-type', 'text/html', 'Content-Length', String(Buffer.byteLength(body, 'latin1')));
  return { status, title, headers, body };
}

/**
 * ast_http_auth(): 401 Unauthorized with the Digest challenge
 * (`wwwAuthenticate` from digest.ts challengeHeader()).
 */
export function unauthorizedPage(wwwAuthenticate: string, opts: HeadOptions): ErrorPage {
  return errorPage(401, 'Unauthorized', '', opts, ['WWW-authenticate', wwwAuthenticate]);
}

/** Status line, headers and blank line as raw text (for a socket without node:http). */
export function headText(status: number, title: string, headers: HeaderList): string {
  let s = `HTTP/1.1 ${status} ${title}\r\n`;
  for (let i = 0; i + 1 < headers.length; i += 2) s += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return s + '\r\n';
}
