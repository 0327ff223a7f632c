// Upstream failures through the real proxy (issue 6 items 1-2): an upstream
// that drops, hangs or restarts; in-flight actions always end with an error
// carrying the client's ActionID; nothing is re-sent; sessions stay; the
// outage policy (general.upstreamwait); outage events; several servers with
// Server: routing, per-user binding, event tagging and failover.

import t from 'tap';
import { startProxy, waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const LOST = 'Upstream connection lost';

async function client(t: Parameters<typeof startProxy>[0], port: number, user: string, secret = 'pw') {
  const c = await TestClient.connect({ port });
  t.teardown(() => c.close());
  const r = await c.login(user, secret);
  t.equal(r.get('Message'), 'Authentication accepted', `${user} logs in`);
  return c;
}

t.test('a drop mid-action: error with the ActionID, no re-send, the session stays', async (t) => {
  const h = await startProxy(t, { users: { ops: { secret: 'pw', read: 'all', write: 'all' } }, upstream: { keepalive: 0 } });
  const c = await client(t, h.port, 'ops');
  h.sim.hang(true);
  const pending = [
    c.action([['Action', 'CoreStatus']], { id: 'cs-1', ms: 8000 }),
  ];
  // A second client's Originate is in flight too; it must never be re-sent.
  const d = await client(t, h.port, 'ops');
  pending.push(d.action([['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Context', 'test'], ['Exten', '100'], ['Priority', '1'], ['X-Probe', 'no-resend']], { id: 'or-1', ms: 8000 }));
  await new Promise((r) => setTimeout(r, 100));
  h.sim.dropConnections();
  h.sim.hang(false);
  const [r1, r2] = await Promise.all(pending);
  t.equal(r1!.toString(), `Response: Error\r\nActionID: cs-1\r\nMessage: ${LOST}\r\n\r\n`);
  t.equal(r2!.toString(), `Response: Error\r\nActionID: or-1\r\nMessage: ${LOST}\r\n\r\n`);
  t.notOk(c.closed || d.closed, 'sessions stay connected');
  await waitUntil(() => h.proxy.cluster.isReady('pbx1'), 5000, 'reconnected');
  const after = await c.action([['Action', 'CoreStatus']], { id: 'cs-2' });
  t.equal(after.get('Response'), 'Success', 'the next action works after the reconnect');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(h.sim.received.filter((x) => x.msg.get('X-Probe') === 'no-resend').length, 0, 'the Originate was not re-sent');
  const audited = h.logs().filter((l) => l['audit'] === 'action' && l['result'] === 'upstream-lost');
  t.equal(audited.length, 2, 'audited as upstream-lost');
});

t.test('a hung upstream: keepalive declares it dead, in-flight actions end', async (t) => {
  const h = await startProxy(t, { users: { ops: { secret: 'pw', read: 'all', write: 'all' } }, upstream: { keepalive: 1, keepalivemisses: 2 } });
  const c = await client(t, h.port, 'ops');
  h.sim.hang(true);
  const started = Date.now();
  const r = await c.action([['Action', 'CoreStatus']], { id: 'hung', ms: 10000 });
  t.equal(r.get('ActionID'), 'hung');
  t.equal(r.get('Response'), 'Error');
  t.equal(r.get('Message'), LOST);
  t.ok(Date.now() - started < 6000, `within keepalive x misses (+ slack): ${Date.now() - started} ms`);
  h.sim.hang(false);
  await waitUntil(() => h.proxy.cluster.isReady('pbx1'), 8000, 'back');
  t.equal((await c.action([['Action', 'CoreStatus']], { id: 'ok' })).get('Response'), 'Success');
});

for (const wait of [0, 4000]) {
  t.test(`an outage with upstreamwait ${wait}`, async (t) => {
    const h = await startProxy(t, {
      users: { ops: { secret: 'pw', read: 'all', write: 'all' }, caller: { secret: 'pw', read: 'call', write: 'all' } },
      general: { upstreamwait: wait }, upstream: { keepalive: 0 },
    });
    const c = await client(t, h.port, 'ops');
    const callOnly = await client(t, h.port, 'caller');
    const mark = c.received.length;
    const restarted = h.sim.restart(1200);
    await waitUntil(() => !h.proxy.cluster.isReady('pbx1'), 3000, 'down');
    const down = await c.waitFor((m) => m.get('Event') === 'AmigateUpstreamDown', 3000, mark);
    t.equal(down.toString(), 'Event: AmigateUpstreamDown\r\nPrivilege: system,all\r\nServer: pbx1\r\n\r\n', 'system readers are told');
    const started = Date.now();
    const r = await c.action([['Action', 'CoreStatus']], { id: 'during', ms: 8000 });
    if (wait === 0) {
      t.equal(r.toString(), 'Response: Error\r\nActionID: during\r\nMessage: Upstream pbx1 is not available\r\n\r\n', 'an error at once');
      t.ok(Date.now() - started < 2000, 'at once, not after the 4 s bound');
    } else {
      t.equal(r.get('Response'), 'Success', 'held until the server was back, then answered');
    }
    await restarted;
    const up = await c.waitFor((m) => m.get('Event') === 'AmigateUpstreamUp', 5000, mark);
    t.equal(up.get('Server'), 'pbx1');
    t.notOk(c.closed, 'the session stayed through the outage');
    t.equal(callOnly.events('AmigateUpstreamDown').length + callOnly.events('AmigateUpstreamUp').length, 0, 'not sent to a call-only reader');
    // Events resume by themselves.
    const m2 = c.received.length;
    h.sim.emitEvent('AfterOutage', 'call', []);
    await c.waitFor((m) => m.get('Event') === 'AfterOutage', 3000, m2);
  });
}

t.test('several servers: binding, Server: routing (stripped), event tags, failover', async (t) => {
  const h = await startProxy(t, {
    users: {
      both: { secret: 'pw', read: 'all', write: 'all', serverheader: true },
      only2: { secret: 'pw', read: 'all', write: 'all', upstreams: ['pbx2'] },
    },
    moreUpstreams: 1, upstream: { keepalive: 0 },
  });
  const [s1, s2] = h.sims as [typeof h.sim, typeof h.sim];
  const both = await client(t, h.port, 'both');
  const only2 = await client(t, h.port, 'only2');
  const count = (s: typeof s1, probe: string) => s.received.filter((x) => x.msg.get('X-Probe') === probe).length;

  await both.action([['Action', 'CoreStatus'], ['Server', 'pbx2'], ['X-Probe', 'to2']], { id: 'r2' });
  t.equal(count(s2, 'to2'), 1, 'Server: pbx2 goes to pbx2');
  t.equal(count(s1, 'to2'), 0);
  t.notOk(s2.received.find((x) => x.msg.get('X-Probe') === 'to2')!.msg.has('Server'), 'the Server header is stripped');
  await both.action([['Action', 'CoreStatus'], ['Server', 'pbx1'], ['X-Probe', 'to1']], { id: 'r1' });
  t.equal(count(s1, 'to1'), 1, 'Server: pbx1 goes to pbx1');

  const denied = await only2.action([['Action', 'CoreStatus'], ['Server', 'pbx1'], ['X-Probe', 'nope']], { id: 'x' });
  t.match(denied.get('Message'), /^Permission denied/, 'a user bound to pbx2 cannot pick pbx1');
  t.equal(count(s1, 'nope') + count(s2, 'nope'), 0);
  for (let i = 0; i < 4; i++) await only2.action([['Action', 'CoreStatus'], ['X-Probe', 'bound']], { id: `b${i}` });
  t.equal(count(s2, 'bound'), 4, "a bound user's actions all go to its server");

  // Event tags: on for `both`, off (the default) for `only2`; only2 sees only pbx2's events.
  const mb = both.received.length;
  const m2 = only2.received.length;
  s1.emitEvent('Tagged', 'call', [['N', '1']]);
  s2.emitEvent('Tagged', 'call', [['N', '2']]);
  await both.waitFor((m) => m.get('Event') === 'Tagged' && m.get('N') === '2', 3000, mb);
  await both.waitFor((m) => m.get('Event') === 'Tagged' && m.get('N') === '1', 3000, mb);
  await only2.waitFor((m) => m.get('Event') === 'Tagged' && m.get('N') === '2', 3000, m2);
  await new Promise((r) => setTimeout(r, 100));
  const tb = both.received.slice(mb).filter((m) => m.get('Event') === 'Tagged');
  t.same(tb.map((m) => [m.get('N'), m.get('Server')]).sort(), [['1', 'pbx1'], ['2', 'pbx2']], 'serverheader: true tags each event');
  const t2 = only2.received.slice(m2).filter((m) => m.get('Event') === 'Tagged');
  t.same(t2.map((m) => m.get('N')), ['2'], "a bound user sees only its server's events");
  t.notOk(t2[0]!.has('Server'), 'no tag by default');

  // pbx1 goes away: actions that may go anywhere are served by pbx2.
  await s1.close();
  await waitUntil(() => !h.proxy.cluster.isReady('pbx1'), 3000, 'pbx1 down');
  for (let i = 0; i < 3; i++) {
    const r = await both.action([['Action', 'CoreStatus'], ['X-Probe', 'failover']], { id: `f${i}` });
    t.equal(r.get('Response'), 'Success', 'answered by the server that is up');
  }
  t.equal(count(s2, 'failover'), 3);
  const pinned = await both.action([['Action', 'CoreStatus'], ['Server', 'pbx1']], { id: 'pin' });
  t.equal(pinned.get('Response'), 'Error', 'an action pinned to the down server gets an error');
});
