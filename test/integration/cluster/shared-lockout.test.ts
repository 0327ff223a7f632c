// Issue 16: failed-login lockouts are shared. Two in-process proxies on one
// real redis-server: five failures spread over both (3 + 2, so neither alone
// reaches maxfailures 5) lock the address on both; a correct login is then
// refused on both, with the same reply and the audit reason `lockout`.

import t from 'tap';
import { startProxy, waitUntil } from '../../helpers/start-proxy.js';
import { startRedis } from '../../helpers/redis-server.js';
import { ACCEPTED, FAILED, attempt } from '../../helpers/cluster.js';

t.test('five failures over two instances lock the address on both', async (t) => {
  const redis = await startRedis(t);
  const users = { alice: { secret: 'right', read: 'call' }, bob: { secret: 'bobs', read: 'call' } };
  const general = { loginfailures: { maxfailures: 5, window: 60, lockout: 300 } };
  const a = await startProxy(t, { users, general, cluster: { redis: redis.url, instance: 'a' } });
  const b = await startProxy(t, { users, general, cluster: { redis: redis.url, instance: 'b' } });
  t.equal(a.proxy.shared?.redis, 'up');
  t.equal(b.proxy.shared?.redis, 'up');

  // Five wrong secrets, alternating instances (each sees fewer than five).
  const ports = [a.port, b.port, a.port, b.port, a.port];
  for (const port of ports) t.equal(await attempt(port, 'alice', 'wrong'), FAILED);
  const failures = (h: typeof a) => h.logs().filter((l) => l['audit'] === 'loginFailed').map((l) => l['reason']);
  t.same(failures(a), ['bad-secret', 'bad-secret', 'bad-secret']);
  t.same(failures(b), ['bad-secret', 'bad-secret']);

  // The sixth: the right secret, on both instances, and another user from the same address.
  t.equal(await attempt(a.port, 'alice', 'right'), FAILED, 'locked on the first instance');
  t.equal(await attempt(b.port, 'alice', 'right'), FAILED, 'locked on the second instance');
  t.equal(await attempt(b.port, 'bob', 'bobs'), FAILED, 'the address is locked for every user');
  t.same(failures(a).slice(3), ['lockout']);
  t.same(failures(b).slice(2), ['lockout', 'lockout']);
  t.equal(a.proxy.shared!.heldCount + b.proxy.shared!.heldCount, 0, 'no lease was taken');

  // Lifting the lockout in Redis (what an operator would do) lifts it on both.
  await redis.restart();
  await waitUntil(() => a.proxy.shared!.redis === 'up' && b.proxy.shared!.redis === 'up', 15_000, 'redis back');
  t.match(await attempt(b.port, 'bob', 'bobs'), ACCEPTED, 'each instance alone had fewer than five failures: not locked locally');
});
