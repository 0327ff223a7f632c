import t from 'tap';
import { LoginThrottle, addressKey } from '../../../src/auth/login-throttle.js';

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}
const CFG = { maxfailures: 3, window: 60, lockout: 300 };

t.test('per-address lockout in a sliding window', async (t) => {
  const c = clock();
  const th = new LoginThrottle(CFG, { now: c.now });
  th.fail('10.0.0.1', 'a');
  c.advance(30_000);
  th.fail('10.0.0.1', 'b');
  c.advance(31_000);
  th.fail('10.0.0.1', 'c');
  t.ok(th.check('10.0.0.1', 'd'), 'the first failure left the 60 s window');
  c.advance(1000);
  th.fail('10.0.0.1', 'e');
  t.notOk(th.check('10.0.0.1', 'anyone'), 'three failures within 60 s lock the address');
  t.equal(th.lockedFor('10.0.0.1', 'x'), 300_000);
  t.ok(th.check('10.0.0.2', 'anyone'), 'other addresses are unaffected');
  th.fail('10.0.0.1', 'f');
  c.advance(299_999);
  t.notOk(th.check('10.0.0.1', 'x'), 'failures while locked do not extend it, and it lasts `lockout`');
  c.advance(1);
  t.ok(th.check('10.0.0.1', 'x'), 'unlocked after 300 s');
});

t.test('per-user lockout across addresses; success resets', async (t) => {
  const c = clock();
  const th = new LoginThrottle(CFG, { now: c.now });
  th.fail('10.0.0.1', 'alice');
  th.fail('10.0.0.2', 'Alice');
  th.succeed('10.0.0.3', 'bob');
  th.fail('10.0.0.3', 'ALICE');
  t.notOk(th.check('192.0.2.9', 'alice'), 'user names are case-insensitive; the user is locked from everywhere');
  t.ok(th.check('192.0.2.9', 'bob'));
  const th2 = new LoginThrottle(CFG, { now: c.now });
  th2.fail('10.0.0.1', 'carol');
  th2.fail('10.0.0.1', 'carol');
  th2.succeed('10.0.0.1', 'carol');
  th2.fail('10.0.0.1', 'carol');
  t.ok(th2.check('10.0.0.1', 'carol'), 'a good login forgets earlier failures');
});

t.test('IPv4-mapped addresses count as IPv4; IPv6 counts per /64', async (t) => {
  const c = clock();
  const th = new LoginThrottle(CFG, { now: c.now });
  th.fail('::ffff:10.0.0.1', 'a');
  th.fail('10.0.0.1', 'b');
  th.fail('::ffff:10.0.0.1', 'c');
  t.notOk(th.check('10.0.0.1', 'z'));
  th.fail('2001:db8:1:2::1', 'a1');
  th.fail('2001:db8:1:2::2', 'a2');
  th.fail('2001:db8:1:2:ffff::3', 'a3');
  t.notOk(th.check('2001:db8:1:2::99', 'z'), 'the whole /64');
  t.ok(th.check('2001:db8:1:3::1', 'z'));
  t.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1');
  t.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  t.equal(addressKey('garbage'), 'garbage');
});

t.test('maxfailures 0 disables the lockout', async (t) => {
  const th = new LoginThrottle({ ...CFG, maxfailures: 0 });
  for (let i = 0; i < 10; i++) th.fail('10.0.0.1', 'a');
  t.ok(th.check('10.0.0.1', 'a'));
  t.equal(th.size, 0);
});

t.test('memory is bounded', async (t) => {
  const c = clock();
  const th = new LoginThrottle(CFG, { now: c.now, maxKeys: 10 });
  for (let i = 0; i < 50; i++) th.fail(`10.0.1.${i}`, `user${i}`);
  t.ok(th.size <= 10, `size ${th.size}`);
  c.advance(61_000);
  th.fail('10.9.9.9', 'late');
  t.ok(th.size <= 10);
});

t.test('fail() without a user counts the address only', async (t) => {
  const c = clock();
  const th = new LoginThrottle(CFG, { now: c.now });
  for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) th.fail(ip);
  t.ok(th.check('10.0.0.4', 'alice'), 'no user name was counted');
  th.fail('10.0.0.1');
  th.fail('10.0.0.1');
  t.notOk(th.check('10.0.0.1', 'alice'), 'the address was');
});

t.test('configure(): counts and lockouts are kept, the new limits apply', async (t) => {
  const c = clock();
  const th = new LoginThrottle(CFG, { now: c.now });
  for (let i = 0; i < 3; i++) th.fail('10.0.0.1', 'alice');
  th.fail('10.0.0.2', 'bob');
  th.configure({ maxfailures: 2, window: 60, lockout: 10 });
  t.equal(th.lockedFor('10.0.0.9', 'alice'), 10_000, 'a running lockout takes the new length');
  th.fail('10.0.0.3', 'bob');
  t.notOk(th.check('10.0.0.9', 'bob'), "bob's earlier failure counts towards the new maxfailures");
  c.advance(10_000);
  t.ok(th.check('10.0.0.9', 'alice'), 'and ends with it');
  th.configure({ maxfailures: 3, window: 1, lockout: 300 });
  th.fail('10.0.0.5', 'carol');
  c.advance(1000);
  th.fail('10.0.0.5', 'carol');
  th.fail('10.0.0.5', 'carol');
  t.ok(th.check('10.0.0.9', 'carol'), 'a shorter window drops older failures');
  th.configure({ maxfailures: 0, window: 60, lockout: 300 });
  t.equal(th.size, 0, 'turning the lockout off forgets everything');
  t.ok(th.check('10.0.0.3', 'bob'));
});
