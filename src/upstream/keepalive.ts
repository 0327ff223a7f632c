// The keepalive of one upstream connection: a Ping every `keepalive` seconds
// while it is ready, and the verdict that the connection is dead after
// `keepalivemisses` silent ticks. The connection tells it when it starts,
// stops and opens a new socket; it asks the connection what it heard.

import type { UpstreamConfig } from './types.js';

/** What the keepalive asks of its connection (given once, at construction). */
export interface KeepaliveHost {
  /** Ticks count only while the connection is ready. */
  ready(): boolean;
  /** performance.now() of the last bytes received from Asterisk. */
  lastRx(): number;
  /** The oldest unanswered action may legitimately keep Asterisk silent (in-flight.ts). */
  headMayBlock(now: number): boolean;
  /** Send our Ping; `answered` runs on its reply or when the socket goes. Its ActionID, or undefined. */
  ping(answered: () => void): string | undefined;
  /** `misses` ticks in a row without a word: tear the socket down. */
  dead(misses: number): void;
}

export class Keepalive {
  private readonly config: UpstreamConfig;
  private readonly host: KeepaliveHost;
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  /** Our Ping not answered yet. */
  private pingId: string | undefined;
  private misses = 0;

  constructor(config: UpstreamConfig, host: KeepaliveHost) {
    this.config = config;
    this.host = host;
  }

  /** A new socket: nothing is owed on it. */
  reset(): void {
    this.pingId = undefined;
    this.misses = 0;
  }

  start(): void {
    const seconds = this.config.keepalive;
    if (!(seconds > 0)) return;
    this.lastTick = performance.now();
    this.timer = setInterval(() => this.tick(), seconds * 1000);
    this.timer.unref();
  }

  /** No more ticks; `lost`: the socket is gone, so is any Ping on it. */
  stop(lost = false): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (lost) this.pingId = undefined;
  }

  /**
   * Every `keepalive` seconds. A tick is a miss when our Ping is unanswered and
   * nothing at all arrived since the previous tick, unless the oldest
   * unanswered action may legitimately block the session (a synchronous
   * Originate holds it for up to its Timeout, and our Ping queues behind it).
   */
  private tick(): void {
    if (!this.host.ready()) return;
    const now = performance.now();
    const heard = this.host.lastRx() > this.lastTick;
    this.lastTick = now;
    if (this.pingId !== undefined && !heard && !this.host.headMayBlock(now)) {
      this.misses++;
      if (this.misses >= Math.max(1, this.config.keepalivemisses)) {
        this.host.dead(this.misses);
        return;
      }
    } else {
      this.misses = 0;
    }
    if (this.pingId === undefined) {
      this.pingId = this.host.ping(() => { this.pingId = undefined; });
    }
  }
}
