// Events over HTTP: action=waitevent is the only way an HTTP session gets
// events (queued from login, never riding on another answer), exactly the
// events its user may read (read classes, eventfilter), with Asterisk 22's
// timing (returns as soon as one is queued, Timeout capped at httptimeout - 10,
// Timeout 0 at once, a second waitevent ends the first with an empty 200),
// a bounded queue with drop accounting, and a long poll that holds nothing
// once its client is gone.

import t, { type Test } from 'tap';
import net from 'node:net';
import { startProxy, type ProxyHarness } from '../../helpers/start-proxy.js';
import { HttpAmiClient, rawmanMessages } from '../../helpers/http-ami-client.js';
import { httpGet } from '../../helpers/http-get.js';

const USERS = {
  calls: { secret: 'c', read: 'call', write: 'all' },
  nohangup: { secret: 'n', read: 'all', write: 'all', eventfilter: ['!Event: Hangup'] },
  ops: { secret: 'o', read: 'all', write: 'all' },
};

async function web(t: Test, more: Record<string, unknown> = {}, general: Record<string, unknown> = {}): Promise<ProxyHarness> {
  return startProxy(t, { users: USERS, admin: true, general, listeners: [{ name: 'web', protocol: 'http', ...more }] });
}

async function loggedIn(h: ProxyHarness, user: keyof typeof USERS): Promise<HttpAmiClient> {
  const c = new HttpAmiClient({ port: h.portOf('web') });
  const r = await c.login(user, USERS[user].secret);
  if (!r.body.includes('Authentication accepted')) throw new Error('login failed: ' + r.body);
  return c;
}

/** Event names of a waitevent answer, between the response and WaitEventComplete. */
function eventNames(body: string): string[] {
  const msgs = rawmanMessages(body);
  return msgs.filter((m) => m.has('Event') && m.get('Event') !== 'WaitEventComplete').map((m) => m.get('Event')!);
}

/** Poll until `n` events arrived (bounded), then once more with timeout=0 to prove there are no more. */
async function collect(c: HttpAmiClient, n: number): Promise<string[]> {
  const got: string[] = [];
  for (let i = 0; i < 20 && got.length < n; i++) got.push(...eventNames((await c.get('/rawman', { action: 'waitevent', timeout: '5' })).body));
  await new Promise((r) => setTimeout(r, 200));
  got.push(...eventNames((await c.get('/rawman', { action: 'waitevent', timeout: '0' })).body));
  return got;
}

function emitFive(h: ProxyHarness): void {
  h.sim.emitEvent('Newchannel', 'call', [['Channel', 'PJSIP/1-1']]);
  h.sim.emitEvent('VarSet', 'dialplan', [['Variable', 'X']]);
  h.sim.emitEvent('UserEvent', 'user', [['UserEvent', 'Test']]);
  h.sim.emitEvent('Hangup', 'call', [['Channel', 'PJSIP/1-1']]);
  h.sim.emitEvent('Reload', 'system', [['Module', 'All']]);
}

t.test('waitevent delivers exactly the events the user may read, only through waitevent', async (t) => {
  const h = await web(t);
  const calls = await loggedIn(h, 'calls');
  const nohangup = await loggedIn(h, 'nohangup');
  emitFive(h);
  await new Promise((r) => setTimeout(r, 300));
  const ping = await calls.get('/rawman', { action: 'ping', actionid: 'p1' });
  t.same(rawmanMessages(ping.body).map((m) => m.get('Response') ?? m.get('Event')), ['Success'], 'no event rides on the answer to another action');
  t.equal(ping.headers['pragma'], 'SuppressEvents');
  t.same(await collect(calls, 2), ['Newchannel', 'Hangup'], 'read: call sees the call class only, in order');
  t.same(await collect(nohangup, 4), ['Newchannel', 'VarSet', 'UserEvent', 'Reload'], 'eventfilter !Event: Hangup applies');
  const w = await calls.get('/rawman', { action: 'waitevent', timeout: '0', actionid: 'w1' });
  t.equal(w.body, 'Response: Success\r\nActionID: w1\r\nMessage: Waiting for Event completed.\r\n\r\nEvent: WaitEventComplete\r\nActionID: w1\r\n\r\n', 'an empty poll, as Asterisk writes it');
});

t.test('waitevent timing: at once with timeout=0, as soon as an event is queued, capped at httptimeout - 10', async (t) => {
  const h = await web(t, { httptimeout: 12 });
  const c = await loggedIn(h, 'ops');
  const zero = await c.get('/rawman', { action: 'waitevent', timeout: '0' });
  t.ok(zero.ms < 900, `timeout=0 answers at once (${zero.ms} ms)`);
  const capped = await c.get('/rawman', { action: 'waitevent', timeout: '300' });
  t.ok(capped.ms >= 1800 && capped.ms < 8000, `timeout=300 is capped at 12 - 10 = 2 s (${capped.ms} ms)`);
  t.match(capped.body, /Message: Waiting for Event completed\.\r\n\r\nEvent: WaitEventComplete\r\n/);
  const missing = await c.get('/rawman', { action: 'waitevent' });
  t.ok(missing.ms >= 1800 && missing.ms < 8000, `no timeout waits the cap too (${missing.ms} ms)`);

  const early = c.get('/rawman', { action: 'waitevent', timeout: '2' });
  setTimeout(() => h.sim.emitEvent('UserEvent', 'user', [['UserEvent', 'Soon']]), 300);
  const e = await early;
  t.same(eventNames(e.body), ['UserEvent'], 'the event is delivered');
  t.ok(e.ms < 1800, `returned as soon as the event was queued (${e.ms} ms)`);
});

t.test('a second waitevent ends the first with an empty 200; another action ends it early', async (t) => {
  const h = await web(t);
  const c = await loggedIn(h, 'ops');
  for (const [path, empty] of [['/rawman', ''], ['/mxml', '<ajax-response>\n</ajax-response>\n']] as const) {
    const first = c.get(path, { action: 'waitevent', timeout: '30' });
    await new Promise((r) => setTimeout(r, 300));
    const second = c.get(path, { action: 'waitevent', timeout: '0' });
    const a = await first;
    t.equal(a.status, 200);
    t.equal(a.body, empty, `${path}: the superseded waitevent gets an empty answer`);
    t.ok(a.ms < 5000, `${path}: at once (${a.ms} ms)`);
    t.match((await second).body, /WaitEventComplete/i);
  }
  const waiting = c.get('/rawman', { action: 'waitevent', timeout: '30' });
  await new Promise((r) => setTimeout(r, 300));
  const ping = await c.get('/rawman', { action: 'ping' });
  t.match(ping.body, /^Response: Success\r\nPing: Pong\r\n/);
  const w = await waiting;
  t.ok(w.ms < 5000, `the pending waitevent answered early (${w.ms} ms)`);
  t.match(w.body, /Event: WaitEventComplete/);
});

t.test('the queue of a session is bounded: the oldest events are dropped and counted', async (t) => {
  const h = await web(t, {}, { maxqueuebytes: 1024 });
  const c = await loggedIn(h, 'ops');
  for (let i = 0; i < 40; i++) h.sim.emitEvent('UserEvent', 'user', [['UserEvent', `N${i}`], ['Pad', 'x'.repeat(40)]]);
  await new Promise((r) => setTimeout(r, 500));
  const w = await c.get('/rawman', { action: 'waitevent', timeout: '0' });
  const names = rawmanMessages(w.body).filter((m) => m.get('Event') === 'UserEvent').map((m) => m.get('UserEvent'));
  t.ok(names.length > 0 && names.length < 40, `some events kept (${names.length})`);
  t.equal(names[names.length - 1], 'N39', 'the newest is kept');
  t.notOk(names.includes('N0'), 'the oldest went');
  t.ok(Buffer.byteLength(w.body) < 1024 + 200, 'what is kept fits maxqueuebytes');
  const m = (await httpGet(h.proxy.adminPort!, '/metrics')).body;
  const dropped = Number(/^amigate_events_dropped_total\{reason="queue-full"\} (\d+)$/m.exec(m)?.[1]);
  t.equal(dropped, 40 - names.length, 'every dropped event is counted');
});

t.test('an abandoned long poll holds nothing: the session answers the next request at once', async (t) => {
  const h = await web(t);
  const c = await loggedIn(h, 'ops');
  const s = net.connect(h.portOf('web'), '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  s.write(`GET /rawman?action=waitevent&timeout=50 HTTP/1.1\r\nHost: x\r\nCookie: mansession_id="${c.cookie}"\r\n\r\n`);
  await new Promise((r) => setTimeout(r, 300));
  s.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const ping = await c.get('/rawman', { action: 'ping' });
  t.match(ping.body, /Ping: Pong/);
  t.ok(ping.ms < 2000, `not queued behind the abandoned poll (${ping.ms} ms)`);
  const w = await c.get('/rawman', { action: 'waitevent', timeout: '0' });
  t.ok(w.ms < 2000, `a new waitevent is not blocked either (${w.ms} ms)`);
  h.sim.emitEvent('UserEvent', 'user', [['UserEvent', 'After']]);
  t.same(await collect(c, 1), ['UserEvent'], 'events still queue for the session');
});
