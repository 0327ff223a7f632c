// HTTP sessions against the same login rules as TCP sessions: cookie expiry
// (httptimeout) with the expiry audited, allowmultiplelogin and maxsessions
// counted across HTTP and TCP, permit/deny on the real client address, the
// per-listener session bound (503), and HTTP sessions not using up authlimit.

import t from 'tap';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { HttpAmiClient, rawmanMessages } from '../../helpers/http-ami-client.js';

const msgOf = (body: string): string | undefined => rawmanMessages(body)[0]?.get('Message');

t.test('cookie expiry: an idle logged-in session ends after httptimeout, audited; the cookie then gets Permission denied and a new one', async (t) => {
  const h = await startProxy(t, {
    users: { ops: { secret: 'o', read: 'all', write: 'all' } },
    listeners: [{ name: 'web', protocol: 'http', httptimeout: 1 }],
  });
  const c = new HttpAmiClient({ port: h.portOf('web') });
  t.equal(msgOf((await c.login('ops', 'o')).body), 'Authentication accepted');
  const first = c.cookie;
  t.match((await c.get('/rawman', { action: 'ping' })).headers['set-cookie']?.[0], /Max-Age=1;/, 'Max-Age is httptimeout');
  t.equal(h.proxy.amiHttp.get('web')!.sessions.size, 1);
  await new Promise((r) => setTimeout(r, 2500));
  const late = await c.get('/rawman', { action: 'ping' });
  t.equal(msgOf(late.body), 'Permission denied');
  t.not(c.cookie, first, 'a new cookie');
  const closed = h.logs().filter((l) => l['audit'] === 'sessionClosed' && l['user'] === 'ops');
  t.equal(closed.length, 1, 'the expiry is audited');
  t.equal(closed[0]?.['cause'], 'http-timeout');
  t.equal(h.proxy.amiHttp.get('web')!.sessions.size, 1, 'only the new session is left');
});

t.test('allowmultiplelogin: no and maxsessions count HTTP and TCP sessions together', async (t) => {
  const h = await startProxy(t, {
    users: {
      single: { secret: 's', read: 'all', write: 'all', allowmultiplelogin: false },
      two: { secret: 't', read: 'all', write: 'all', maxsessions: 2 },
    },
    listeners: [{ name: 'web', protocol: 'http' }],
  });
  const tcp = await TestClient.connect({ port: h.port });
  t.equal((await tcp.login('single', 's')).get('Message'), 'Authentication accepted');
  const c = new HttpAmiClient({ port: h.portOf('web') });
  const refused = await c.login('single', 's');
  t.equal(msgOf(refused.body), 'Login Already In Use', 'the TCP session counts');
  t.ok(refused.ms >= 900, 'after the 1 s failure delay');
  await tcp.action([['Action', 'Logoff']]);
  await tcp.closedPromise;
  const web = new HttpAmiClient({ port: h.portOf('web') });
  t.equal(msgOf((await web.login('single', 's')).body), 'Authentication accepted');
  const tcp2 = await TestClient.connect({ port: h.port });
  t.equal((await tcp2.login('single', 's')).get('Message'), 'Login Already In Use', 'the HTTP session counts');
  await tcp2.close();
  t.equal(msgOf((await web.get('/rawman', { action: 'logoff' })).body), 'Thanks for all the fish.');
  const tcp3 = await TestClient.connect({ port: h.port });
  t.equal((await tcp3.login('single', 's')).get('Message'), 'Authentication accepted', 'an HTTP Logoff frees the slot at once');
  await tcp3.close();

  const a = await TestClient.connect({ port: h.port });
  t.equal((await a.login('two', 't')).get('Message'), 'Authentication accepted');
  const b = new HttpAmiClient({ port: h.portOf('web') });
  t.equal(msgOf((await b.login('two', 't')).body), 'Authentication accepted');
  const third = new HttpAmiClient({ port: h.portOf('web') });
  t.equal(msgOf((await third.login('two', 't')).body), 'Login Already In Use', 'maxsessions 2: one TCP + one HTTP');
  await a.close();
});

t.test('permit/deny apply to the HTTP client address', async (t) => {
  const h = await startProxy(t, {
    users: {
      lan: { secret: 'l', read: 'all', write: 'all', deny: '0.0.0.0/0', permit: '10.0.0.0/8' },
      local: { secret: 'p', read: 'all', write: 'all', deny: '0.0.0.0/0', permit: '127.0.0.1/32' },
    },
    listeners: [{ name: 'web', protocol: 'http' }],
  });
  const c = new HttpAmiClient({ port: h.portOf('web') });
  t.equal(msgOf((await c.login('lan', 'l')).body), 'Authentication failed');
  t.same(h.logs().filter((l) => l['audit'] === 'loginFailed').map((l) => [l['reason'], l['remote']?.toString().split(':')[0]]), [['acl', '127.0.0.1']]);
  const ok = new HttpAmiClient({ port: h.portOf('web') });
  t.equal(msgOf((await ok.login('local', 'p')).body), 'Authentication accepted');
});

t.test('maxhttpsessions: unauthenticated sessions make room, a listener full of logged-in sessions answers 503; HTTP does not use up authlimit', async (t) => {
  const h = await startProxy(t, {
    general: { authlimit: 1 },
    users: { ops: { secret: 'o', read: 'all', write: 'all' } },
    listeners: [{ name: 'web', protocol: 'http', maxhttpsessions: 2 }],
  });
  const port = h.portOf('web');
  for (let i = 0; i < 5; i++) t.equal(msgOf((await new HttpAmiClient({ port }).get('/rawman', { action: 'ping' })).body), 'Permission denied', 'a cookie-less request evicts an older unauthenticated session');
  const tcp = await TestClient.connect({ port: h.port });
  t.match(await tcp.waitBanner(), /^Asterisk Call Manager\//, 'authlimit 1 is still free for an AMI client');
  await tcp.close();
  const a = new HttpAmiClient({ port });
  const b = new HttpAmiClient({ port });
  t.equal(msgOf((await a.login('ops', 'o')).body), 'Authentication accepted');
  t.equal(msgOf((await b.login('ops', 'o')).body), 'Authentication accepted');
  const full = await new HttpAmiClient({ port }).get('/rawman', { action: 'ping' });
  t.equal(full.status, 503);
  t.match(full.body, /<title>503 Service Unavailable<\/title>/);
  t.equal(msgOf((await a.get('/rawman', { action: 'ping' })).body), undefined, 'the logged-in sessions go on');
  t.match((await a.get('/rawman', { action: 'ping' })).body, /Ping: Pong/);
});
