// The Lua-backed pieces of the shared state against a real redis-server:
// the lockout (same rules as auth/login-throttle.ts, counted across callers),
// the session leases (atomic acquire under a limit, release, expiry, renewal
// and re-registration after Redis lost everything) and the session list.

import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { startRedis } from '../../helpers/redis-server.js';
import { captureLogger } from '../../helpers/log-capture.js';
import { RedisLink } from '../../../src/cluster/redis-client.js';
import { SharedThrottle, THROTTLE_SCRIPTS } from '../../../src/cluster/shared-throttle.js';
import { LEASE_SCRIPTS, SessionLeases } from '../../../src/cluster/session-leases.js';
import { ClusterView, VIEW_SCRIPTS, sessionEntry } from '../../../src/cluster/cluster-view.js';
import { waitUntil } from '../../helpers/start-proxy.js';
import type { ClusterConfig } from '../../../src/config/cluster-schema.js';

const CFG = { maxfailures: 3, window: 60, lockout: 300 };

async function link(t: Test, url: string, instance = 'a'): Promise<RedisLink> {
  const cfg: ClusterConfig = { redis: url, password: undefined, prefix: 'test:', instance, leasettl: 30, redisdown: 'local', timeout: 500 };
  const l = new RedisLink(cfg, captureLogger().logger, [...THROTTLE_SCRIPTS, ...LEASE_SCRIPTS, ...VIEW_SCRIPTS]);
  t.teardown(() => l.close(200));
  await l.start(5000);
  t.equal(l.state, 'up');
  return l;
}

t.test('lockout: failures from two instances add up; address and user keys as countsAgainst() says', async (t) => {
  const redis = await startRedis(t);
  const a = new SharedThrottle(await link(t, redis.url, 'a'), 'test:', 'a');
  const b = new SharedThrottle(await link(t, redis.url, 'b'), 'test:', 'b');
  t.equal(await a.lockedFor(CFG, '10.0.0.1', 'alice'), 0);
  t.same(await a.fail(CFG, '10.0.0.1', 'alice'), { ip: false, user: false });
  t.same(await b.fail(CFG, '10.0.0.1'), { ip: false, user: false }, 'address only (an ACL refusal)');
  t.equal(await b.lockedFor(CFG, '10.0.0.9', 'alice'), 0, 'the user has one failure only');
  t.same(await b.fail(CFG, '10.0.0.1', 'bob'), { ip: true, user: false }, 'the third failure of the address, from the other instance, locks it');
  const ms = await a.lockedFor(CFG, '10.0.0.1', 'carol');
  t.ok(ms > 290_000 && ms <= 300_000, `locked for ~300 s on the first instance (${ms})`);
  t.ok(await b.lockedFor(CFG, '10.0.0.1', 'x') > 0, 'and on the second');
  t.equal(await a.lockedFor(CFG, '10.0.0.2', 'carol'), 0, 'another address is not');
  t.ok(await a.lockedFor(CFG, '::ffff:10.0.0.1', 'x') > 0, 'IPv4-mapped is the same address (addressKey)');
  t.same(await a.fail(CFG, '10.0.0.1', 'alice'), { ip: false, user: false }, 'failures while locked do not count');
  t.equal(await a.lockedFor(CFG, '10.0.0.5', 'alice'), 0, 'alice: 1 failure (the one while the address was locked is not counted)');
  // Reload: a shorter lockout applies to the running one.
  t.equal(await a.lockedFor({ ...CFG, lockout: 1 }, '10.0.0.1', 'x') <= 1000, true, 'a shorter lockout applies at once');
  t.equal(await a.lockedFor({ ...CFG, maxfailures: 0 }, '10.0.0.1', 'x'), 0, 'maxfailures 0: no lockout');
  // A good login forgets failures.
  await a.fail(CFG, '10.0.0.3', 'dave');
  await a.fail(CFG, '10.0.0.3', 'dave');
  await a.succeed('10.0.0.3', 'dave');
  t.same(await a.fail(CFG, '10.0.0.3', 'dave'), { ip: false, user: false }, 'counting starts again after a success');
  const raw = new Redis(redis.port, '127.0.0.1');
  t.teardown(() => raw.disconnect());
  t.equal(await raw.zcard('test:fail:ip:10.0.0.3'), 1);
  t.ok((await raw.pttl('test:fail:ip:10.0.0.3')) > 50_000, 'a failure key expires with its window');
  t.ok((await raw.pttl('test:lock:ip:10.0.0.1')) > 0, 'a lock key expires');
});

t.test('leases: atomic acquire under a limit, release, count, expiry, renewal, re-registration', async (t) => {
  const redis = await startRedis(t);
  const la = await link(t, redis.url, 'a');
  const lb = await link(t, redis.url, 'b');
  const a = new SessionLeases(la, 'test:', 'a');
  const b = new SessionLeases(lb, 'test:', 'b');
  const lease = (l: SessionLeases, inst: string, id: number, user = 'Alice') =>
    ({ user, member: l.member(id), info: sessionEntry({ instance: inst, id, user, remote: '127.0.0.1:1', listener: 'plain', transport: 'tcp', since: '2026-01-01T00:00:00.000Z' }) });
  // Two instances race for one place: exactly one wins.
  const race = await Promise.all([a.acquire(lease(a, 'a', 1), 1, 30_000), b.acquire(lease(b, 'b', 1), 1, 30_000)]);
  t.same(race.filter(Boolean).length, 1, 'one of two racing acquires wins');
  t.equal(await a.count('alice'), 1, 'count is case-insensitive');
  const winner = race[0] ? a : b;
  const loser = race[0] ? b : a;
  await winner.release(lease(winner, race[0] ? 'a' : 'b', 1));
  t.equal(await a.count('alice'), 0);
  t.ok(await loser.acquire(lease(loser, 'x', 1), 1, 30_000), 'after release the other gets it');
  t.ok(await a.acquire(lease(a, 'a', 7), 0, 30_000), 'limit 0: no limit');
  t.ok(await a.acquire(lease(a, 'a', 8), 3, 30_000));
  t.notOk(await a.acquire(lease(a, 'a', 9), 3, 30_000), 'maxsessions 3: the fourth is refused');
  // Expiry: a short lease dies unless renewed.
  t.ok(await a.acquire(lease(a, 'a', 20, 'bob'), 1, 1000));
  t.notOk(await b.acquire(lease(b, 'b', 21, 'bob'), 1, 1000), 'held');
  await new Promise((r) => setTimeout(r, 600));
  await a.renew([lease(a, 'a', 20, 'bob')], 1000);
  await new Promise((r) => setTimeout(r, 600));
  t.notOk(await b.acquire(lease(b, 'b', 21, 'bob'), 1, 1000), 'renewed: still held after 1.2 s');
  await new Promise((r) => setTimeout(r, 1100));
  t.ok(await b.acquire(lease(b, 'b', 21, 'bob'), 1, 30_000), 'not renewed: expired');
  // The list.
  const view = new ClusterView(la, 'test:');
  const list = await view.list();
  t.same(list.map((e) => `${e.instance}:${e.id}:${e.user}`).sort(), ['a:7:Alice', 'a:8:Alice', 'b:21:bob', 'x:1:Alice'].sort(), 'every live session, expired ones gone');
  // Redis loses everything (restart): a renewal puts the leases and entries back.
  await redis.restart();
  await waitUntil(() => la.state === 'up', 10_000, 'reconnect');
  t.equal(await a.count('alice'), 0, 'empty after the restart');
  await a.renew([lease(a, 'a', 7), lease(a, 'a', 8)], 30_000);
  t.equal(await a.count('alice'), 2, 'renewal re-registers missing leases');
  t.same((await view.list()).map((e) => e.id), [7, 8], 'and their list entries');
});

t.test('a call with Redis down fails fast', async (t) => {
  const redis = await startRedis(t);
  const l = await link(t, redis.url, 'a');
  const th = new SharedThrottle(l, 'test:', 'a');
  await redis.stop();
  await waitUntil(() => l.state === 'down', 5000, 'down');
  const t0 = Date.now();
  await t.rejects(th.lockedFor(CFG, '10.0.0.1', 'a'));
  t.ok(Date.now() - t0 < 400, 'rejected without waiting for a reconnect');
});

t.test('the ACL user of docs/shared-state.md can do everything amigate does, and only under its prefix', async (t) => {
  const redis = await startRedis(t);
  const admin = new Redis(redis.port, '127.0.0.1');
  t.teardown(() => admin.disconnect());
  await admin.call('ACL', 'SETUSER', 'amigate', 'on', '>long-random-password', '~test:*', '-@all', '+@read', '+@write', '+@scripting', '+ping', '+info', '+client|setname', '+quit', '+time');
  const cfg: ClusterConfig = { redis: `redis://amigate@127.0.0.1:${redis.port}`, password: 'long-random-password', prefix: 'test:', instance: 'a', leasettl: 30, redisdown: 'local', timeout: 500 };
  const l = new RedisLink(cfg, captureLogger().logger, [...THROTTLE_SCRIPTS, ...LEASE_SCRIPTS, ...VIEW_SCRIPTS]);
  t.teardown(() => l.close(200));
  await l.start(5000);
  t.equal(l.state, 'up', 'logged in as the ACL user');
  const th = new SharedThrottle(l, 'test:', 'a');
  await th.fail(CFG, '10.0.0.1', 'u');
  t.equal(await th.lockedFor(CFG, '10.0.0.1', 'u'), 0);
  await th.succeed('10.0.0.1', 'u');
  const leases = new SessionLeases(l, 'test:', 'a');
  const lease = { user: 'u', member: leases.member(1), info: '{}' };
  t.ok(await leases.acquire(lease, 1, 30_000));
  await leases.renew([lease], 30_000);
  t.equal(await leases.count('u'), 1);
  t.equal((await new ClusterView(l, 'test:').list()).length, 1);
  await leases.release(lease);
  await t.rejects(l.client.set('other:key', '1'), /NOPERM/, 'keys outside the prefix are refused');
  const wrong = new RedisLink({ ...cfg, password: 'nope' }, captureLogger().logger, []);
  t.teardown(() => wrong.close(200));
  await wrong.start(1500);
  t.equal(wrong.state, 'down', 'a wrong password never gets up');
});
