// The WebSocket handshake of an HTTP listener: which upgrade requests become
// AMI sessions (docs/websocket.md). In order, a request for the configured path
//   1. must come from an allowed Origin (http/origin.ts), else 403: no
//      cross-site WebSocket hijacking;
//   2. must offer `ami` or `ami-json` in Sec-WebSocket-Protocol, else 400;
//   3. must get a pre-auth slot (authlimit, authlimitperip: shared with AMI
//      sockets), else 503, as a TCP
//      connection past authlimit is closed unanswered (S1);
// and then is upgraded by the `ws` package (frame and message size limit, no
// compression: a shared event Buffer goes to every socket as it is) and handed,
// as a WebSocketTransport, to `open` (proxy.ts makes the session). Connection
// counts per IP and in total are the listener's: the upgraded socket stays the
// one it accepted.

import type { PreAuthRefusal, PreAuthSlot } from './preauth-slots.js';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ConnectionInfo } from '../session/services.js';
import type { WebSocketListenerConfig } from '../config/websocket-schema.js';
import type { ListenerConfig } from '../config/listener-schema.js';
import { ConsoleFront } from './console-front.js';
import { errorPage, headText } from '../http/response.js';
import { OriginCheck } from '../http/origin.js';
import { SUBPROTOCOLS, type DecodeLimits, type Subprotocol } from './websocket-codec.js';
import { WebSocketTransport } from './websocket-transport.js';
import type { HttpMount } from './http-mount.js';

export type WebSocketSettings = WebSocketListenerConfig;

export type WebSocketRejection = 'origin' | 'subprotocol' | PreAuthRefusal;

export interface WebSocketFrontOptions {
  readonly settings: WebSocketSettings;
  /** The listener speaks TLS (its own origin is https:). */
  readonly tls: boolean;
  /** `Server:` of the refusal pages; '' leaves it out. */
  readonly serverName: string;
  /** The session limits of the moment (config reloads change them). */
  limits(): { maxQueueBytes: number } & DecodeLimits;
  /**
   * A pre-auth slot for a new session from `remote` (authlimit and
   * authlimitperip, shared with AMI sockets), or why there is none.
   */
  admit(remote: string): PreAuthSlot | PreAuthRefusal;
  /** A new session on this transport: create, register, start it. */
  open(transport: WebSocketTransport, conn: ConnectionInfo): void;
  onRejected?(reason: WebSocketRejection, remote: string): void;
}

export class WebSocketFront implements HttpMount {
  readonly name = 'websocket';
  private readonly opts: WebSocketFrontOptions;
  private readonly origins: OriginCheck;
  private readonly wss: WebSocketServer;

  constructor(opts: WebSocketFrontOptions) {
    this.opts = opts;
    this.origins = new OriginCheck({ origins: opts.settings.origins, tls: opts.tls });
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: opts.settings.maxmessagebytes,
      handleProtocols: (offered) => pickSubprotocol(offered) ?? false,
    });
  }

  /** Does this request target the endpoint (path only; the query is ignored)? */
  matches(req: http.IncomingMessage): boolean {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    return (q < 0 ? url : url.slice(0, q)) === this.opts.settings.path;
  }

  /** Take an upgrade request for the endpoint; false when it is for another path. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, conn: ConnectionInfo): boolean {
    if (!this.matches(req)) return false;
    const remote = conn.remoteAddress;
    if (!this.origins.allows(header(req, 'origin'), header(req, 'host'))) {
      this.opts.onRejected?.('origin', remote);
      refuse(socket, 403, 'Forbidden', 'Origin not allowed', this.opts.serverName);
      return true;
    }
    const protocol = pickSubprotocol(offeredSubprotocols(header(req, 'sec-websocket-protocol')));
    if (protocol === undefined) {
      this.opts.onRejected?.('subprotocol', remote);
      refuse(socket, 400, 'Bad Request', 'Sec-WebSocket-Protocol must offer ami or ami-json', this.opts.serverName);
      return true;
    }
    const slot = this.opts.admit(remote);
    if (typeof slot === 'string') {
      this.opts.onRejected?.(slot, remote);
      refuse(socket, 503, 'Service Unavailable', 'Too many unauthenticated sessions', this.opts.serverName);
      return true;
    }
    // Released at login or close (session/registry.ts), or here if the handshake never completes.
    socket.once('close', () => slot.release());
    // ws answers a malformed handshake (bad key, version, method) with 400 itself.
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const limits = this.opts.limits();
      const transport = new WebSocketTransport(ws, socket, {
        subprotocol: protocol,
        maxQueueBytes: limits.maxQueueBytes,
        limits: { maxLineBytes: limits.maxLineBytes, maxHeaders: limits.maxHeaders },
        pingIntervalMs: this.opts.settings.pinginterval * 1000,
      });
      this.opts.open(transport, { ...conn, preAuth: slot });
    });
    return true;
  }
}

/**
 * The mounts `websocket` and `console` give an HTTP listener: the endpoint
 * (unless websocket.enabled is false) and the console on it. `hooks` are the
 * proxy's: limits, authlimit, session creation, refusal accounting.
 */
export async function webSocketMounts(l: ListenerConfig, hooks: Omit<WebSocketFrontOptions, 'settings' | 'tls' | 'serverName'>): Promise<HttpMount[]> {
  if (l.websocket === undefined) return [];
  const mounts: HttpMount[] = [new WebSocketFront({ settings: l.websocket, tls: l.tls !== undefined, serverName: l.http?.servername ?? '', ...hooks })];
  if (l.console) mounts.push(await ConsoleFront.load(l.websocket.path));
  return mounts;
}

/** The first of the client's subprotocols that amigate speaks (the client lists them by preference). */
export function pickSubprotocol(offered: Iterable<string>): Subprotocol | undefined {
  for (const p of offered) if ((SUBPROTOCOLS as readonly string[]).includes(p)) return p as Subprotocol;
  return undefined;
}

/** `Sec-WebSocket-Protocol: ami-json, ami` -> ['ami-json', 'ami']. */
export function offeredSubprotocols(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** An HTTP error page on the raw socket, then close it. */
function refuse(socket: Duplex, status: number, title: string, text: string, serverName: string): void {
  const page = errorPage(status, title, text, { serverName, close: true });
  socket.on('error', () => { /* the peer may be gone */ });
  const t = setTimeout(() => socket.destroy(), 1000);
  t.unref();
  socket.end(headText(page.status, page.title, page.headers) + page.body, 'latin1', () => {
    clearTimeout(t);
    socket.destroy();
  });
}
