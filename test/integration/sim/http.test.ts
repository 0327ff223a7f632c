// The simulator's HTTP manager beyond the captures (issue 13's measured facts):
// POST form bodies, waitevent (events only through it, immediate with
// Timeout=0, back as soon as an event is queued, a second wait ends the first
// with an empty 200), Digest (Asterisk's behaviour, weaknesses included), 404.

import t from 'tap';
import http from 'node:http';
import { startSimForTest } from '../../helpers/sim-control.js';
import { digestAuthorization, parseChallenge } from '../../../src/http/digest.js';

interface Res { status: number; headers: http.IncomingHttpHeaders; body: string }

function request(port: number, path: string, o: { method?: string; cookie?: string; body?: string; type?: string; auth?: string } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Connection: 'close' };
    if (o.cookie) headers.Cookie = `mansession_id="${o.cookie}"`;
    if (o.type) headers['Content-Type'] = o.type;
    if (o.auth) headers.Authorization = o.auth;
    const req = http.request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const cookieOf = (r: Res): string => /mansession_id="([0-9a-f]{8})"/.exec(String(r.headers['set-cookie']))![1]!;

t.test('POST takes only a form body; the query is ignored', async (t) => {
  const sim = await startSimForTest(t, { httpPort: 0 });
  const port = sim.httpPort!;
  const login = await request(port, '/rawman?action=ping', { method: 'POST', type: 'application/x-www-form-urlencoded', body: 'action=login&username=admin&secret=adminpw' });
  t.match(login.body, /^Response: Success\r\nMessage: Authentication accepted\r\n/);
  const id = cookieOf(login);
  const json = await request(port, '/rawman?action=ping', { method: 'POST', type: 'application/json', body: 'action=ping', cookie: id });
  t.equal(json.body, 'Response: Error\r\nMessage: Missing action in request\r\n\r\n');
  const repeated = await request(port, '/mxml', { method: 'POST', type: 'application/x-www-form-urlencoded', cookie: id,
    body: 'action=command&command=core+show+uptime' });
  t.match(repeated.body, /output='System uptime: [^']*' output-2='Last reload: /);
  t.equal((await request(port, '/nothing')).status, 404);
});

t.test('waitevent: events only through it, Timeout=0, early return, a second wait ends the first', async (t) => {
  const sim = await startSimForTest(t, { httpPort: 0, httpTimeoutSec: 20 });
  const port = sim.httpPort!;
  const id = cookieOf(await request(port, '/rawman?action=login&username=admin&secret=adminpw'));
  sim.emitEvent('TestQueued', 'call', [['Foo', 'bar']]);
  const ping = await request(port, '/rawman?action=ping', { cookie: id });
  t.notMatch(ping.body, /TestQueued/, 'events never ride on other answers');
  const now = await request(port, '/rawman?action=waitevent&timeout=0&actionid=w1', { cookie: id });
  t.match(now.body, /^Response: Success\r\nActionID: w1\r\nMessage: Waiting for Event completed.\r\n\r\n/);
  t.match(now.body, /Event: TestQueued\r\nPrivilege: call,all\r\nFoo: bar\r\n\r\nEvent: WaitEventComplete\r\nActionID: w1\r\n\r\n$/);
  const empty = await request(port, '/rawman?action=waitevent&timeout=0', { cookie: id });
  t.equal(empty.body, 'Response: Success\r\nMessage: Waiting for Event completed.\r\n\r\nEvent: WaitEventComplete\r\n\r\n');
  // A long wait returns when an event comes, well before its timeout.
  const started = Date.now();
  const waiting = request(port, '/rawman?action=waitevent&timeout=8', { cookie: id });
  setTimeout(() => sim.emitEvent('Later', 'system', []), 200);
  const later = await waiting;
  t.match(later.body, /Event: Later\r\n/);
  t.ok(Date.now() - started < 6000, 'back before the timeout');
  // Superseded: the first wait ends with an empty 200.
  const first = request(port, '/mxml?action=waitevent&timeout=8', { cookie: id });
  await new Promise((r) => setTimeout(r, 200));
  const second = request(port, '/rawman?action=waitevent&timeout=1', { cookie: id });
  const a = await first;
  t.equal(a.status, 200);
  t.equal(a.body, '<ajax-response>\n</ajax-response>\n');
  t.match((await second).body, /WaitEventComplete/);
});

t.test('digest: 401 challenge, success without cookie or Pragma, nc replay gets stale=true (as Asterisk, weaknesses included)', async (t) => {
  const sim = await startSimForTest(t, { httpPort: 0, systemName: 'amiref' });
  const port = sim.httpPort!;
  const uri = '/arawman?action=ping';
  const first = await request(port, uri);
  t.equal(first.status, 401);
  const www = String(first.headers['www-authenticate']);
  t.match(www, /^Digest algorithm=MD5, realm="amiref", nonce="[0-9a-f]{8}", qop="auth", opaque="[0-9a-f]{8}"$/);
  const c = parseChallenge(www);
  const auth = (nc: number, u = uri) => digestAuthorization({ username: 'admin', secret: 'adminpw', realm: 'amiref', nonce: c.get('nonce')!, opaque: c.get('opaque')!, method: 'GET', uri: u, nc, cnonce: 'abc' });
  const ok = await request(port, uri, { auth: auth(1) });
  t.equal(ok.status, 200);
  t.match(ok.body, /^Response: Success\r\nPing: Pong\r\n/);
  t.equal(ok.headers['set-cookie'], undefined);
  t.equal(ok.headers.pragma, undefined);
  // Asterisk's weakness, imitated: a new session starts at nc 0, so nc=1 passes twice.
  t.equal((await request(port, uri, { auth: auth(1) })).status, 200, 'nc=1 accepted twice');
  const replay = await request(port, uri, { auth: auth(1) });
  t.equal(replay.status, 401, 'the third nc=1 is a replay');
  t.match(String(replay.headers['www-authenticate']), /, stale=true$/);
  // Asterisk's weakness, imitated: the digest uri is not compared with the request.
  const c2 = parseChallenge(String(replay.headers['www-authenticate']));
  const other = digestAuthorization({ username: 'admin', secret: 'adminpw', realm: 'amiref', nonce: c2.get('nonce')!, opaque: c2.get('opaque')!, method: 'GET', uri, nc: 1, cnonce: 'abc' });
  const mismatched = await request(port, '/arawman?action=listcommands', { auth: other });
  t.equal(mismatched.status, 200, 'a header computed for ping runs listcommands on the sim, as on Asterisk 22');
});
