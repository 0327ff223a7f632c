// AMI over WebSocket (docs/websocket.md) against the real proxy and the
// simulated Asterisk, over real sockets: both framings byte-for-byte against
// TCP, in-band Login with the same users and policy, ami-json's schema and its
// error frames, the close codes, and Logoff.

import t from 'tap';
import { startProxy, waitUntil, type ProxyHarness } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { wsConnect, type WsClient } from '../../helpers/ws-client.js';

const USERS = {
  admin: { secret: 'a', read: 'all', write: 'all' },
  reader: { secret: 'r', read: 'call', write: '' },
};

async function proxy(t: Parameters<typeof startProxy>[0], web: Record<string, unknown> = {}, general: Record<string, unknown> = {}): Promise<ProxyHarness> {
  return startProxy(t, { users: USERS, general, listeners: [{ name: 'web', protocol: 'http', ...web }] });
}

const url = (h: ProxyHarness, path = '/ws') => `ws://127.0.0.1:${h.portOf('web')}${path}`;
const frameAfter = (c: WsClient, from: number, pred: (f: string) => boolean) => c.waitFor(pred, 3000, from);

t.test('ami framing: one packet per text frame, byte-identical to TCP', async (t) => {
  const h = await proxy(t);
  const tcp = await TestClient.connect({ port: h.port });
  t.teardown(() => tcp.close());
  const tcpBanner = await tcp.waitBanner();
  await tcp.login('admin', 'a');
  const c = await wsConnect(t, url(h), { protocols: 'ami' });
  t.equal(c.ws.protocol, 'ami');
  const banner = await c.waitFor(() => true);
  t.equal(banner, tcpBanner + '\r\n', 'the banner frame is the TCP greeting line');

  c.send('Action: Login\r\nUsername: admin\r\nSecret: a\r\nActionID: l1\r\n\r\n');
  t.equal(await c.waitFor((f) => f.includes('ActionID: l1')), 'Response: Success\r\nActionID: l1\r\nMessage: Authentication accepted\r\n\r\n');

  // A frame without its blank line is still one packet.
  const n = c.frames.length;
  c.send('Action: Ping\r\nActionID: p1');
  const pong = await frameAfter(c, n, (f) => f.includes('ActionID: p1'));
  const tcpPong = (await tcp.action([['Action', 'Ping']], { id: 'p1' })).toString();
  t.equal(pong.replace(/Timestamp: [0-9.]+/, 'T'), tcpPong.replace(/Timestamp: [0-9.]+/, 'T'), 'Pong as on TCP');

  // A broadcast event: the frame is exactly what the TCP client reads.
  const mark = tcp.received.length;
  // The sim writes header text as bytes (latin1): 'Zo\xc3\xab' is the UTF-8 of 'Zoë'; '\xeb' alone is not UTF-8.
  h.sim.emitEvent('Newchannel', 'call', [['Channel', 'PJSIP/100-1'], ['CallerIDName', 'Zo\xc3\xab <b>'], ['Latin1', 'Zo\xeb']]);
  const ev = await frameAfter(c, 0, (f) => f.startsWith('Event: Newchannel'));
  const tcpEv = await tcp.waitFor((m) => m.get('Event') === 'Newchannel', 3000, mark);
  t.equal(ev, tcpEv.toBuffer().toString('utf8'), 'event frame = TCP bytes');
  t.match(ev, /CallerIDName: Zoë <b>\r\n/, 'UTF-8 passes as is');
  t.match(ev, /Latin1: Zo\uFFFD\r\n/, 'a byte that is not UTF-8 becomes U+FFFD (a text frame must be UTF-8)');
});

t.test('ami-json: banner, login, responses, list items and events are told apart by type', async (t) => {
  const h = await proxy(t);
  const c = await wsConnect(t, url(h), { protocols: ['ami-json', 'ami'] });
  t.equal(c.ws.protocol, 'ami-json', "the client's first choice");
  await c.waitFor(() => true);
  t.match(c.json()[0], { type: 'banner', banner: /^Asterisk Call Manager\// });

  c.action({ Action: 'Login', Username: 'admin', Secret: 'a', ActionID: 'l1' });
  await c.waitFor((f) => f.includes('"l1"'));
  t.same(c.json()[1], { type: 'response', headers: { Response: 'Success', ActionID: 'l1', Message: 'Authentication accepted' } });

  // A list: its response, then its items and its end as listitem frames.
  let from = c.frames.length;
  c.action({ Action: 'CoreShowChannels', ActionID: 'c1' });
  await frameAfter(c, from, (f) => f.includes('CoreShowChannelsComplete'));
  const list = c.json().slice(from).filter((p) => p.headers?.['ActionID'] === 'c1');
  t.equal(list[0]!.type, 'response');
  t.ok(list.slice(1).every((p) => p.type === 'listitem'), 'the rest of the list is listitem');
  t.equal(list.at(-1)!.headers!['EventList'], 'Complete');

  // A broadcast event with a repeated header: an array, in order; keys in wire order.
  from = c.frames.length;
  h.sim.emitEvent('VarSet', 'dialplan', [['Variable', 'A=1'], ['Channel', 'PJSIP/1'], ['Variable', 'B=2'], ['__proto__', 'x']]);
  await frameAfter(c, from, (f) => f.includes('VarSet'));
  const ev = c.json().slice(from).find((p) => p.headers?.['Event'] === 'VarSet')!;
  t.equal(ev.type, 'event');
  t.same(Object.keys(ev.headers!), ['Event', 'Privilege', 'Variable', 'Channel', '__proto__']);
  t.same(ev.headers!['Variable'], ['A=1', 'B=2']);
  t.equal(Object.getPrototypeOf(ev.headers), Object.prototype, 'a header named __proto__ is a plain key');

  // Arrays and numbers in an action: repeated headers upstream.
  from = c.frames.length;
  c.action({ Action: 'Ping', ActionID: 7 as unknown as string });
  await frameAfter(c, from, (f) => f.includes('"Pong"'));
  t.match(c.json().at(-1), { type: 'response', headers: { Response: 'Success', Ping: 'Pong', ActionID: '7' } });
});

t.test('ami-json: a bad frame gets an error frame and the session goes on', async (t) => {
  const h = await proxy(t);
  const c = await wsConnect(t, url(h), { protocols: 'ami-json' });
  await c.waitFor(() => true);
  const cases: Array<[string, string]> = [
    ['{not json', 'invalid-json'],
    ['[1,2]', 'invalid-action'],
    ['{"type":"event","headers":{}}', 'invalid-action'],
    ['{"headers":{"Action":{"x":1}}}', 'invalid-action'],
    ['{"headers":{"Action":"Ping\\r\\nAction: Originate"}}', 'invalid-action'],
    ['{"headers":{"Bad:Name":"x"}}', 'invalid-action'],
  ];
  for (const [frame, error] of cases) {
    const from = c.frames.length;
    c.send(frame);
    const got = JSON.parse(await frameAfter(c, from, () => true)) as { type: string; error: string; message: string };
    t.equal(got.type, 'error', frame);
    t.equal(got.error, error, frame);
    t.type(got.message, 'string');
  }
  // Nothing was forwarded or lost: the session still answers, before login as TCP does.
  const from = c.frames.length;
  c.action({ Action: 'Status', ActionID: 's1' });
  await frameAfter(c, from, (f) => f.includes('s1'));
  t.same(c.json().at(-1), { type: 'response', headers: { Response: 'Error', ActionID: 's1', Message: 'Permission denied' } });
  t.equal(h.sim.received.filter((a) => /originate/i.test(a.action)).length, 0, 'no injected action reached Asterisk');
});

t.test('same users and policy as TCP: wrong secret, write classes, Logoff closes with 1000', async (t) => {
  const h = await proxy(t);
  const bad = await wsConnect(t, url(h), { protocols: 'ami-json' });
  await bad.waitFor(() => true);
  bad.action({ Action: 'Login', Username: 'admin', Secret: 'nope' });
  await bad.waitFor((f) => f.includes('Authentication failed'), 5000);
  t.equal((await bad.closed(5000)).code, 1000, 'a failed login closes the session, as on TCP');

  const c = await wsConnect(t, url(h), { protocols: 'ami-json' });
  await c.waitFor(() => true);
  c.action({ Action: 'Login', Username: 'reader', Secret: 'r' });
  await c.waitFor((f) => f.includes('Authentication accepted'));
  let from = c.frames.length;
  c.action({ Action: 'Originate', Channel: 'PJSIP/1', Exten: '1', Context: 'x', Priority: '1', ActionID: 'o1' });
  await frameAfter(c, from, (f) => f.includes('o1'));
  t.same(c.json().at(-1)!.headers, { Response: 'Error', ActionID: 'o1', Message: 'Permission denied' });
  await waitUntil(() => h.logs().some((l) => l['audit'] === 'action' && l['result'] === 'denied' && l['listener'] === 'web'), 3000, 'audit of the denied action');
  from = c.frames.length;
  c.action({ Action: 'Logoff', ActionID: 'bye' });
  await frameAfter(c, from, (f) => f.includes('Goodbye'));
  t.equal((await c.closed()).code, 1000);
  const metrics = await h.proxy.metrics.registry.metrics();
  t.match(metrics, /amigate_actions_total\{[^}]*action="Originate"[^}]*result="denied"[^}]*\} 1/);
});

t.test('close codes: binary frame 1003, message over maxmessagebytes 1009', async (t) => {
  const h = await proxy(t, { websocket: { maxmessagebytes: 2048 } });
  const bin = await wsConnect(t, url(h));
  await bin.waitFor(() => true);
  bin.ws.send(Buffer.from('Action: Ping\r\n\r\n'), { binary: true });
  t.equal((await bin.closed()).code, 1003);
  const big = await wsConnect(t, url(h));
  await big.waitFor(() => true);
  big.send('Action: Ping\r\nX: ' + 'y'.repeat(4096) + '\r\n\r\n');
  t.equal((await big.closed()).code, 1009);
});

t.test('ami framing keeps the TCP request limits: a long line and too many lines get Asterisk\'s errors', async (t) => {
  const h = await proxy(t);
  const c = await wsConnect(t, url(h));
  await c.waitFor(() => true);
  let from = c.frames.length;
  c.send('Action: Ping\r\nActionID: a\r\nX: ' + 'y'.repeat(2000) + '\r\n\r\n');
  t.match(await frameAfter(c, from, () => true), /^Response: Error\r\n(ActionID: a\r\n)?Message: Failed to parse message: line too long\r\n\r\n$/);
  from = c.frames.length;
  c.send('Action: Ping\r\n' + Array.from({ length: 200 }, (_, i) => `H${i}: v`).join('\r\n') + '\r\n\r\n');
  t.equal(await frameAfter(c, from, () => true), 'Response: Error\r\nMessage: Too many lines in message or allocation failure\r\n\r\n');
});

t.test('the endpoint path is configurable; websocket.enabled: false serves none', async (t) => {
  const h = await startProxy(t, {
    users: USERS,
    listeners: [
      { name: 'web', protocol: 'http', websocket: { path: '/amigate/ami' } },
      { name: 'off', protocol: 'http', websocket: { enabled: false } },
    ],
  });
  const c = await wsConnect(t, url(h, '/amigate/ami?x=1'));
  t.match(await c.waitFor(() => true), /^Asterisk Call Manager/);
  await t.rejects(wsConnect(t, url(h, '/ws')), /status 404/);
  await t.rejects(wsConnect(t, `ws://127.0.0.1:${h.portOf('off')}/ws`), /status 404/);
});

t.test('graceful stop: Event: Shutdown to a system reader, then close 1000', async (t) => {
  const h = await proxy(t);
  const c = await wsConnect(t, url(h), { protocols: 'ami-json' });
  await c.waitFor(() => true);
  c.action({ Action: 'Login', Username: 'admin', Secret: 'a' });
  await c.waitFor((f) => f.includes('Authentication accepted'));
  await h.proxy.close('test-stop');
  const closed = await c.closed(5000);
  t.equal(closed.code, 1000);
  const shutdown = c.json().find((p) => p.headers?.['Event'] === 'Shutdown');
  t.match(shutdown, { type: 'event', headers: { Event: 'Shutdown', Shutdown: 'Cleanly' } }, 'answers nothing: an event');
});
