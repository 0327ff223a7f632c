// src/http/digest.ts: the 401 challenge, a correct response, and each of
// Asterisk 22's digest weaknesses refused (issue 13 item 3): made-up nonces,
// nc replays, a uri other than the request target, a nonce from another
// listener; plus expiry (stale=true), hash-only users, malformed headers.

import t from 'tap';
import { DigestAuth, digestAuthorization, parseChallenge, parseDigestAuthorization, type DigestSecret } from '../../../src/http/digest.js';

const USERS: Record<string, DigestSecret> = { admin: { kind: 'plain', secret: 'adminpw' }, hashed: { kind: 'hash' } };
const secretOf = (u: string): DigestSecret => USERS[u];

function setup(ttl = 60_000) {
  let now = 5_000_000;
  const auth = new DigestAuth({ listenerId: 'http-1', realm: 'amiref', nonceTtlMs: ttl, now: () => now });
  return { auth, advance: (ms: number) => { now += ms; } };
}

function fresh(auth: DigestAuth): { nonce: string; opaque: string; header: string } {
  const r = auth.verify({ method: 'GET', target: '/arawman?action=ping', authorization: undefined, secretOf });
  if (r.ok) throw new Error('unexpected');
  const c = parseChallenge(r.wwwAuthenticate);
  return { nonce: c.get('nonce')!, opaque: c.get('opaque')!, header: r.wwwAuthenticate };
}

function authz(nonce: string, opaque: string, o: { nc?: number; uri?: string; method?: string; user?: string; secret?: string } = {}): string {
  return digestAuthorization({
    username: o.user ?? 'admin', secret: o.secret ?? 'adminpw', realm: 'amiref', nonce, opaque,
    method: o.method ?? 'GET', uri: o.uri ?? '/arawman?action=ping', nc: o.nc ?? 1, cnonce: 'c0ffee',
  });
}

t.test('no credentials: 401 with Asterisk\'s header shape and a 128-bit nonce', async (t) => {
  const { auth } = setup();
  const f = fresh(auth);
  t.match(f.header, /^Digest algorithm=MD5, realm="amiref", nonce="[0-9a-f]{32}", qop="auth", opaque="[0-9a-f]{32}"$/);
  t.not(f.nonce, f.opaque, 'the opaque is not the nonce');
});

t.test('a correct response passes; the nonce never names a session by itself', async (t) => {
  const { auth } = setup();
  const f = fresh(auth);
  const r = auth.verify({ method: 'GET', target: '/arawman?action=ping', authorization: authz(f.nonce, f.opaque), secretOf });
  t.match(r, { ok: true, username: 'admin', nonce: f.nonce, sessionId: undefined });
  auth.bindSession(f.nonce, 'S1');
  const r2 = auth.verify({ method: 'GET', target: '/arawman?action=ping', authorization: authz(f.nonce, f.opaque, { nc: 2 }), secretOf });
  t.match(r2, { ok: true, sessionId: 'S1' });
  auth.forgetSession('S1');
  const r3 = auth.verify({ method: 'GET', target: '/arawman?action=ping', authorization: authz(f.nonce, f.opaque, { nc: 3 }), secretOf });
  t.match(r3, { ok: true, sessionId: undefined });
});

t.test('nc must strictly increase: a replay gets 401 stale=true and a new nonce that keeps the session', async (t) => {
  const { auth } = setup();
  const f = fresh(auth);
  const a = authz(f.nonce, f.opaque, { nc: 1 });
  t.match(auth.verify({ method: 'GET', target: '/arawman?action=ping', authorization: a, secretOf }), { ok: true });
  auth.bindSession(f.nonce, 'S1');
  const replay = auth.verify({ method: 'GET', target: '/arawman?action=ping', authorization: a, secretOf });
  t.match(replay, { ok: false, reason: 'replay', stale: true });
  if (replay.ok) return;
  t.match(replay.wwwAuthenticate, /, stale=true$/);
  const c = parseChallenge(replay.wwwAuthenticate);
  t.not(c.get('nonce'), f.nonce);
  t.match(auth.verify({ method: 'GET', target: '/arawman?action=ping', authorization: authz(f.nonce, f.opaque, { nc: 2 }), secretOf }),
    { ok: false, reason: 'unknown-nonce' }, 'the replayed nonce is spent');
  t.match(auth.verify({ method: 'GET', target: '/arawman?action=ping', authorization: authz(c.get('nonce')!, c.get('opaque')!), secretOf }),
    { ok: true, sessionId: 'S1' }, 'the session moved to the new nonce');
});

t.test('the digest uri must equal the request target (a header for ping cannot run command)', async (t) => {
  const { auth } = setup();
  const f = fresh(auth);
  const r = auth.verify({ method: 'GET', target: '/arawman?action=command&command=core+stop+now', authorization: authz(f.nonce, f.opaque), secretOf });
  t.match(r, { ok: false, reason: 'uri-mismatch', stale: false });
  const m = auth.verify({ method: 'POST', target: '/arawman?action=ping', authorization: authz(f.nonce, f.opaque, { nc: 2 }), secretOf });
  t.match(m, { ok: false, reason: 'bad-response' }, 'the method is part of the hash');
});

t.test('made-up nonces and nonces of another listener are unknown', async (t) => {
  const { auth } = setup();
  const other = new DigestAuth({ listenerId: 'http-2', realm: 'amiref' });
  const f = fresh(auth);
  for (const nonce of ['6bbd5858', '0'.repeat(32)]) {
    t.match(auth.verify({ method: 'GET', target: '/arawman?action=ping', authorization: authz(nonce, f.opaque), secretOf }), { ok: false, reason: 'unknown-nonce', stale: false });
  }
  t.match(other.verify({ method: 'GET', target: '/arawman?action=ping', authorization: authz(f.nonce, f.opaque), secretOf }), { ok: false, reason: 'unknown-nonce' });
});

t.test('expiry: a valid response on an old nonce gets stale=true', async (t) => {
  const { auth, advance } = setup(1000);
  const f = fresh(auth);
  advance(1000);
  const r = auth.verify({ method: 'GET', target: '/arawman?action=ping', authorization: authz(f.nonce, f.opaque), secretOf });
  t.match(r, { ok: false, reason: 'expired', stale: true });
});

t.test('wrong secret, unknown user, hash-only user, other user on a bound nonce: plain 401', async (t) => {
  const { auth } = setup();
  const f = fresh(auth);
  const v = (a: string) => auth.verify({ method: 'GET', target: '/arawman?action=ping', authorization: a, secretOf });
  t.match(v(authz(f.nonce, f.opaque, { secret: 'bad' })), { ok: false, reason: 'bad-response', stale: false });
  t.match(v(authz(f.nonce, f.opaque, { user: 'nobody' })), { ok: false, reason: 'unknown-user', stale: false });
  t.match(v(authz(f.nonce, f.opaque, { user: 'hashed', secret: 'whatever' })), { ok: false, reason: 'hash-only', stale: false });
  t.match(v(authz(f.nonce, f.opaque, { nc: 5 })), { ok: true });
  USERS.other = { kind: 'plain', secret: 'o' };
  t.match(v(authz(f.nonce, f.opaque, { user: 'other', secret: 'o', nc: 6 })), { ok: false, reason: 'user-mismatch' });
});

t.test('malformed or incomplete headers: 401 without stale', async (t) => {
  const { auth } = setup();
  const f = fresh(auth);
  const good = authz(f.nonce, f.opaque);
  const v = (a: string) => auth.verify({ method: 'GET', target: '/arawman?action=ping', authorization: a, secretOf });
  t.match(v('Basic YWRtaW46YWRtaW5wdw=='), { ok: false, reason: 'malformed' });
  t.match(v(good.replace('qop=auth', 'qop=auth-int')), { ok: false, reason: 'malformed' });
  t.match(v(good.replace(/, nc=\w+/, '')), { ok: false, reason: 'malformed' }, 'RFC 2069 (no nc) is refused');
  t.match(v(good.replace('algorithm=MD5', 'algorithm=SHA-256')), { ok: false, reason: 'malformed' });
  t.match(v(good.replace(/opaque="\w+"/, 'opaque="x"')), { ok: false, reason: 'malformed' });
  t.match(v(good.replace('realm="amiref"', 'realm="other"')), { ok: false, reason: 'realm-mismatch' });
  t.match(v('Digest username="a", username="b"'), { ok: false, reason: 'malformed' });
  t.match(v('   '), { ok: false, reason: 'missing' });
  t.same(parseDigestAuthorization('Digest username="a\\"b", realm=r, nonce="n", uri="/x", response="r"')?.username, 'a"b');
  t.equal(parseDigestAuthorization('Digest username="unterminated'), undefined);
});

t.test('the nonce store is bounded', async (t) => {
  const auth = new DigestAuth({ listenerId: 'l', realm: 'r', maxNonces: 5 });
  for (let i = 0; i < 50; i++) auth.challenge();
  t.ok(auth.size <= 5);
});
