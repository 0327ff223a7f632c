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
  /** Router actions in flight on this server before send() fails fast with UpstreamOverloadedError. @default Cluster option maxPendingActions (1000) */
  maxpendingactions?: number;
  /** Bytes of one line Asterisk sends; a longer one is discarded and its packet flagged. @default 1048576 */
  maxlinebytes?: number;
  /** Lines of one packet Asterisk sends; the excess is discarded and the packet flagged. @default 100000 */
  maxheaders?: number;
  /** ms the event connection waits for FullyBooted after login (a connection option's value when unset). @default 2000 */
  boottimeout?: number;
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
  /** A server became ready or stopped being ready (`reason`: why, when it stopped). */
  serverState(server: string, ready: boolean, reason?: string): void;
}

// --- additions (upstream side) -------------------------------------------------

/** Lifecycle of one pool slot; see connection.ts for the transitions. */
export type ConnectionStatus =
  | 'idle' | 'connecting' | 'banner' | 'login' | 'booting' | 'ready' | 'waiting' | 'closing' | 'closed';

export interface ConnectionStats {
  id: number;
  generation: number;
  status: ConnectionStatus;
  /** Router actions written on this connection and not yet answered by a `Response:`. */
  pending: number;
  /** True for the server's single event connection. */
  events: boolean;
  /** Sockets opened after the first one. */
  reconnects: number;
  lastError: string | undefined;
  /** Packets from Asterisk that broke maxlinebytes / maxheaders (cut, not dropped). */
  oversize: OversizeCounts;
}

export interface OversizeCounts { 'line-too-long': number; 'too-many-lines': number }

export interface ServerStats {
  name: string;
  /** `ready`: takes actions; `booting`: logged in, waiting for FullyBooted/ListCommands; `down`: nothing logged in; `closed`: after close(). */
  state: 'ready' | 'booting' | 'down' | 'closed';
  ready: boolean;
  connectionsReady: number;
  connectionsTotal: number;
  reconnects: number;
  pending: number;
  /** Oversize packets over all connections of this server (see ConnectionStats). */
  oversize: OversizeCounts;
  /** Index of the event connection, or null while there is none. */
  eventConnection: number | null;
  banner: string | undefined;
  connections: ConnectionStats[];
}

export interface ClusterStats {
  servers: ServerStats[];
}
