// What an upstream connection does after losing a socket: log the loss at the
// level it deserves (a refused login is an error, the loss of a working
// connection a warning, one more failed connect while retrying only debug, so
// a down Asterisk does not flood the log) and wait retryDelay(attempt)
// (backoff.ts) before the next connect, until retryDelay gives up.

import type pino from 'pino';
import { UpstreamAuthError, type AmigateError } from '../errors.js';
import type { RetryDelay } from './backoff.js';
import type { ConnectionStatus } from './types.js';

export interface Loss {
  err: AmigateError;
  /** close() was called: the loss is the end, not a failure. */
  closing: boolean;
  wasLoggedIn: boolean;
  generation: number;
  /** The status the socket was lost in. */
  from: ConnectionStatus;
}

export class Reconnect {
  /** Losses since the connection was last ready (0: the next loss is the first). */
  attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly retryDelay: RetryDelay;
  private readonly logger: pino.Logger;

  constructor(retryDelay: RetryDelay, logger: pino.Logger) {
    this.retryDelay = retryDelay;
    this.logger = logger;
  }

  log({ err, closing, wasLoggedIn, generation, from }: Loss): void {
    if (closing) {
      this.logger.debug({ err: err.message }, 'upstream connection closed');
    } else if (err instanceof UpstreamAuthError) {
      this.logger.error({ err: err.message, generation }, 'upstream login refused');
    } else if (wasLoggedIn || this.attempt === 0) {
      this.logger.warn({ err: err.message, generation, status: from }, 'upstream connection lost');
    } else {
      this.logger.debug({ err: err.message, attempt: this.attempt }, 'upstream connect failed');
    }
  }

  /** Call `again` after retryDelay(attempt); false (logged) when retryDelay gives up. */
  schedule(again: () => void): boolean {
    const delay = this.retryDelay(this.attempt++);
    if (delay === null) {
      this.logger.error({ attempts: this.attempt }, 'upstream connection: giving up reconnecting');
      return false;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      again();
    }, delay);
    return true;
  }

  /** close() while waiting: no next connect. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
