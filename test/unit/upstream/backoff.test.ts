import t from 'tap';
import { makeRetryDelay, retryDelay } from '../../../src/upstream/backoff.js';

t.test('full jitter: delay in [0, min(cap, base * 2^n))', async (t) => {
  const hi = makeRetryDelay({ baseMs: 100, capMs: 10_000, random: () => 0.999999 });
  const lo = makeRetryDelay({ baseMs: 100, capMs: 10_000, random: () => 0 });
  t.equal(hi(0), 99);
  t.equal(hi(1), 199);
  t.equal(hi(3), 799);
  t.equal(hi(7), 9999, 'capped');
  t.equal(hi(5000), 9999, 'no overflow for huge attempts');
  t.equal(lo(10), 0);
});

t.test('default never gives up and stays within the cap', async (t) => {
  for (let n = 0; n < 200; n++) {
    const d = retryDelay(n);
    t.ok(d !== null && d >= 0 && d < 10_000, `attempt ${n}: ${d}`);
  }
});

t.test('jitter spreads connections that fail together', async (t) => {
  const values = new Set<number>();
  for (let i = 0; i < 50; i++) values.add(retryDelay(6)!);
  t.ok(values.size > 10, `${values.size} distinct delays`);
});
