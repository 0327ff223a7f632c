// What one upstream socket has been sent and not yet answered, oldest first.
// Asterisk handles a session's actions strictly one at a time, in order, and
// writes exactly one `Response:` packet for each (main/manager.c do_message(),
// S26), so each Response ends the oldest entry. The router stays the authority
// on its own actions; this only gives the pool a pending count to balance on
// and the keepalive a way to know what Asterisk is busy with.
//
//   written:  [ Originate(sync) | amigate-int-7 Ping | amg.3.9 ]
//               ^ head (since t0: Asterisk is working on it)

import type { AmiMessage } from '../protocol/message.js';
import { isAstTrue } from '../protocol/privileges.js';

/** main/manager.c action_originate(): a non-async Originate blocks the session for up to `Timeout` ms (default 30000). */
const ORIGINATE_DEFAULT_TIMEOUT_MS = 30_000;
/** Slack on top of that Timeout for the dial and the write-back. */
const ORIGINATE_SLACK_MS = 1000;

interface Entry {
  id: string | undefined;
  internal: boolean;
  /** How long Asterisk may legitimately sit on it before answering (ms). */
  holdMs: number;
}

export class InFlight {
  private entries: Entry[] = [];
  private head = 0;
  /** When the current head became the head. */
  private headSince = 0;
  private external = 0;

  /** Router actions (not internal) written and not yet answered. */
  get pending(): number { return this.external; }

  get size(): number { return this.entries.length - this.head; }

  push(id: string | undefined, internal: boolean, holdMs: number, now: number): void {
    this.entries.push({ id, internal, holdMs });
    if (this.entries.length - this.head === 1) this.headSince = now;
    if (!internal) this.external++;
  }

  /**
   * A `Response:` arrived. Normally it answers the head; when its ActionID
   * names a later entry, the ones before it will never be answered (e.g. an
   * Events action under brokeneventsaction=yes), so they end too. A Response
   * with an unknown or no ActionID ends the head.
   */
  answered(id: string | undefined, now: number): void {
    const e = this.entries;
    let k = this.head;
    if (k >= e.length) return;
    if (id !== undefined && e[k]!.id !== id) {
      for (let i = k + 1; i < e.length; i++) {
        if (e[i]!.id === id) { k = i; break; }
      }
    }
    for (let i = this.head; i <= k; i++) if (!e[i]!.internal) this.external--;
    this.head = k + 1;
    this.headSince = now;
    if (this.head === e.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > e.length) {
      this.entries = e.slice(this.head);
      this.head = 0;
    }
  }

  /** The oldest unanswered action is one Asterisk may still be legitimately working on. */
  headMayBlock(now: number): boolean {
    const h = this.entries[this.head];
    return h !== undefined && h.holdMs > 0 && now - this.headSince < h.holdMs;
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.external = 0;
  }
}

/** How long Asterisk may block the session on `msg` before answering (ms; 0 = answers at once). */
export function blockingHoldMs(msg: AmiMessage): number {
  const action = msg.getNonEmpty('Action');
  if (action === undefined || action.length !== 9 || action.toLowerCase() !== 'originate') return 0;
  if (isAstTrue(msg.get('Async'))) return 0;
  const t = Number.parseInt(msg.get('Timeout') ?? '', 10);
  return (Number.isFinite(t) && t > 0 ? t : ORIGINATE_DEFAULT_TIMEOUT_MS) + ORIGINATE_SLACK_MS;
}
