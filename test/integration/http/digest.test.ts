// HTTP Digest on /arawman, /amxml, /amanager through the proxy: Asterisk 22's
// answers (401 with its WWW-authenticate, a successful answer without
// Set-Cookie and Pragma), against the same users and login service as Login
// (audit, lockout), and none of Asterisk's weaknesses: the nonce is never a
// session cookie, nc must strictly increase, uri must equal the request target,
// made-up nonces are refused, a hash-only user cannot use Digest.

import t from 'tap';
import { hashSecret } from '../../../src/auth/secret-hash.js';
import { digestAuthorization, parseChallenge } from '../../../src/http/digest.js';
import { startProxy, type ProxyHarness } from '../../helpers/start-proxy.js';
import { HttpAmiClient, rawmanMessages, type HttpReply } from '../../helpers/http-ami-client.js';
import { httpGet } from '../../helpers/http-get.js';

const REALM = 'pbx-lab';

async function setup(t: Parameters<typeof startProxy>[0], general: Record<string, unknown> = {}): Promise<ProxyHarness> {
  return startProxy(t, {
    admin: true, general,
    users: {
      alice: { secret: 'alicepw', read: 'all', write: 'all' },
      hashed: { secret: await hashSecret('hashedpw'), read: 'all', write: 'all' },
    },
    listeners: [{ name: 'web', protocol: 'http', realm: REALM }],
  });
}

/** A Digest client: asks for a challenge, then signs each request with nc counting up. */
class DigestClient {
  nonce = '';
  opaque = '';
  nc = 0;
  constructor(readonly c: HttpAmiClient, readonly user: string, readonly secret: string) {}

  async challenge(path = '/arawman?action=ping'): Promise<HttpReply> {
    const r = await this.c.send('GET', path, undefined);
    const ch = parseChallenge(String(r.headers['www-authenticate'] ?? ''));
    this.nonce = ch.get('nonce') ?? '';
    this.opaque = ch.get('opaque') ?? '';
    this.nc = 0;
    return r;
  }

  auth(method: string, uri: string, over: Partial<{ nc: number; nonce: string; secret: string }> = {}): string {
    if (over.nc === undefined) this.nc++;
    return digestAuthorization({
      username: this.user, secret: over.secret ?? this.secret, realm: REALM, nonce: over.nonce ?? this.nonce, opaque: this.opaque,
      method, uri, nc: over.nc ?? this.nc, cnonce: 'c0ffee',
    });
  }

  get(target: string, over: Parameters<DigestClient['auth']>[2] = {}, signed = target): Promise<HttpReply> {
    return this.c.send('GET', target, undefined, { Authorization: this.auth('GET', signed, over) });
  }
}

const m = (body: string, key: string): string | undefined => rawmanMessages(body)[0]?.get(key);

t.test('digest: a challenge as Asterisk writes it, then requests on one session', async (t) => {
  const h = await setup(t);
  const d = new DigestClient(new HttpAmiClient({ port: h.portOf('web') }), 'alice', 'alicepw');
  const first = await d.challenge();
  t.equal(first.status, 401);
  t.match(String(first.headers['www-authenticate']), new RegExp(`^Digest algorithm=MD5, realm="${REALM}", nonce="[0-9a-f]{32}", qop="auth", opaque="[0-9a-f]{32}"$`));
  t.equal(first.raw[first.raw.findIndex((x) => x.toLowerCase() === 'www-authenticate')], 'WWW-authenticate', "Asterisk's spelling");

  const ok = await d.get('/arawman?action=ping&actionid=1');
  t.equal(ok.status, 200);
  t.equal(m(ok.body, 'Response'), 'Success');
  t.equal(m(ok.body, 'Ping'), 'Pong');
  t.equal(ok.headers['set-cookie'], undefined, 'no Set-Cookie');
  t.equal(ok.headers['pragma'], undefined, 'no Pragma');
  t.equal(ok.headers['content-type'], 'text/plain');

  // Events queued for the Digest session since its first request.
  h.sim.emitEvent('UserEvent', 'user', [['UserEvent', 'ForDigest']]);
  const w = await d.get('/arawman?action=waitevent&timeout=5');
  t.match(w.body, /UserEvent: ForDigest/, 'the same session: its events come through waitevent');
  const xml = await d.get('/amxml?action=ping');
  t.match(xml.body, /^<ajax-response>\n<response type='object' id='unknown'><generic response='Success' ping='Pong'/);

  // The nonce is not a cookie: /rawman with it as mansession_id is a new, logged-out session.
  const cookie = new HttpAmiClient({ port: h.portOf('web') });
  cookie.cookie = d.nonce;
  const viaCookie = await cookie.get('/rawman', { action: 'ping' });
  t.equal(m(viaCookie.body, 'Message'), 'Permission denied', 'the nonce does not open the Digest session');
  t.not(cookie.cookie, d.nonce, 'a new cookie is handed out');

  const logs = h.logs();
  t.equal(logs.filter((l) => l['audit'] === 'loginSucceeded' && l['user'] === 'alice' && l['listener'] === 'web').length, 1, 'one login for the Digest session, audited');
  t.equal(logs.filter((l) => l['audit'] === 'action' && String(l['action']).toLowerCase() === 'ping' && l['user'] === 'alice').length, 2, 'one audit record per action');
  t.notOk(h.rawLogs().includes('alicepw'), 'the secret is never logged');
  const metrics = (await httpGet(h.proxy.adminPort!, '/metrics')).body;
  t.match(metrics, /^amigate_logins_total\{listener="web",result="success"\} 1$/m);
  t.match(metrics, /^amigate_actions_total\{listener="web",action="Ping",result="success"\} 2$/m);
});

t.test("digest: Asterisk's weaknesses are refused (replayed nc, uri, made-up nonce) and wrong secrets are failed logins", async (t) => {
  const h = await setup(t, { loginfailures: { maxfailures: 3, window: 60, lockout: 60 } });
  const d = new DigestClient(new HttpAmiClient({ port: h.portOf('web') }), 'alice', 'alicepw');
  await d.challenge();
  t.equal((await d.get('/arawman?action=ping')).status, 200);
  const replay = await d.get('/arawman?action=ping', { nc: 1 });
  t.equal(replay.status, 401, 'nc=1 a second time');
  const stale = parseChallenge(String(replay.headers['www-authenticate']));
  t.equal(stale.get('stale'), 'true', 'stale=true');
  t.not(stale.get('nonce'), d.nonce, 'with a new nonce');
  d.nonce = stale.get('nonce')!;
  d.opaque = stale.get('opaque')!;
  d.nc = 0;
  const moved = await d.get('/arawman?action=waitevent&timeout=0');
  t.equal(moved.status, 200, 'the session goes on under the new nonce');

  const uri = await d.get('/arawman?action=command&command=core+show+version', {}, '/arawman?action=ping');
  t.equal(uri.status, 401, 'a header computed for another uri');
  const madeUp = await d.get('/arawman?action=ping', { nonce: '00000000000000000000000000000001' });
  t.equal(madeUp.status, 401, 'a made-up nonce');
  t.equal(h.logs().filter((l) => l['audit'] === 'loginFailed').length, 0, 'protocol refusals are not failed logins');

  const wrong = new DigestClient(new HttpAmiClient({ port: h.portOf('web') }), 'alice', 'not-it');
  await wrong.challenge();
  const bad = await wrong.get('/arawman?action=ping');
  t.equal(bad.status, 401);
  t.equal(parseChallenge(String(bad.headers['www-authenticate'])).get('stale'), undefined);
  const hashed = new DigestClient(new HttpAmiClient({ port: h.portOf('web') }), 'hashed', 'hashedpw');
  await hashed.challenge();
  t.equal((await hashed.get('/arawman?action=ping')).status, 401, 'a hash-only user cannot use Digest (the right secret notwithstanding)');
  const failed = h.logs().filter((l) => l['audit'] === 'loginFailed');
  t.same(failed.map((l) => [l['user'], l['reason'], l['listener']]), [['alice', 'bad-secret', 'web'], ['hashed', 'bad-secret', 'web']]);

  // The lockout counts Digest failures: a third one locks the address out, the right secret included.
  const third = new DigestClient(new HttpAmiClient({ port: h.portOf('web') }), 'nobody', 'x');
  await third.challenge();
  t.equal((await third.get('/arawman?action=ping')).status, 401);
  const late = new DigestClient(new HttpAmiClient({ port: h.portOf('web') }), 'alice', 'alicepw');
  await late.challenge();
  t.equal((await late.get('/arawman?action=ping')).status, 401, 'locked out: a new Digest session is refused');
  t.equal(h.logs().filter((l) => l['audit'] === 'loginFailed' && l['reason'] === 'lockout').length, 1);
});
