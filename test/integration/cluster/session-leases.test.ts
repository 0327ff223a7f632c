// Issue 16: allowmultiplelogin and maxsessions hold across instances. Two
// in-process proxies on one real redis-server: a user that may have one
// session is refused on the other instance (Login and, S10, Challenge, with
// Asterisk's exact reply) and accepted there once the first session logs off;
// maxsessions counts TCP and HTTP sessions of both instances; /sessions on
// either admin server lists every instance's sessions, /readyz shows Redis.

import t from 'tap';
import { startProxy, waitUntil } from '../../helpers/start-proxy.js';
import { startRedis } from '../../helpers/redis-server.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { ACCEPTED, IN_USE, adminGet, attempt, loggedIn } from '../../helpers/cluster.js';

const USERS = {
  solo: { secret: 'pw', read: 'call', allowmultiplelogin: false },
  wall: { secret: 'pw', read: 'call', allowmultiplelogin: true, maxsessions: 3 },
};

t.test('allowmultiplelogin: no across two instances; /sessions and /readyz', async (t) => {
  const redis = await startRedis(t);
  const http = [{ name: 'web', protocol: 'http', bindaddr: '127.0.0.1' }];
  const a = await startProxy(t, { users: USERS, admin: true, listeners: http, cluster: { redis: redis.url, instance: 'a' } });
  const b = await startProxy(t, { users: USERS, admin: true, cluster: { redis: redis.url, instance: 'b' } });

  const first = await loggedIn(a.port, 'solo', 'pw');
  t.equal(await attempt(b.port, 'solo', 'pw'), IN_USE, 'the other instance refuses a second session');
  t.equal(await attempt(b.port, 'SOLO', 'pw'), IN_USE, 'names are case-insensitive there too');
  // S10: Challenge already answers Login Already In Use.
  const ch = await TestClient.connect({ port: b.port });
  await ch.waitBanner();
  ch.write('Action: Challenge\r\nActionID: C\r\nAuthType: MD5\r\nUsername: solo\r\n\r\n');
  t.equal((await ch.waitFor((m) => m.isResponse, 5000)).toString(), 'Response: Error\r\nActionID: C\r\nMessage: Login Already In Use\r\n\r\n', 'Challenge on the other instance');
  await ch.closedPromise;
  const reasons = b.logs().filter((l) => l['audit'] === 'loginFailed').map((l) => l['reason']);
  t.same(reasons, ['session-limit', 'session-limit']);

  // The cluster view, from either admin server.
  for (const h of [a, b]) {
    const r = await adminGet(h.proxy.adminPort!, '/sessions');
    t.equal(r.status, 200);
    t.match(r.body, { redis: 'up', sessions: [{ instance: 'a', user: 'solo', listener: 'plain', transport: 'tcp' }] });
    t.equal((r.body as { sessions: unknown[] }).sessions.length, 1);
  }
  const ready = await adminGet(b.proxy.adminPort!, '/readyz');
  t.equal(ready.status, 200);
  t.match(ready.body, { ready: true, redis: 'up' });

  // Logoff on the first instance frees the place on the second.
  await first.action([['Action', 'Logoff']]);
  await first.closedPromise;
  await waitUntil(() => a.proxy.shared!.heldCount === 0, 5000, 'lease released');
  const second = await loggedIn(b.port, 'solo', 'pw');
  t.equal(await attempt(a.port, 'solo', 'pw'), IN_USE, 'and now the first instance refuses');
  await second.close();

  // maxsessions 3 counts both instances and both transports (an HTTP session too).
  const w1 = await loggedIn(a.port, 'wall', 'pw');
  const w2 = await loggedIn(b.port, 'wall', 'pw');
  const res = await fetch(`http://127.0.0.1:${a.portOf('web')}/rawman?action=login&username=wall&secret=pw`);
  t.match(await res.text(), /Authentication accepted/, 'third session: AMI over HTTP');
  t.equal(await attempt(b.port, 'wall', 'pw'), IN_USE, 'the fourth, on the other instance, is refused');
  const list = (await adminGet(b.proxy.adminPort!, '/sessions')).body as { sessions: Array<{ user: string; transport: string; instance: string }> };
  t.same(list.sessions.filter((s) => s.user === 'wall').map((s) => `${s.instance}/${s.transport}`).sort(), ['a/http', 'a/tcp', 'b/tcp']);
  await w1.close();
  await waitUntil(() => a.proxy.shared!.heldCount === 1, 5000, 'w1 released');
  t.match(await attempt(b.port, 'wall', 'pw'), ACCEPTED, 'a place is free again');
  await w2.close();
});

t.test('two instances racing for one place: exactly one session', async (t) => {
  const redis = await startRedis(t);
  const a = await startProxy(t, { users: USERS, cluster: { redis: redis.url, instance: 'a' } });
  const b = await startProxy(t, { users: USERS, cluster: { redis: redis.url, instance: 'b' } });
  // Warm the repeated-login fast path so both logins reach the lease at about the same time.
  const warm = await loggedIn(a.port, 'solo', 'pw');
  await warm.close();
  await waitUntil(() => a.proxy.shared!.heldCount === 0, 5000, 'released');
  const warmB = await loggedIn(b.port, 'solo', 'pw');
  await warmB.close();
  await waitUntil(() => b.proxy.shared!.heldCount === 0, 5000, 'released');
  for (let round = 0; round < 5; round++) {
    // Every connection stays open until all have their answer: the winner's session must not end before the others ask.
    const clients = await Promise.all([a.port, b.port, a.port, b.port].map((port) => TestClient.connect({ port })));
    await Promise.all(clients.map((c) => c.waitBanner()));
    for (const c of clients) c.write('Action: Login\r\nActionID: L\r\nUsername: solo\r\nSecret: pw\r\n\r\n');
    const replies = await Promise.all(clients.map(async (c) => (await c.waitFor((m) => m.isResponse, 15_000)).toString()));
    await Promise.all(clients.map((c) => c.close()));
    t.equal(replies.filter((r) => ACCEPTED.test(r)).length, 1, `round ${round}: one of four concurrent logins wins`);
    t.equal(replies.filter((r) => r === IN_USE).length, 3);
    await waitUntil(() => a.proxy.shared!.heldCount + b.proxy.shared!.heldCount === 0, 5000, 'released');
  }
});

t.test('without cluster: nothing changes (no /sessions, no redis in /readyz, no cluster metrics)', async (t) => {
  const h = await startProxy(t, { users: USERS, admin: true });
  t.equal(h.proxy.shared, undefined);
  t.equal((await adminGet(h.proxy.adminPort!, '/sessions')).status, 404);
  const ready = await adminGet(h.proxy.adminPort!, '/readyz');
  t.equal(ready.status, 200);
  t.notOk('redis' in (ready.body as object));
  t.notMatch((await adminGet(h.proxy.adminPort!, '/metrics')).text, /amigate_cluster_/);
  const first = await loggedIn(h.port, 'solo', 'pw');
  t.equal(await attempt(h.port, 'solo', 'pw'), IN_USE, 'the local limit as before');
  await first.close();
});
