// The contract between an upstream connection and the pool that owns it: what
// the pool learns (SlotOwner, which the pool implements: lower layers declare
// the interfaces upper ones implement) and what a connection is built from.
// Generic over the connection so this file needs nothing from connection.ts;
// connection.ts names them ConnectionOwner and ConnectionOptions.

import type pino from 'pino';
import type { AmiMessage } from '../protocol/message.js';
import type { AmigateError } from '../errors.js';
import type { UpstreamConfig, UpstreamRef } from './types.js';
import type { Connector } from './connector.js';
import type { RetryDelay } from './backoff.js';

/** What the pool learns from its connections (the pool implements it). */
export interface SlotOwner<C> {
  /** Asked just before Login: true means log in with `Events: on`. The owner grants this to one connection at a time. */
  claimEvents(conn: C): boolean;
  /** The connection is ready for actions. */
  ready(conn: C): void;
  /** A packet from a logged-in connection that is not a reply to one of our own actions. */
  message(conn: C, msg: AmiMessage): void;
  /** The socket of generation `ref` is gone. `loggedIn` tells whether anything could have been written on it. */
  down(conn: C, ref: UpstreamRef, err: AmigateError, loggedIn: boolean): void;
  /** Asterisk announced `Event: Shutdown` (S28): every session of that server is about to close. */
  shutdown(conn: C): void;
}

export interface SlotOptions<C> {
  config: UpstreamConfig;
  /** Index within the pool. */
  id: number;
  owner: SlotOwner<C>;
  logger: pino.Logger;
  connector: Connector;
  retryDelay: RetryDelay;
  /** ms the event connection waits for FullyBooted before it is ready anyway; `config.boottimeout` wins. @default 2000 */
  bootTimeoutMs?: number;
  /** ms from the start of a connect to a successful Login. @default 10000 */
  loginTimeoutMs?: number;
  /** ms close() waits for Asterisk's Goodbye and close before destroying the socket. @default 1000 */
  closeTimeoutMs?: number;
  /** ms after `Event: Shutdown` before a socket Asterisk has not closed is destroyed. @default 5000 */
  shutdownGraceMs?: number;
  /** Try MD5 Challenge login first (falls back to a plain Secret when refused). @default true */
  md5?: boolean;
}
