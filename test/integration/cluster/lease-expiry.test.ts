// Issue 16: the session leases of an instance that dies expire. amigate runs
// as a real process (SIGKILL: no chance to give anything back) with leasettl
// 3; an in-process instance on the same redis-server refuses a second session
// of a one-session user right after the kill, and accepts it once the lease
// has run out: not sooner than the renewal interval allows, not later than
// leasettl plus a wide margin.

import t from 'tap';
import { startSim } from '../../../src/sim/server.js';
import { startProxy, UPSTREAM_USER } from '../../helpers/start-proxy.js';
import { startRedis } from '../../helpers/redis-server.js';
import { spawnAmigate } from '../../helpers/spawn-amigate.js';
import { ACCEPTED, IN_USE, attempt, loggedIn } from '../../helpers/cluster.js';

const LEASE_TTL = 3;

/** One instance with the one-session user `solo`, sharing `redisUrl`. */
function instanceYaml(simPort: number, redisUrl: string, instance: string, leasettl: number, extra = ''): string {
  return `
listeners:
  - { name: plain, bindaddr: 127.0.0.1, port: 0 }
upstreams:
  - { name: pbx1, host: 127.0.0.1, port: ${simPort}, username: ${UPSTREAM_USER.name}, secret: ${UPSTREAM_USER.secret} }
users:
  solo: { secret: pw, read: call, allowmultiplelogin: false }
${extra}cluster:
  redis: ${redisUrl}
  instance: ${instance}
  leasettl: ${leasettl}
`;
}

t.test('a killed instance frees its users after leasettl', async (t) => {
  const redis = await startRedis(t);
  const sim = await startSim({ users: [UPSTREAM_USER] });
  t.teardown(() => sim.close());
  const killed = await spawnAmigate(t, instanceYaml(sim.port, redis.url, 'doomed', LEASE_TTL), { name: 'doomed' });
  await killed.logged((l) => l['msg'] === 'redis up: login state is shared', 'redis up');
  const other = await startProxy(t, { users: { solo: { secret: 'pw', read: 'call', allowmultiplelogin: false } }, cluster: { redis: redis.url, instance: 'survivor', leasettl: LEASE_TTL } });

  const held = await loggedIn(killed.portOf('plain'), 'solo', 'pw');
  t.equal(await attempt(other.port, 'solo', 'pw'), IN_USE, 'held by the process');
  // Let at least one renewal happen, so the test shows renewals keep the lease past its first ttl.
  await new Promise((r) => setTimeout(r, LEASE_TTL * 1000 + 500));
  t.equal(await attempt(other.port, 'solo', 'pw'), IN_USE, 'renewed: still held after more than leasettl');

  killed.kill('SIGKILL');
  await killed.exited;
  const killedAt = Date.now();
  await held.closedPromise;
  t.equal(await attempt(other.port, 'solo', 'pw'), IN_USE, 'right after the kill the lease still counts');
  let acceptedAfter: number | undefined;
  for (let i = 0; i < 40 && acceptedAfter === undefined; i++) {
    const r = await attempt(other.port, 'solo', 'pw');
    if (ACCEPTED.test(r)) acceptedAfter = Date.now() - killedAt;
    else t.equal(r, IN_USE);
  }
  t.ok(acceptedAfter !== undefined, 'accepted in the end');
  // Renewed every leasettl/3: at the kill, between 2/3 and all of leasettl was left.
  t.ok(acceptedAfter! >= (LEASE_TTL * 1000 * 2) / 3 - 200, `not before the lease ran out (${acceptedAfter} ms)`);
  t.ok(acceptedAfter! <= LEASE_TTL * 1000 + 6000, `within leasettl plus a margin (${acceptedAfter} ms)`);
});

t.test('a clean stop (SIGTERM) gives its leases back at once', async (t) => {
  const redis = await startRedis(t);
  const sim = await startSim({ users: [UPSTREAM_USER] });
  t.teardown(() => sim.close());
  const stopping = await spawnAmigate(t, instanceYaml(sim.port, redis.url, 'leaving', 600, 'general: { draintimeout: 100 }\n'), { name: 'leaving' });
  await stopping.logged((l) => l['msg'] === 'redis up: login state is shared', 'redis up');
  const other = await startProxy(t, { users: { solo: { secret: 'pw', read: 'call', allowmultiplelogin: false } }, cluster: { redis: redis.url, instance: 'staying' } });
  const held = await loggedIn(stopping.portOf('plain'), 'solo', 'pw');
  t.equal(await attempt(other.port, 'solo', 'pw'), IN_USE);
  stopping.kill('SIGTERM');
  await stopping.exited;
  t.equal(stopping.exitCode, 0, 'stopped cleanly');
  await held.closedPromise;
  t.match(await attempt(other.port, 'solo', 'pw'), ACCEPTED, 'free at once, not after the 600 s lease');
});
