// Opening a session for each kind of downstream connection: an AMI socket
// (TCP or TLS), a WebSocket transport, an HTTP session (rawman/manager/mxml).
// Owns the session id counter; each new session is put in the registry, told
// to the observer (audit, metrics) and started. Part of the composition root:
// proxy.ts builds one and hands its methods to the listeners and HTTP mounts.

import type { Duplex } from 'node:stream';
import { AmiSession } from './session/session.js';
import type { Transport } from './session/context.js';
import { Session } from './downstream/session.js';
import type { HttpTransport } from './downstream/http-transport.js';
import type { ConnectionInfo, SessionServices } from './session/services.js';
import type { SessionRegistry } from './session/registry.js';
import type { SessionObserver } from './observability/session-observer.js';

export interface SessionOpenerDeps {
  readonly services: SessionServices;
  readonly registry: SessionRegistry;
  readonly observer: SessionObserver;
  /** True from the second phase of a stop on: new connections are refused. */
  closing(): boolean;
}

export class SessionOpeners {
  private nextSessionId = 0;

  constructor(private readonly deps: SessionOpenerDeps) {}

  /** An AMI connection on a TCP or TLS listener (counted for authlimit). */
  socket(socket: Duplex, conn: ConnectionInfo): void {
    if (this.deps.closing()) { socket.destroy(); return; }
    const id = ++this.nextSessionId;
    const session = new Session(id, socket, this.deps.services, conn);
    this.deps.registry.add(session);
    this.deps.observer.opened(id, conn);
    session.start();
  }

  /** A WebSocket session: an AMI session like a TCP one (counted for authlimit), on its transport. */
  webSocket(transport: Transport, conn: ConnectionInfo): void {
    if (this.deps.closing()) { transport.destroy(); return; }
    const id = ++this.nextSessionId;
    const session = new AmiSession(id, this.deps.services, conn, transport);
    this.deps.registry.add(session);
    this.deps.observer.opened(id, conn);
    session.start();
  }

  /** A session core for an HTTP session: counted with every other session, but not for authlimit (AMI sockets only). */
  http(conn: ConnectionInfo, transport: HttpTransport): AmiSession {
    const id = ++this.nextSessionId;
    const session = new AmiSession(id, this.deps.services, conn, transport);
    this.deps.registry.add(session, false);
    this.deps.observer.opened(id, conn);
    session.start();
    return session;
  }
}
