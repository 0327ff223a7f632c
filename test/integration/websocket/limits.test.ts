// The WebSocket endpoint's gates and limits (docs/websocket.md), against the
// real proxy over real sockets: cross-site WebSocket hijacking refused by the
// Origin allowlist, the subprotocol requirement, authlimit and per-IP counts as
// on TCP, the pre-auth timeout, the slow-consumer rule, and ping keepalive.

import t from 'tap';
import net from 'node:net';
import { startProxy, waitUntil, type ProxyHarness } from '../../helpers/start-proxy.js';
import { wsConnect } from '../../helpers/ws-client.js';

const USERS = { w: { secret: 'w', read: 'all', write: 'all', writetimeout: 300 } };
const url = (h: ProxyHarness, name = 'web') => `ws://127.0.0.1:${h.portOf(name)}/ws`;

async function rejectedCount(h: ProxyHarness, reason: string): Promise<number> {
  const text = await h.proxy.metrics.registry.metrics();
  const m = new RegExp(`amigate_downstream_connections_rejected_total\\{listener="web",reason="${reason}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

t.test('Origin: only none, the listener\'s own, or a listed one; a forged Origin is refused with 403', async (t) => {
  const h = await startProxy(t, {
    users: USERS,
    listeners: [{ name: 'web', protocol: 'http', websocket: { origins: ['https://ops.example.com'] } }],
  });
  const port = h.portOf('web');
  const ok = async (origin: string | undefined, host?: string) => {
    const c = await wsConnect(t, url(h), { ...(origin !== undefined ? { origin } : {}), ...(host ? { headers: { host } } : {}) });
    c.ws.terminate();
  };
  await ok(undefined);
  await ok(`http://127.0.0.1:${port}`);
  await ok('https://OPS.example.com:443');
  await t.rejects(wsConnect(t, url(h), { origin: 'https://evil.example' }), /status 403/, 'a forged Origin');
  await t.rejects(wsConnect(t, url(h), { origin: `https://127.0.0.1:${port}` }), /status 403/, 'the own host with the wrong scheme');
  await t.rejects(wsConnect(t, url(h), { origin: 'null' }), /status 403/, 'the opaque origin');
  await t.rejects(wsConnect(t, url(h), { origin: 'http://ops.example.com' }), /status 403/, 'a listed host with another scheme');
  t.equal(await rejectedCount(h, 'origin'), 4, 'counted');
  const audits = h.logs().filter((l) => l['audit'] === 'connectionRejected' && l['reason'] === 'origin');
  t.equal(audits.length, 4, 'audited');
  t.equal(h.logs().filter((l) => l['audit'] === 'connectionOpened' && l['listener'] === 'web').length, 3, 'a session for each accepted handshake, none for a refused one');
});

t.test('no known subprotocol: 400', async (t) => {
  const h = await startProxy(t, { users: USERS, listeners: [{ name: 'web', protocol: 'http' }] });
  await t.rejects(wsConnect(t, url(h), { protocols: [] }), /status 400/);
  await t.rejects(wsConnect(t, url(h), { protocols: 'mqtt' }), /status 400/);
  t.equal(await rejectedCount(h, 'subprotocol'), 2);
});

t.test('authlimit counts unauthenticated WebSocket sessions (503 past it); maxconnectionsperip counts their sockets', async (t) => {
  const h = await startProxy(t, {
    users: USERS, general: { authlimit: 1, maxconnectionsperip: 3 },
    listeners: [{ name: 'web', protocol: 'http' }],
  });
  const first = await wsConnect(t, url(h));
  await first.waitFor(() => true);
  await t.rejects(wsConnect(t, url(h)), /status 503/, 'a second unauthenticated session');
  t.equal(await rejectedCount(h, 'authlimit'), 1);
  first.send('Action: Login\r\nUsername: w\r\nSecret: w\r\n\r\n');
  await first.waitFor((f) => f.includes('Authentication accepted'));
  const second = await wsConnect(t, url(h));
  await second.waitFor(() => true);
  second.send('Action: Login\r\nUsername: w\r\nSecret: w\r\n\r\n');
  await second.waitFor((f) => f.includes('Authentication accepted'));
  const third = await wsConnect(t, url(h));
  await third.waitFor(() => true);
  // Three sockets from 127.0.0.1 are open: a fourth TCP connection is closed at accept.
  const closed = await new Promise<boolean>((resolve) => {
    const s = net.connect({ port: h.portOf('web'), host: '127.0.0.1' });
    s.on('error', () => resolve(true));
    s.on('close', () => resolve(true));
    setTimeout(() => { s.destroy(); resolve(false); }, 3000).unref();
  });
  t.ok(closed, 'the fourth connection from the same address is refused');
  t.equal(await rejectedCount(h, 'maxconnectionsperip'), 1);
});

t.test('authtimeout closes a WebSocket that does not log in', async (t) => {
  const h = await startProxy(t, { users: USERS, general: { authtimeout: 1 }, listeners: [{ name: 'web', protocol: 'http' }] });
  const c = await wsConnect(t, url(h));
  await c.waitFor(() => true);
  const started = Date.now();
  await c.closed(5000);
  t.ok(Date.now() - started >= 500, 'not before the timeout');
  await waitUntil(() => h.logs().some((l) => l['audit'] === 'sessionClosed' && l['cause'] === 'auth-timeout'), 3000, 'the audit record');
});

t.test('a tab that stops reading is dropped after writetimeout and counted; the other tab gets every event', async (t) => {
  const h = await startProxy(t, {
    users: USERS, general: { maxqueuebytes: 256 * 1048576 },
    listeners: [{ name: 'web', protocol: 'http' }],
  });
  const login = async (protocols: string) => {
    const c = await wsConnect(t, url(h), { protocols });
    await c.waitFor(() => true);
    c.action({ Action: 'Login', Username: 'w', Secret: 'w' });
    await c.waitFor((f) => f.includes('Authentication accepted'));
    return c;
  };
  const fast = await login('ami-json');
  const slow = await login('ami-json');
  slow.ws.pause(); // reads nothing more: the server's socket fills
  const payload = 'x'.repeat(4000);
  let sent = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < 50; i++) h.sim.emitEvent('Bulk', 'user', [['N', String(sent++)], ['Payload', payload]]);
  }, 5);
  t.teardown(() => clearInterval(timer));
  await waitUntil(() => h.proxy.fanout.size === 1, 15000, 'the slow tab to be dropped');
  clearInterval(timer);
  const drop = h.logs().find((l) => l['audit'] === 'slowConsumerDropped');
  t.equal(drop?.['reason'], 'timeout', 'dropped by the writetimeout timer, far under maxqueuebytes');
  t.equal(drop?.['listener'], 'web');
  const metrics = await h.proxy.metrics.registry.metrics();
  t.match(metrics, /\namigate_slow_consumers_dropped_total 1\n/);
  const total = sent;
  await waitUntil(() => fast.frames.filter((f) => f.includes('"Bulk"')).length === total, 15000, 'the fast tab to get everything');
  const ns = fast.json().filter((p) => p.headers?.['Event'] === 'Bulk').map((p) => Number(p.headers!['N']));
  t.same(ns, Array.from({ length: total }, (_, i) => i), `the fast tab got all ${total} events, in order`);
});

t.test('ping keepalive closes a peer that stopped answering; one that answers stays', async (t) => {
  const h = await startProxy(t, { users: USERS, listeners: [{ name: 'web', protocol: 'http', websocket: { pinginterval: 1 } }] });
  const mute = await wsConnect(t, url(h), { autoPong: false });
  let pings = 0;
  mute.ws.on('ping', () => { pings++; });
  const live = await wsConnect(t, url(h));
  for (const c of [mute, live]) {
    await c.waitFor(() => true);
    c.send('Action: Login\r\nUsername: w\r\nSecret: w\r\n\r\n');
    await c.waitFor((f) => f.includes('Authentication accepted'));
  }
  await mute.closed(8000);
  t.ok(pings >= 1, `pinged ${pings} time(s) first`);
  await waitUntil(() => h.logs().some((l) => l['audit'] === 'sessionClosed' && l['cause'] === 'ping-timeout'), 3000, 'the audit record');
  t.equal(live.ws.readyState, live.ws.OPEN, 'the answering client is still connected');
  live.send('Action: Ping\r\nActionID: still\r\n\r\n');
  await live.waitFor((f) => f.includes('ActionID: still'));
});
