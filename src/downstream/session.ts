// A session on a TCP/TLS stream: the session core (session/session.ts) driven
// by a StreamTransport. What listener.ts accepts and session-openers.ts creates; the
// types of the core are re-exported so callers of the stream front end need
// one import.

import type { Duplex } from 'node:stream';
import { AmiSession } from '../session/session.js';
import type { ConnectionInfo, SessionServices } from '../session/services.js';
import type { AmiParser } from '../protocol/parser.js';
import { StreamTransport } from './stream-transport.js';

export type {
  ConnectionInfo, Decision, LoginResult, SessionFilters, SessionObservation, SessionServices, SessionStatus, SessionUser,
} from '../session/services.js';

export class Session extends AmiSession {
  constructor(id: number, socket: Duplex, services: SessionServices, conn: ConnectionInfo) {
    super(id, services, conn, new StreamTransport(socket, {
      maxQueueBytes: services.maxQueueBytes,
      ...(services.maxLineBytes !== undefined ? { maxLineBytes: services.maxLineBytes } : {}),
      ...(services.maxHeaders !== undefined ? { maxHeaders: services.maxHeaders } : {}),
    }));
  }

  get socket(): Duplex { return (this.transport as StreamTransport).socket; }
  get parser(): AmiParser { return (this.transport as StreamTransport).parser; }
}
