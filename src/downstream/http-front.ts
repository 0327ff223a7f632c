// The HTTP side of a `protocol: http` listener: one node:http server per
// listener that never listens itself. listener.ts accepts the TCP/TLS
// connection (connection limits, TCP_NODELAY, TLS handshake with the same
// secure context as an AMI listener) and hands the socket here; node:http
// parses requests on it (header size, header count and request timeouts from
// src/http/limits.ts) and each request or upgrade goes to the listener's
// mounts (http-mount.ts) in order. Unclaimed: 404 (upgrade: 404 and the
// socket destroyed). Unparsable HTTP: 400/408/431 and the socket closed.

import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionInfo } from '../session/services.js';
import { clientErrorText, DEFAULT_HTTP_LIMITS, NOT_FOUND, serverOptions, type HttpLimits } from '../http/limits.js';
import { errorPage, headText } from '../http/response.js';
import type { HttpMount } from './http-mount.js';

export interface HttpFrontOptions {
  /** `Server:` header of the error pages this module writes; '' leaves it out. */
  readonly serverName: string;
  readonly limits?: HttpLimits;
  readonly mounts: readonly HttpMount[];
}

export class HttpFront {
  readonly server: http.Server;
  private readonly mounts: readonly HttpMount[];
  private readonly serverName: string;
  /** The connection each socket came on (the listener's ConnectionInfo). */
  private readonly conns = new WeakMap<object, ConnectionInfo>();

  constructor(opts: HttpFrontOptions) {
    this.mounts = opts.mounts;
    this.serverName = opts.serverName;
    const limits = opts.limits ?? DEFAULT_HTTP_LIMITS;
    this.server = http.createServer(serverOptions(limits), (req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = serverOptions(limits).keepAliveTimeout ?? 15_000;
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
      const text = clientErrorText(err, { serverName: this.serverName });
      if (text !== undefined && socket.writable) endThenDestroy(socket, text);
      else socket.destroy();
    });
  }

  /** A connection the listener accepted: node:http reads requests from it from now on. */
  accept(socket: Duplex, conn: ConnectionInfo): void {
    this.conns.set(socket, conn);
    this.server.emit('connection', socket);
  }

  /** Stop the mounts (their sessions) and drop idle keep-alive connections. */
  async close(): Promise<void> {
    for (const m of this.mounts) await m.close?.();
    this.server.closeIdleConnections();
  }

  private connOf(req: http.IncomingMessage): ConnectionInfo {
    return this.conns.get(req.socket) ?? { remoteAddress: req.socket.remoteAddress ?? '', remotePort: req.socket.remotePort ?? 0, listener: '' };
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const conn = this.connOf(req);
    for (const m of this.mounts) {
      if (m.request?.(req, res, conn) === true) return;
    }
    const e = NOT_FOUND();
    const page = errorPage(e.status, e.title, e.text, { serverName: this.serverName, close: wantsClose(req) });
    res.sendDate = false;
    res.writeHead(page.status, page.title, page.headers);
    // The request may have a body nobody reads: drain it so keep-alive goes on.
    req.resume();
    res.end(req.method?.toUpperCase() === 'HEAD' ? undefined : Buffer.from(page.body, 'latin1'));
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const conn = this.connOf(req);
    for (const m of this.mounts) {
      if (m.upgrade?.(req, socket, head, conn) === true) return;
    }
    const e = NOT_FOUND();
    const page = errorPage(e.status, e.title, e.text, { serverName: this.serverName, close: true });
    endThenDestroy(socket, headText(page.status, page.title, page.headers) + page.body);
  }
}

function wantsClose(req: http.IncomingMessage): boolean {
  return (req.headers.connection ?? '').toLowerCase() === 'close';
}

/** Write a last answer, then destroy the socket once it is out (or after 1 s, whatever the peer does). */
function endThenDestroy(socket: Duplex, text: string): void {
  socket.on('error', () => { /* the peer may be gone already */ });
  const t = setTimeout(() => socket.destroy(), 1000);
  t.unref();
  socket.end(text, 'latin1', () => {
    clearTimeout(t);
    socket.destroy();
  });
}
