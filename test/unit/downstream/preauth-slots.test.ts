import t from 'tap';
import { PreAuthSlots, type PreAuthSlot } from '../../../src/downstream/preauth-slots.js';

t.test('per-address and proxy-wide limits; release is once only; limits are read live', async (t) => {
  const limits = { authlimit: 4, authlimitperip: 2 };
  const s = new PreAuthSlots(() => limits);
  const a1 = s.take('10.0.0.1') as PreAuthSlot;
  const a2 = s.take('::ffff:10.0.0.1') as PreAuthSlot;
  t.equal(s.take('10.0.0.1'), 'authlimitperip', 'a mapped address is its IPv4 address');
  t.equal(s.heldBy('10.0.0.1'), 2);
  t.type(s.take('2001:db8:1:2::1'), 'object');
  t.type(s.take('2001:db8:1:2::3'), 'object');
  t.equal(s.take('2001:db8:1:2:ffff::9'), 'authlimitperip', 'IPv6 counts per /64');
  t.equal(s.take('10.0.0.3'), 'authlimit', 'four slots in all');
  a1.release();
  a1.release();
  t.equal(s.size, 3, 'a second release does nothing');
  t.type(s.take('10.0.0.1'), 'object', 'the address has a slot again');
  a2.release();
  limits.authlimitperip = 1;
  t.equal(s.take('10.0.0.1'), 'authlimitperip', 'a lowered limit applies at once');
});
