// The extension point of an HTTP listener (`listeners[].protocol: http`): every
// front end served over HTTP (AMI over HTTP, WebSocket, a web console) is an
// HttpMount, and proxy.ts (the composition root) decides which mounts each
// listener gets and in which order. http-front.ts owns the node:http server;
// a mount owns only the requests it claims.

import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionInfo } from '../session/services.js';

/**
 * One front end on an HTTP listener.
 *
 * The listener offers every request to its mounts in order; the first whose
 * `request()` returns true owns it (must answer it, now or later, and may not
 * throw). When no mount claims it the listener answers `404 Not Found` with
 * Asterisk's error page. Upgrade requests (WebSocket) go the same way through
 * `upgrade()`; one no mount claims is refused with `404 Not Found` and its socket
 * destroyed.
 *
 * `conn` describes the TCP/TLS connection the request came on: the real
 * client address (for ACLs), the listener name (metrics label), and TLS
 * details (protocol, cipher, verified client certificate). The listener has
 * already applied its connection limits (maxconnections, maxconnectionsperip),
 * TCP_NODELAY and the TLS handshake; HTTP-level limits (header size, header
 * count, request timeouts) are enforced by the node:http server before a mount
 * sees the request. Reading and bounding a body is the mount's job
 * (src/http/limits.ts readBody()).
 */
export interface HttpMount {
  /** For logs: 'ami-http', 'websocket', 'console'. */
  readonly name: string;
  /** Claim and answer a request; false leaves it to the next mount. */
  request?(req: http.IncomingMessage, res: http.ServerResponse, conn: ConnectionInfo): boolean;
  /** Claim an upgrade (the socket is raw, after the request head; `head` is what was read past it). */
  upgrade?(req: http.IncomingMessage, socket: Duplex, head: Buffer, conn: ConnectionInfo): boolean;
  /** The listener stops (graceful stop): end what the mount keeps (sessions, timers). */
  close?(): void | Promise<void>;
}
