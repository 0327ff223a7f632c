// The broadcast events a session holds instead of writing them at once: while
// an action is in flight (S26: never inside a list), and, on a polling
// transport (HTTP), until the next WaitEvent takes them. Counted in bytes of
// AMI text so the session can bound it by maxqueuebytes.

import type { OutboundEvent } from '../protocol/outbound-event.js';

export class HeldEvents {
  private list: OutboundEvent[] = [];
  /** Bytes of AMI text held now. */
  bytes = 0;

  get length(): number { return this.list.length; }

  push(ev: OutboundEvent): void {
    this.list.push(ev);
    this.bytes += ev.wire.length;
  }

  /** Everything held, in arrival order; the hold is empty afterwards. */
  take(): OutboundEvent[] {
    const out = this.list;
    this.list = [];
    this.bytes = 0;
    return out;
  }

  /** Drop the oldest events until at most `maxBytes` are held; how many went. */
  dropOldest(maxBytes: number): number {
    let n = 0;
    while (this.bytes > maxBytes && this.list.length > 0) {
      this.bytes -= this.list.shift()!.wire.length;
      n++;
    }
    return n;
  }

  /** Forget everything; how many events were held. */
  clear(): number {
    return this.take().length;
  }
}
