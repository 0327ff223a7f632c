// SharedState (cluster/shared-state.ts) against a real redis-server: the local
// throttle is always fed and consulted first; a place taken for a session that
// closed meanwhile is given back; Redis down gives each step the documented
// answer for both redisdown policies; a reload's limits reach both throttles.

import t, { type Test } from 'tap';
import { Registry } from 'prom-client';
import { startRedis, type RedisHarness } from '../../helpers/redis-server.js';
import { captureLogger } from '../../helpers/log-capture.js';
import { waitUntil } from '../../helpers/start-proxy.js';
import { LoginThrottle } from '../../../src/auth/login-throttle.js';
import { SharedState } from '../../../src/cluster/shared-state.js';
import type { UserRecord } from '../../../src/auth/user-store.js';

const LIMITS = { maxfailures: 3, window: 60, lockout: 300 };
const user = (name: string) => ({ name }) as unknown as UserRecord;

async function state(t: Test, redis: RedisHarness, redisdown: 'local' | 'refuse', live = new Set<number>(), local = new LoginThrottle(LIMITS)) {
  const log = captureLogger();
  const s = new SharedState({ redis: redis.url, password: undefined, prefix: 'u:', instance: 'i1', leasettl: 30, redisdown, timeout: 200 }, {
    logger: log.logger, registry: new Registry(), local, loginfailures: LIMITS,
    localCount: () => 0, isLive: (id) => live.has(id), describe: () => ({ remote: '127.0.0.1:1', listener: 'plain', transport: 'tcp' }),
  });
  t.teardown(() => s.close());
  await s.start();
  return { s, log, local };
}

t.test('a place for a session that closed meanwhile is given back; a closed session releases', async (t) => {
  const redis = await startRedis(t);
  const live = new Set([1]);
  const { s } = await state(t, redis, 'local', live);
  t.equal(await s.acquire(2, user('solo'), 1), 'ok', 'taken...');
  t.equal(s.heldCount, 0, '...and given back: session 2 is gone');
  t.equal(await s.count('solo'), 0, 'not counted in Redis');
  t.equal(await s.acquire(1, user('solo'), 1), 'ok');
  t.equal(await s.count('solo'), 1);
  s.release(1);
  await new Promise((r) => setTimeout(r, 100));
  t.equal(await s.count('solo'), 0, 'released');
});

t.test('the local throttle is fed and consulted whatever Redis says; reload reaches both', async (t) => {
  const redis = await startRedis(t);
  const { s, local } = await state(t, redis, 'local');
  for (let i = 0; i < 3; i++) s.fail('10.0.0.1', 'x');
  t.ok(local.lockedFor('10.0.0.1', 'x') > 0, 'the local throttle counted');
  t.ok(await s.lockedFor('10.0.0.1', 'y') as number > 0, 'locked');
  s.configure({ ...LIMITS, maxfailures: 0 });
  t.equal(await s.lockedFor('10.0.0.1', 'y'), 0, 'maxfailures 0 after a reload: off in both');
});

t.test('Redis down: local falls back, refuse answers unavailable; one warning per outage', async (t) => {
  const redis = await startRedis(t);
  const a = await state(t, redis, 'local');
  const b = await state(t, redis, 'refuse');
  await redis.stop();
  await waitUntil(() => a.s.redis === 'down' && b.s.redis === 'down', 5000, 'down');
  t.equal(await a.s.lockedFor('10.0.0.1', 'x'), 0);
  t.equal(await a.s.acquire(1, user('solo'), 1), 'ok', 'local count 0 < 1');
  t.equal(await a.s.count('solo'), 0, 'the local count');
  t.equal(await b.s.lockedFor('10.0.0.1', 'x'), 'unavailable');
  t.equal(await b.s.acquire(1, user('solo'), 1), 'unavailable');
  t.equal(b.s.heldCount, 0, 'nothing held for a refused login');
  t.same(b.s.readiness(), { ready: false, redis: 'down' });
  t.same(a.s.readiness(), { ready: true, redis: 'down' });
  const warns = (l: typeof a.log) => l.lines().filter((x) => String(x['msg']).startsWith('redis unavailable')).length;
  t.equal(warns(a.log), 1);
  t.equal(warns(b.log), 1);
  await t.rejects(a.s.sessions(), 'the list cannot be read');
});
