// OriginatorMemory: the bounded, expiring memory of who sent an ended action.
// Checked against a plain reference model (an insertion-ordered Map evicted
// from its head, what the class did before its expiry queue) for generated
// operation sequences, plus the bound on the expiry queue itself.

import t from 'tap';
import fc from 'fast-check';
import { OriginatorMemory, type Originator } from '../../../src/router/originators.js';

/** The reference: evict from the head while the head is expired or the bound is reached. */
class Model {
  readonly entries = new Map<string, Originator & { expires: number }>();
  constructor(private readonly ttl: number, private readonly max: number) {}
  remember(id: string, o: Originator, now: number): void {
    if (this.max <= 0 || this.ttl <= 0) return;
    for (const [k, e] of this.entries) {
      if (e.expires > now && this.entries.size < this.max) break;
      this.entries.delete(k);
    }
    this.entries.delete(id); // a re-remembered id counts from now (proxy IDs are never reused)
    this.entries.set(id, { ...o, expires: now + this.ttl });
  }
  get(id: string, now: number): Originator | undefined {
    const e = this.entries.get(id);
    if (e === undefined) return undefined;
    if (e.expires <= now) { this.entries.delete(id); return undefined; }
    return { session: e.session, actionId: e.actionId };
  }
  delete(id: string): void { this.entries.delete(id); }
  dropSession(s: number): void { for (const [k, e] of this.entries) if (e.session === s) this.entries.delete(k); }
}

type Op =
  | { op: 'remember'; id: number; session: number; dt: number }
  | { op: 'get'; id: number; dt: number }
  | { op: 'delete'; id: number }
  | { op: 'drop'; session: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('remember' as const), id: fc.nat(40), session: fc.nat(4), dt: fc.nat(30) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('get' as const), id: fc.nat(40), dt: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), id: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), session: fc.nat(4) }) },
);

t.test('same answers as the reference model for any sequence of operations', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 12 }), fc.array(opArb, { maxLength: 300 }), (ttl, max, ops) => {
    const m = new OriginatorMemory(ttl, max);
    const ref = new Model(ttl, max);
    let now = 0;
    for (const o of ops) {
      if (o.op === 'remember') {
        now += o.dt;
        const who = { session: o.session, actionId: o.id % 3 === 0 ? undefined : `c${o.id}` };
        m.remember(`amg.${o.id}`, who, now);
        ref.remember(`amg.${o.id}`, who, now);
      } else if (o.op === 'get') {
        now += o.dt;
        const a = m.get(`amg.${o.id}`, now);
        const b = ref.get(`amg.${o.id}`, now);
        if (JSON.stringify(a) !== JSON.stringify(b)) return false;
      } else if (o.op === 'delete') {
        m.delete(`amg.${o.id}`);
        ref.delete(`amg.${o.id}`);
      } else {
        m.dropSession(o.session);
        ref.dropSession(o.session);
      }
      if (m.size !== ref.entries.size || m.size > max) return false;
    }
    return true;
  }), { numRuns: 500 });
  t.pass('500 generated sequences agree');
});

t.test('the bound evicts the oldest first; expiry frees entries', async (t) => {
  const m = new OriginatorMemory(1000, 3);
  for (let i = 0; i < 5; i++) m.remember(`amg.${i}`, { session: 1, actionId: `a${i}` }, 0);
  t.equal(m.size, 3);
  t.equal(m.get('amg.0', 1), undefined);
  t.equal(m.get('amg.1', 1), undefined);
  t.same(m.get('amg.2', 1), { session: 1, actionId: 'a2' });
  t.same(m.get('amg.4', 999), { session: 1, actionId: 'a4' });
  t.equal(m.get('amg.4', 1000), undefined, 'expired at exactly ttl');
  m.remember('amg.9', { session: 2, actionId: undefined }, 2000);
  t.equal(m.size, 1, 'expired entries went before the new one was added');
});

t.test('the expiry queue stays bounded when dropSession() empties the memory behind a live head', async (t) => {
  // The oldest entry is live and not expired, so expiry stops there; every later
  // one is dropped with its session. Without compaction the queue would keep a
  // slot for each of the 100,000 forgotten entries.
  const max = 100;
  const m = new OriginatorMemory(1e9, max);
  m.remember('amg.keep', { session: 0, actionId: undefined }, 0);
  for (let i = 0; i < 100_000; i++) {
    m.remember(`amg.${i}`, { session: 1, actionId: undefined }, i);
    m.dropSession(1);
  }
  const q = m as unknown as { order: unknown[]; head: number };
  t.ok(q.order.length - q.head <= 2 * max + 1024 + 1, `queue holds ${q.order.length - q.head} slots for ${m.size} entries`);
  t.equal(m.size, 1);
  t.same(m.get('amg.keep', 1), { session: 0, actionId: undefined });
});
