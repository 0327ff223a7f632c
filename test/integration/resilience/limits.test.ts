// Upstream readiness, outage bounds and limits through the real proxy over
// sockets (issue 6 item 2): actions wait for FullyBooted after a reconnect and
// upstreams[].boottimeout bounds that wait; general.upstreamwait expires while
// the upstream stays down; general.maxconnections caps the total; a hung
// upstream makes upstreams[].maxpendingactions refuse and general.actiontimeout
// answer; reconnect attempts to a dead upstream back off; and
// general.maxlinebytes / maxheaders lower the request limits.

import net from 'node:net';
import t from 'tap';
import { startProxy, waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const ADMIN = { ops: { secret: 'pw', read: 'all', write: 'all' } };

async function client(t: Parameters<typeof startProxy>[0], port: number, user = 'ops', secret = 'pw') {
  const c = await TestClient.connect({ port });
  t.teardown(() => c.close());
  const r = await c.login(user, secret);
  t.equal(r.get('Message'), 'Authentication accepted', `${user} logs in`);
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('after a reconnect, an action is held until FullyBooted arrives', async (t) => {
  const BOOT = 2500;
  const h = await startProxy(t, {
    users: ADMIN,
    sim: { fullyBootedDelayMs: BOOT },
    general: { upstreamwait: 8000 },
    upstream: { keepalive: 0, boottimeout: 20000 },
  });
  const c = await client(t, h.port);
  const killed = h.sim.kill(50);
  await waitUntil(() => !h.proxy.cluster.isReady('pbx1'), 3000, 'down');
  await killed;
  const listening = Date.now();
  const sent = Date.now();
  const r = await c.action([['Action', 'CoreStatus']], { id: 'held', ms: 10_000 });
  const answered = Date.now();
  t.equal(r.get('Response'), 'Success', 'answered once the server is fully booted');
  const upstreamLogin = h.sim.received.find((a) => a.action.toLowerCase() === 'login' && a.at >= listening);
  const forwarded = h.sim.received.find((a) => a.action.toLowerCase() === 'corestatus');
  t.ok(upstreamLogin, 'amigate logged in again after the kill');
  t.ok(upstreamLogin!.at - listening < BOOT - 500, `it logged in well before FullyBooted (${upstreamLogin!.at - listening} ms after the restart)`);
  t.ok(forwarded!.at - listening >= BOOT - 100, `the action reached Asterisk only after FullyBooted (${forwarded!.at - listening} ms after the restart, FullyBooted at ${BOOT})`);
  t.ok(answered - sent >= BOOT - 300, `the client waited for it (${answered - sent} ms)`);
});

t.test('upstreams[].boottimeout: without FullyBooted the server takes actions after the bound', async (t) => {
  const started = Date.now();
  const h = await startProxy(t, {
    users: ADMIN,
    sim: { fullyBootedDelayMs: 60_000 },
    upstream: { keepalive: 0, boottimeout: 1000 },
  });
  const took = Date.now() - started;
  t.ok(took >= 900, `not ready before the bound (${took} ms)`);
  t.ok(took < 4500, `ready after it, without FullyBooted (${took} ms)`);
  const c = await client(t, h.port);
  t.equal((await c.action([['Action', 'CoreStatus']])).get('Response'), 'Success');
});

t.test('general.upstreamwait expires while the upstream stays down', async (t) => {
  const WAIT = 1500;
  const h = await startProxy(t, { users: ADMIN, general: { upstreamwait: WAIT }, upstream: { keepalive: 0 } });
  const c = await client(t, h.port);
  void h.sim.kill(60_000); // down for the rest of the test (close() in teardown ends it)
  await waitUntil(() => !h.proxy.cluster.isReady('pbx1'), 3000, 'down');
  const sent = Date.now();
  const r = await c.action([['Action', 'CoreStatus']], { id: 'w', ms: 10_000 });
  const took = Date.now() - sent;
  t.equal(r.toString(), 'Response: Error\r\nActionID: w\r\nMessage: Upstream pbx1 is not available\r\n\r\n');
  t.ok(took >= WAIT - 100 && took < WAIT + 2000, `the error came at about the bound (${took} ms for ${WAIT})`);
  t.notOk(c.closed, 'the session stays');
});

t.test('general.maxconnections caps downstream connections in total', async (t) => {
  const h = await startProxy(t, { users: ADMIN, general: { maxconnections: 3, maxconnectionsperip: 100 }, admin: true });
  const open: TestClient[] = [];
  t.teardown(() => Promise.all(open.map((c) => c.close())));
  for (let i = 0; i < 3; i++) {
    const c = await TestClient.connect({ port: h.port });
    open.push(c);
    await c.waitBanner();
  }
  const extra = net.connect({ port: h.port, host: '127.0.0.1' });
  t.teardown(() => { extra.destroy(); });
  let got = '';
  extra.on('data', (d) => { got += d.toString('latin1'); });
  extra.on('error', () => {});
  await new Promise<void>((resolve) => extra.once('close', () => resolve()));
  t.equal(got, '', 'the fourth connection is closed before the banner');
  const m = await h.proxy.metrics.text();
  t.match(m, /amigate_downstream_connections_rejected_total\{listener="plain",reason="maxconnections"\} 1\b/);
  await open.pop()!.close();
  await waitUntil(() => h.proxy.listeners[0]!.connections < 3, 3000, 'a slot is free');
  const again = await TestClient.connect({ port: h.port });
  open.push(again);
  t.match(await again.waitBanner(), /^Asterisk Call Manager\//, 'a free slot takes a new connection');
});

t.test('a hung upstream: maxpendingactions refuses the excess, actiontimeout answers the rest', async (t) => {
  const h = await startProxy(t, {
    users: ADMIN,
    general: { actiontimeout: 1500 },
    upstream: { keepalive: 0, maxpendingactions: 3 },
    admin: true,
  });
  const clients = await Promise.all([0, 1, 2, 3, 4].map(() => client(t, h.port)));
  h.sim.hang(true);
  const started = Date.now();
  const replies = clients.slice(0, 3).map((c, i) => c.action([['Action', 'CoreStatus']], { id: `held-${i}`, ms: 8000 }));
  await waitUntil(() => h.proxy.cluster.stats().servers[0]!.pending === 3, 3000, 'three actions in flight upstream');
  const refused = await Promise.all(clients.slice(3).map((c, i) => c.action([['Action', 'CoreStatus']], { id: `over-${i}`, ms: 3000 })));
  for (const [i, r] of refused.entries()) {
    t.equal(r.toString(), `Response: Error\r\nActionID: over-${i}\r\nMessage: Too many pending actions\r\n\r\n`, `client ${i + 3} is refused at once`);
  }
  t.ok(Date.now() - started < 1450, 'refused before any timeout');
  const m = await h.proxy.metrics.text();
  t.match(m, /amigate_limit_refusals_total\{limit="upstream-maxpendingactions"\} 2\b/);
  const timedOut = await Promise.all(replies);
  const took = Date.now() - started;
  for (const [i, r] of timedOut.entries()) {
    t.equal(r.get('ActionID'), `held-${i}`);
    t.equal(r.get('Response'), 'Error');
    t.match(r.get('Message') ?? '', /timed out/i, `held-${i} gets the timeout error`);
  }
  t.ok(took >= 1400 && took < 5000, `after general.actiontimeout (${took} ms for 1500)`);
  t.match(await h.proxy.metrics.text(), /amigate_action_timeouts_total 3\b/);
  // The late replies of the timed-out actions reach nobody.
  const marks = clients.map((c) => c.received.length);
  h.sim.hang(false);
  // Asterisk now answers the three; they count against maxpendingactions until then.
  await waitUntil(() => h.proxy.cluster.stats().servers[0]!.pending === 0, 3000, 'the late replies arrived');
  const after = await clients[0]!.action([['Action', 'CoreStatus']], { id: 'after', ms: 5000 });
  t.equal(after.get('Response'), 'Success', 'the session goes on once Asterisk answers again');
  await sleep(100);
  clients.forEach((c, i) => {
    const extra = c.received.slice(marks[i]).filter((x) => x.isResponse && x.get('ActionID') !== 'after');
    t.same(extra.map((x) => x.get('ActionID')), [], `client ${i}: no late reply`);
  });
});

t.test('reconnect attempts to a dead upstream back off', async (t) => {
  const h = await startProxy(t, { users: ADMIN, upstream: { keepalive: 0, connections: 2 } });
  // kill() stops the sim's listener at once; a counting server takes the port
  // and closes every connect, so each attempt is seen and fails.
  void h.sim.kill(60_000);
  const attempts: number[] = [];
  const counter = net.createServer((s) => { attempts.push(Date.now()); s.destroy(); });
  t.teardown(() => new Promise<void>((r) => counter.close(() => r())));
  await new Promise<void>((resolve, reject) => { counter.once('error', reject); counter.listen(h.sim.port, '127.0.0.1', resolve); });
  const start = Date.now();
  await sleep(6000);
  const early = attempts.filter((a) => a - start < 2000).length;
  const late = attempts.filter((a) => a - start >= 3000).length;
  t.comment(`attempts at ms: ${attempts.map((a) => a - start).join(', ')}`);
  // Per connection, delay n is random(0, 100 * 2^n): 5 attempts fit in the first
  // 1.5 s, far fewer in 3-6 s. A fixed 100 ms retry would make ~120 in 6 s.
  t.ok(attempts.length >= 6, `it keeps trying (${attempts.length} attempts in 6 s)`);
  t.ok(attempts.length <= 40, `but not in a tight loop (${attempts.length} in 6 s)`);
  t.ok(early >= 6, `frequent at first (${early} in the first 2 s)`);
  t.ok(late < early, `then rarer: the delays grow (${late} in 3-6 s vs ${early} in 0-2 s)`);
});

t.test('general.maxlinebytes / maxheaders lower the request limits; the session goes on', async (t) => {
  const h = await startProxy(t, { users: ADMIN, general: { maxlinebytes: 256, maxheaders: 16 }, admin: true });
  const c = await client(t, h.port);
  const long = await c.action([['Action', 'Ping'], ['X-Pad', 'p'.repeat(300)]], { id: 'long' });
  t.equal(long.toString(), 'Response: Error\r\nActionID: long\r\nMessage: Failed to parse message: line too long\r\n\r\n', 'a 300-byte line breaks 256');
  const fine = await c.action([['Action', 'Ping'], ['X-Pad', 'p'.repeat(200)]], { id: 'fine' });
  t.equal(fine.get('Response'), 'Success', 'a 200-byte line does not');
  // The ActionID goes first: lines past the limit are dropped, as in Asterisk.
  const mark = c.received.length;
  c.write('Action: Ping\r\nActionID: many\r\n' + Array.from({ length: 20 }, (_, i) => `X-H${i}: v\r\n`).join('') + '\r\n');
  const r = await c.waitFor((x) => x.isResponse && x.get('ActionID') === 'many', 5000, mark);
  t.equal(r.get('Message'), 'Too many lines in message or allocation failure', '21 lines break 16');
  t.equal((await c.action([['Action', 'Ping']])).get('Response'), 'Success', 'the session goes on');
  const m = await h.proxy.metrics.text();
  t.match(m, /amigate_limit_refusals_total\{limit="line-too-long"\} 1\b/);
  t.match(m, /amigate_limit_refusals_total\{limit="too-many-lines"\} 1\b/);
});
