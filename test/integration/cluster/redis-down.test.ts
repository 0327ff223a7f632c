// Issue 16: Redis stopped and restarted mid-run behaves as documented
// (docs/shared-state.md). redisdown: local: logins go on with each instance's
// own counts (a warning once, amigate_cluster_fallback_total), /readyz stays
// ready with redis: down; when Redis is back (empty) each instance registers
// its live sessions again, so a second session of a one-session user is
// refused again. redisdown: refuse: every login answers `Authentication
// failed` (audit reason cluster-unavailable) and /readyz is 503 until Redis
// answers again.

import t from 'tap';
import { startProxy, waitUntil } from '../../helpers/start-proxy.js';
import { startRedis } from '../../helpers/redis-server.js';
import { ACCEPTED, FAILED, IN_USE, adminGet, attempt, loggedIn, metricValue } from '../../helpers/cluster.js';

const USERS = { solo: { secret: 'pw', read: 'call', allowmultiplelogin: false }, open: { secret: 'pw', read: 'call' } };

t.test('redisdown: local — per-instance counts while down, leases re-registered when back', async (t) => {
  const redis = await startRedis(t);
  // A short lockout: the local one below must be over before the last check.
  const general = { loginfailures: { maxfailures: 2, window: 60, lockout: 4 } };
  const a = await startProxy(t, { users: USERS, general, admin: true, cluster: { redis: redis.url, instance: 'a', timeout: 200 } });
  const b = await startProxy(t, { users: USERS, general, admin: true, cluster: { redis: redis.url, instance: 'b', timeout: 200 } });
  const first = await loggedIn(a.port, 'solo', 'pw');
  t.equal(await attempt(b.port, 'solo', 'pw'), IN_USE, 'shared while Redis is up');

  await redis.stop();
  await waitUntil(() => a.proxy.shared!.redis === 'down' && b.proxy.shared!.redis === 'down', 10_000, 'redis down seen');
  const ready = await adminGet(b.proxy.adminPort!, '/readyz');
  t.equal(ready.status, 200, 'still ready: logins work');
  t.match(ready.body, { ready: true, redis: 'down' });
  t.equal((await adminGet(b.proxy.adminPort!, '/sessions')).status, 503, 'the cluster view cannot be read');

  // Local counts: the other instance cannot see the first session, this one can.
  const during = await loggedIn(b.port, 'solo', 'pw');
  t.pass('the other instance admits the user (its own count is 0): the documented cost of redisdown: local');
  t.equal(await attempt(a.port, 'solo', 'pw'), IN_USE, 'the instance that has the session still refuses a second');
  // The local lockout still holds: two failures on b lock the address on b.
  t.equal(await attempt(b.port, 'open', 'wrong'), FAILED);
  t.equal(await attempt(b.port, 'open', 'wrong'), FAILED);
  const lockedAt = Date.now();
  t.equal(await attempt(b.port, 'open', 'pw'), FAILED, 'locked by the local throttle');
  t.match(await attempt(a.port, 'open', 'pw'), ACCEPTED, 'the other instance did not see those failures');
  const warnings = b.logs().filter((l) => typeof l['msg'] === 'string' && (l['msg'] as string).startsWith('redis unavailable'));
  t.equal(warnings.length, 1, 'one warning for the outage, however many logins fell back');
  const metrics = (await adminGet(b.proxy.adminPort!, '/metrics')).text;
  t.equal(metricValue(metrics, 'amigate_cluster_redis_up'), 0);
  t.ok((metricValue(metrics, 'amigate_cluster_fallback_total{op="session-acquire"}') ?? 0) >= 1, 'fallbacks counted');
  t.ok((metricValue(metrics, 'amigate_cluster_fallback_total{op="lockout-check"}') ?? 0) >= 3);
  await during.close();
  await waitUntil(() => b.proxy.shared!.heldCount === 0, 5000, 'b has no session');

  await new Promise((r) => setTimeout(r, Math.max(0, lockedAt + 4500 - Date.now())));
  // Back, empty: a re-registers its live session; b refuses a second one again.
  await redis.restart();
  await waitUntil(() => a.proxy.shared!.redis === 'up' && b.proxy.shared!.redis === 'up', 15_000, 'redis up seen');
  await waitUntil(() => a.logs().some((l) => typeof l['msg'] === 'string' && (l['msg'] as string).includes('session leases registered')), 10_000, 'leases re-registered');
  t.equal(await attempt(b.port, 'solo', 'pw'), IN_USE, 'the lease of the session on a is back');
  const after = await adminGet(b.proxy.adminPort!, '/metrics');
  t.equal(metricValue(after.text, 'amigate_cluster_redis_up'), 1);
  await first.close();
});

t.test('redisdown: refuse — logins fail closed and /readyz is 503 while Redis is down', async (t) => {
  const redis = await startRedis(t);
  const a = await startProxy(t, { users: USERS, admin: true, cluster: { redis: redis.url, instance: 'a', redisdown: 'refuse', timeout: 200 } });
  t.match(await attempt(a.port, 'open', 'pw'), ACCEPTED);
  await redis.stop();
  await waitUntil(() => a.proxy.shared!.redis === 'down', 10_000, 'redis down seen');
  t.equal(await attempt(a.port, 'open', 'pw'), FAILED, 'the right secret is refused: the shared state cannot be read');
  t.equal(await attempt(a.port, 'nobody', 'x'), FAILED, 'an unknown user gets the same reply');
  const reasons = a.logs().filter((l) => l['audit'] === 'loginFailed').map((l) => l['reason']);
  t.same(reasons, ['cluster-unavailable', 'cluster-unavailable'], 'the audit says why');
  const ready = await adminGet(a.proxy.adminPort!, '/readyz');
  t.equal(ready.status, 503);
  t.match(ready.body, { ready: false, redis: 'down' });
  const metrics = (await adminGet(a.proxy.adminPort!, '/metrics')).text;
  t.equal(metricValue(metrics, 'amigate_cluster_refused_total{op="lockout-check"}'), 2);

  await redis.restart();
  await waitUntil(() => a.proxy.shared!.redis === 'up', 15_000, 'redis up seen');
  t.match(await attempt(a.port, 'open', 'pw'), ACCEPTED, 'logins work again');
  t.equal((await adminGet(a.proxy.adminPort!, '/readyz')).status, 200);
});
