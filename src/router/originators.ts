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

export class OriginatorMemory {
  private readonly entries = new Map<string, Originator & { expires: number }>();

  constructor(private readonly ttlMs: number, private readonly max: number) {}

  get size(): number { return this.entries.size; }

  remember(proxyId: string, o: Originator, now = Date.now()): void {
    if (this.max <= 0 || this.ttlMs <= 0) return;
    for (const [id, e] of this.entries) {
      if (e.expires > now && this.entries.size < this.max) break;
      this.entries.delete(id);
    }
    this.entries.set(proxyId, { session: o.session, actionId: o.actionId, expires: now + this.ttlMs });
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
