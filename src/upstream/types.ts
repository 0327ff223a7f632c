// The contract between the upstream layer and the router above it. The router
// implements UpstreamListener; the cluster calls it (layers call downwards,
// lower layers declare the interfaces upper ones implement).

import type { AmiMessage } from '../protocol/message.js';
import type { AmigateError } from '../errors.js';

export interface UpstreamTlsConfig { cafile?: string; ca?: string | Buffer; servername?: string; rejectunauthorized?: boolean }

export interface UpstreamConfig {
  name: string;
  host: string;
  port: number;
  username: string;
  secret: string;
  /** Pool size. @default 2 */
  connections: number;
  tls?: UpstreamTlsConfig;
  /** Seconds between keepalive Pings; 0 = off. */
  keepalive: number;
  /** Missed keepalive Pings before the connection is declared dead. */
  keepalivemisses: number;
}

export interface UpstreamRef {
  readonly server: string;
  /** Connection index within the server's pool. */
  readonly id: number;
  /** Bumps on each reconnect of that connection. */
  readonly generation: number;
}

export interface UpstreamListener {
  /** Every packet Asterisk sends on a logged-in connection, in wire order (internal ones excluded). */
  message(msg: AmiMessage, from: UpstreamRef): void;
  /** A connection went down; whatever was written on it and not yet answered never will be. */
  connectionDown(ref: UpstreamRef, err: AmigateError): void;
  /** A server became ready or stopped being ready. */
  serverState(server: string, ready: boolean): void;
}
