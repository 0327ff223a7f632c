// How an upstream socket is read: the parser's bounds on what Asterisk sends,
// and what the end of the socket means. The connection (connection.ts) wires
// both to each new socket.

import { AmiParser, type ParserHandlers } from '../protocol/parser.js';
import { UpstreamClosedError } from '../errors.js';
import type { UpstreamConfig } from './types.js';

/**
 * Far above anything Asterisk sends (a Command output line, a 1,000-member
 * QueueStatus) but bounded: a broken or hostile server cannot make us hold an
 * unbounded line or packet. A longer line is discarded whole (wholeLines).
 */
export function upstreamParser(config: UpstreamConfig, handlers: ParserHandlers): AmiParser {
  return new AmiParser(handlers, {
    banner: true, maxLineBytes: config.maxlinebytes ?? 1 << 20, maxLines: config.maxheaders ?? 1e5,
    emitEmpty: false, legacyFollows: true, wholeLines: true,
  });
}

/** The socket ended, closed or failed; `shutdownSeen`: after Asterisk's `Event: Shutdown`. */
export function socketGone(err: Error | undefined, shutdownSeen: boolean): UpstreamClosedError {
  if (err) return new UpstreamClosedError(`upstream socket error: ${err.message}`, { cause: err });
  return new UpstreamClosedError(shutdownSeen ? 'Asterisk shut down' : 'upstream connection closed by Asterisk');
}
