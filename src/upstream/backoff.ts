// Reconnect delays: exponential backoff with "full jitter" (AWS Architecture
// Blog, "Exponential Backoff And Jitter"): delay = random(0, min(cap, base * 2^n)).
// Full jitter spreads the reconnects of N pool connections, and of several
// proxies, so a restarted Asterisk is not hit by all of them at the same instant.
// The shape is ioredis's `retryStrategy(times) -> ms | null`: null stops retrying.

export type RetryDelay = (attempt: number) => number | null;

export interface BackoffOptions {
  /** Delay bound of the first retry, in ms. @default 100 */
  baseMs?: number;
  /** Upper bound of any delay, in ms. @default 10000 */
  capMs?: number;
  /** Random source in [0, 1). @default Math.random */
  random?: () => number;
}

/** Build a retryDelay(attempt) with the given bounds; attempt 0 is the first retry. */
export function makeRetryDelay(opts: BackoffOptions = {}): RetryDelay {
  const base = opts.baseMs ?? 100;
  const cap = opts.capMs ?? 10_000;
  const random = opts.random ?? Math.random;
  return (attempt: number): number => {
    // 2^attempt overflows to Infinity after ~1000 attempts; min() keeps it at cap.
    const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt));
    return Math.floor(random() * ceiling);
  };
}

/** The default: 100 ms base, 10 s cap, full jitter; never gives up. */
export const retryDelay: RetryDelay = makeRetryDelay();
