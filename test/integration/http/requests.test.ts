// What amigate does better than Asterisk on HTTP, and how it answers bad
// requests: Secure cookies on HTTPS, secrets never logged even from a URL,
// allowget: false, request limits with clear 4xx pages while AMI-level errors
// keep Asterisk's 200, POST parameters only from a form body, repeated
// parameters kept in order.

import t from 'tap';
import { readFile } from 'node:fs/promises';
import { startProxy } from '../../helpers/start-proxy.js';
import { makeTestCerts } from '../../helpers/certs.js';
import { HttpAmiClient, rawmanMessages } from '../../helpers/http-ami-client.js';
import { rawHttp } from '../../helpers/http-replay.js';

const USERS = { ops: { secret: 'Sup3r-S3cret', read: 'all', write: 'all' } };
const msgOf = (body: string): string | undefined => rawmanMessages(body)[0]?.get('Message');

t.test('HTTPS: the cookie is Secure, HttpOnly, SameSite=Strict and 128 bits', async (t) => {
  const certs = await makeTestCerts(t);
  const h = await startProxy(t, {
    users: USERS,
    listeners: [{ name: 'web', protocol: 'http', tls: { certfile: certs.paths.server, privatekey: certs.paths.serverKey } }],
  });
  const c = new HttpAmiClient({ port: h.portOf('web'), ca: await readFile(certs.paths.ca) });
  const r = await c.login('ops', USERS.ops.secret, true);
  t.equal(msgOf(r.body), 'Authentication accepted');
  t.match(r.headers['set-cookie']?.[0], /^mansession_id="[0-9a-f]{32}"; Version=1; Max-Age=60; HttpOnly; SameSite=Strict; Secure$/);
  t.match((await c.get('/rawman', { action: 'ping' })).body, /Ping: Pong/);
});

t.test('secrets never reach the log, even from a GET query', async (t) => {
  const h = await startProxy(t, { users: USERS, listeners: [{ name: 'web', protocol: 'http' }] });
  const c = new HttpAmiClient({ port: h.portOf('web') });
  t.equal(msgOf((await c.get('/rawman', [['action', 'login'], ['username', 'ops'], ['SECRET', USERS.ops.secret]])).body), 'Authentication accepted');
  const wrong = await new HttpAmiClient({ port: h.portOf('web') }).send('GET', '/rawman?action=login&username=ops&s%65cret=wrong-one-secret', undefined);
  t.equal(msgOf(wrong.body), 'Authentication failed', 's%65cret is Secret');
  await c.get('/rawman', [['action', 'Command'], ['command', 'core show version'], ['key', 'k3y-value']]);
  const raw = h.rawLogs();
  t.notOk(raw.includes(USERS.ops.secret), 'the secret is not logged');
  t.notOk(raw.includes('k3y-value'), 'a key= value is not logged');
  t.notOk(raw.includes('wrong-one-secret'), 'nor a wrong secret');
  t.ok(h.logs().some((l) => l['msg'] === 'http request' && String(l['target']).includes('SECRET=[REDACTED]')), 'the access log keeps the request with the value redacted');
});

t.test('allowget: false refuses state-changing actions through GET with 405; POST works', async (t) => {
  const h = await startProxy(t, { users: USERS, listeners: [{ name: 'web', protocol: 'http', allowget: false }] });
  const c = new HttpAmiClient({ port: h.portOf('web') });
  const get = await c.get('/rawman', { action: 'login', username: 'ops', secret: USERS.ops.secret });
  t.equal(get.status, 405);
  t.match(get.body, /<title>405 Method Not Allowed<\/title>/);
  t.equal(msgOf((await c.login('ops', USERS.ops.secret, true)).body), 'Authentication accepted', 'POST login');
  t.match((await c.get('/rawman', { action: 'ping' })).body, /Ping: Pong/, 'a read-only action through GET');
  t.equal((await c.get('/rawman', { action: 'Originate', channel: 'Local/1@test', application: 'Wait' })).status, 405);
  t.equal((await c.get('/rawman', { action: 'SomeModuleAction' })).status, 405, 'an unknown action counts as state-changing');
  t.match((await c.post('/rawman', { action: 'CoreShowChannels' })).body, /EventList: start/, 'POST is fine');
});

t.test('POST takes parameters only from a form body; repeated parameters keep their order', async (t) => {
  const h = await startProxy(t, { users: USERS, listeners: [{ name: 'web', protocol: 'http' }] });
  const c = new HttpAmiClient({ port: h.portOf('web') });
  await c.login('ops', USERS.ops.secret, true);
  const json = await c.send('POST', '/rawman?action=ping', '{"action":"ping"}', { 'Content-Type': 'application/json' });
  t.equal(json.status, 200);
  t.equal(msgOf(json.body), 'Missing action in request', 'a non-form body gives no parameters, and the query is ignored');
  t.equal(msgOf((await c.send('POST', '/rawman?action=ping', '', { 'Content-Type': 'application/x-www-form-urlencoded' })).body), 'Missing action in request');
  t.match((await c.post('/rawman', 'action=ping&actionid=a+b')).body, /^Response: Success\r\nActionID: a b\r\n/, '+ is a space');
  await c.post('/rawman', 'action=Originate&channel=Local%2F100%40test&application=Wait&data=1&variable=A%3D1&Variable=B%3D2&variable=C%3D3&async=true');
  const sent = h.sim.received.filter((r) => r.action.toLowerCase() === 'originate').at(-1)?.msg;
  t.same(sent?.lines.filter((l) => /^variable:/i.test(l)), ['variable: A=1', 'Variable: B=2', 'variable: C=3'], 'repeats reach Asterisk in order');
  const unknown = await c.get('/rawman', { action: 'NoSuchAction' });
  t.equal(unknown.status, 200, 'an AMI-level error keeps 200');
  t.equal(rawmanMessages(unknown.body)[0]?.get('Response'), 'Error');
});

t.test('malformed or oversized requests get a clear 4xx, never 200', async (t) => {
  const h = await startProxy(t, { users: USERS, listeners: [{ name: 'web', protocol: 'http', maxbodybytes: 1024 }] });
  const port = h.portOf('web');
  const c = new HttpAmiClient({ port });
  const big = await c.post('/rawman', 'action=ping&x=' + 'a'.repeat(2000));
  t.equal(big.status, 413);
  t.match(big.body, /Body too large/);
  t.equal((await c.get('/rawman?action=ping&x=' + 'a'.repeat(5000), {})).status, 414);
  t.equal((await c.get('/rawman', [['action', 'ping'], ['x', 'a\r\nAction: Logoff']])).status, 400, 'CR/LF in a value');
  t.equal((await c.get('/nothing', { action: 'ping' })).status, 404);
  t.equal((await c.send('DELETE', '/rawman', undefined)).status, 501);
  const headers = await rawHttp(port, 'GET /rawman HTTP/1.1\r\nHost: x\r\n' + Array.from({ length: 120 }, (_, i) => `X-H${i}: v\r\n`).join('') + '\r\n');
  t.match(headers.text, /^HTTP\/1\.1 413 Request Entity Too Large\r\n/, 'too many header lines');
  const huge = await rawHttp(port, 'GET /rawman HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'b'.repeat(10000) + '\r\n\r\n');
  t.match(huge.text, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  const cl = await rawHttp(port, 'POST /rawman HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
  t.match(cl.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
});
