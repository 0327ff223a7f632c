// Who sent an action, remembered for a while after it ended: a broadcast that
// echoes the action's ActionID (UserEvent, OriginateResponse) comes on the event
// connection and usually after the response came on the action connection, yet
// the originating session must still get its own ActionID back (S25).
//
// Bounded twice: entries expire after `ttlMs`, and past `max` the oldest go
// first. Map iteration is insertion order and every entry has the same TTL, so
// expiry only ever looks at the head.

/** Who originated a broadcast event that carries one of our ActionIDs. */
export interface Originator {
  session: number;
  /** The client's own ActionID (undefined when it sent none). */
  actionId: string | undefined;
}

type Entry = Originator & { expires: number };

export class OriginatorMemory {
  private readonly entries = new Map<string, Entry>();
  /**
   * Insertion order, kept beside the Map for expiry: a Map used as a FIFO
   * (delete at the head, set at the tail) keeps its deleted slots until it
   * rehashes, and iteration from the head walks over all of them, which cost
   * 7 µs per remember() at the 10,000 bound (issue 12 profile). The queue is
   * popped from `head`; a slot whose id was deleted or re-set is skipped.
   */
  private order: Array<{ id: string; e: Entry }> = [];
  private head = 0;

  constructor(private readonly ttlMs: number, private readonly max: number) {}

  get size(): number { return this.entries.size; }

  remember(proxyId: string, o: Originator, now = Date.now()): void {
    if (this.max <= 0 || this.ttlMs <= 0) return;
    const q = this.order;
    while (this.head < q.length) {
      const s = q[this.head]!;
      const live = this.entries.get(s.id) === s.e;
      if (live && s.e.expires > now && this.entries.size < this.max) break;
      if (live) this.entries.delete(s.id);
      q[this.head++] = undefined as never; // let it be collected
    }
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.order = q.slice(this.head);
      this.head = 0;
    } else if (q.length - this.head > 2 * this.max + 1024) {
      // Slots of deleted entries (dropSession) behind a live head: keep the queue bounded by the Map.
      this.order = q.slice(this.head).filter((s) => this.entries.get(s.id) === s.e);
      this.head = 0;
    }
    const e: Entry = { session: o.session, actionId: o.actionId, expires: now + this.ttlMs };
    this.entries.set(proxyId, e);
    this.order.push({ id: proxyId, e });
  }

  get(proxyId: string, now = Date.now()): Originator | undefined {
    const e = this.entries.get(proxyId);
    if (e === undefined) return undefined;
    if (e.expires <= now) {
      this.entries.delete(proxyId);
      return undefined;
    }
    return { session: e.session, actionId: e.actionId };
  }

  delete(proxyId: string): void { this.entries.delete(proxyId); }

  /** A closed session's actions: nobody is left to give their ActionIDs back to. */
  dropSession(session: number): void {
    for (const [id, e] of this.entries) if (e.session === session) this.entries.delete(id);
  }
}
