import t from 'tap';
import { parseConfig } from '../../../src/config/load.js';
import { UserStore, secretOf } from '../../../src/auth/user-store.js';
import { Authenticator, LoginThrottle, certificateMatches, type LoginRequest } from '../../../src/auth/authenticator.js';
import { hashSecret } from '../../../src/auth/secret-hash.js';
import { md5Key } from '../../../src/protocol/md5-challenge.js';

const wire = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

async function setup() {
  const hash = await hashSecret('hashed-pw', { N: 1024 });
  const { config } = await parseConfig(`
listeners:
  - { bindaddr: 127.0.0.1, port: 5040 }
  - { name: mtls, bindaddr: 127.0.0.1, port: 5041, tls: { certfile: a, privatekey: b, cafile: c, verifyclient: true } }
upstreams: [{ name: pbx1, host: 127.0.0.1, username: amigate, secret: s3cret }]
users:
  plain: { secret: plain-pw, read: all, write: call }
  Hashed: { secret: "${hash}" }
  nosecret: { read: call }
  intl: { secret: "pässwörd" }
  office: { secret: pw, deny: [0.0.0.0/0.0.0.0, "::/0"], permit: [10.0.0.0/8] }
  single: { secret: pw, allowmultiplelogin: false }
  two: { secret: pw, maxsessions: 2 }
  crm: { secret: pw, certificate: { subject: "CN=crm", fingerprint256: "${'ab:'.repeat(31)}ab" } }
`, '/t/a.yaml', {});
  return new UserStore(config);
}

t.test('user store: case-insensitive lookup, compiled masks, secret never a property', async (t) => {
  const users = await setup();
  t.equal(users.size, 8);
  t.equal(users.get('HASHED')!.name, 'Hashed');
  t.equal(users.get('nobody'), undefined);
  const p = users.get('plain')!;
  t.same(p.secret, { kind: 'plain' });
  t.same(users.get('hashed')!.secret, { kind: 'hash' });
  t.equal(users.get('nosecret')!.secret, undefined);
  t.equal(p.read, 0x7fffffff);
  t.equal(p.write, 2);
  t.notMatch(JSON.stringify(p), /plain-pw/, 'a serialised record does not leak the secret');
  t.equal(secretOf(p), 'plain-pw');
  t.equal(secretOf(users.get('intl')!), wire('pässwörd'), 'plain secrets are kept as the UTF-8 bytes a client sends');
  t.ok(Object.isFrozen(p));
  t.equal([...users].length, 8);
  t.equal(users.get('crm')!.certificate!.fingerprint256, 'AB:'.repeat(31) + 'AB', 'fingerprints upper-cased');
});

t.test('verifyPlain', async (t) => {
  const users = await setup();
  const a = new Authenticator();
  t.ok(await a.verifyPlain(users.get('plain'), 'plain-pw'));
  t.notOk(await a.verifyPlain(users.get('plain'), 'plain-p'));
  t.notOk(await a.verifyPlain(users.get('plain'), 'plain-pw '));
  t.ok(await a.verifyPlain(users.get('hashed'), 'hashed-pw'));
  t.notOk(await a.verifyPlain(users.get('hashed'), 'Hashed-pw'));
  t.notOk(await a.verifyPlain(users.get('nosecret'), ''));
  t.notOk(await a.verifyPlain(undefined, 'anything'));
  t.ok(await a.verifyPlain(users.get('intl'), wire('pässwörd')), 'non-ASCII secret as received on the wire');
});

t.test('verifyMd5: needs a plain secret', async (t) => {
  const users = await setup();
  const a = new Authenticator();
  const ch = '123456789';
  t.ok(a.verifyMd5(users.get('plain'), ch, md5Key(ch, 'plain-pw')));
  t.notOk(a.verifyMd5(users.get('plain'), ch, md5Key(ch, 'plain-pw').toUpperCase()), 'lower-case hex only (strcmp, S9)');
  t.notOk(a.verifyMd5(users.get('plain'), '987654321', md5Key(ch, 'plain-pw')), 'another challenge');
  t.notOk(a.verifyMd5(users.get('plain'), '', md5Key('', 'plain-pw')), 'no challenge issued');
  const hashed = users.get('hashed')!;
  t.notOk(a.verifyMd5(hashed, ch, md5Key(ch, 'hashed-pw')), 'a hashed-only user can never pass MD5');
  t.notOk(a.verifyMd5(hashed, ch, md5Key(ch, secretOf(hashed)!)), '... not even with the hash string as the secret');
  t.notOk(a.verifyMd5(hashed, ch, md5Key(ch, 'amigate: no such user')));
  t.notOk(a.verifyMd5(undefined, ch, md5Key(ch, 'amigate: no such user')), 'unknown user');
  t.notOk(a.verifyMd5(users.get('nosecret'), ch, md5Key(ch, '')));
  t.ok(a.verifyMd5(users.get('intl'), ch, md5Key(ch, wire('pässwörd'))));
});

t.test('login(): every failure has its reason; the throttle counts guesses', async (t) => {
  const users = await setup();
  const a = new Authenticator();
  let now = 0;
  const throttle = () => new LoginThrottle({ maxfailures: 3, window: 60, lockout: 300 }, { now: () => now });
  const th = throttle();
  const req = (r: Partial<LoginRequest>): LoginRequest => ({ username: 'plain', secret: 'plain-pw', remoteAddress: '127.0.0.1', activeSessions: 0, ...r });
  t.match(await a.login(req({}), users, th), { ok: true, user: { name: 'plain' } });
  t.match(await a.login(req({ username: 'ghost' }), users, th), { ok: false, reason: 'unknown-user', user: undefined });
  t.match(await a.login(req({ secret: 'nope' }), users, throttle()), { ok: false, reason: 'bad-secret' });
  t.match(await a.login(req({ username: 'nosecret', secret: '' }), users, throttle()), { ok: false, reason: 'bad-secret' });
  t.match(await a.login(req({ username: 'office', secret: 'pw', remoteAddress: '192.168.1.1' }), users, throttle()), { ok: false, reason: 'acl' });
  t.match(await a.login(req({ username: 'office', secret: 'pw', remoteAddress: '::ffff:10.2.3.4' }), users, throttle()), { ok: true });
  t.match(await a.login(req({ username: 'single', secret: 'pw', activeSessions: 1 }), users, throttle()), { ok: false, reason: 'session-limit' });
  t.match(await a.login(req({ username: 'single', secret: 'pw', activeSessions: 0 }), users, throttle()), { ok: true });
  t.match(await a.login(req({ username: 'two', secret: 'pw', activeSessions: 1 }), users, throttle()), { ok: true });
  t.match(await a.login(req({ username: 'two', secret: 'pw', activeSessions: 2 }), users, throttle()), { ok: false, reason: 'session-limit' });
  t.match(await a.login(req({ username: 'plain', activeSessions: 500 }), users, throttle()), { ok: true }, 'maxsessions 0 = unlimited');
  t.match(await a.login(req({ username: 'crm', secret: 'pw' }), users, throttle()), { ok: false, reason: 'certificate' });
  const good = { authorized: true, subject: 'CN=crm', fingerprint256: 'ab:'.repeat(31) + 'ab' };
  t.match(await a.login(req({ username: 'crm', secret: 'pw', tls: good }), users, throttle()), { ok: true });
  const ch = '42';
  t.match(await a.login(req({ secret: undefined, challenge: ch, key: md5Key(ch, 'plain-pw') }), users, throttle()), { ok: true }, 'MD5 login');
  t.match(await a.login(req({ username: 'hashed', secret: undefined, challenge: ch, key: md5Key(ch, 'hashed-pw') }), users, throttle()), { ok: false, reason: 'bad-secret' });

  // Lockout: three failures from one address, then even the right secret is refused.
  const lock = throttle();
  for (let i = 0; i < 3; i++) await a.login(req({ secret: 'wrong', remoteAddress: '10.9.9.9' }), users, lock);
  t.match(await a.login(req({ remoteAddress: '10.9.9.9' }), users, lock), { ok: false, reason: 'lockout' });
  t.match(await a.login(req({ username: 'two', secret: 'pw', remoteAddress: '10.9.9.9' }), users, lock), { ok: false, reason: 'lockout' }, 'the address is locked for every user');
  t.match(await a.login(req({ remoteAddress: '10.9.9.8' }), users, lock), { ok: false, reason: 'lockout' }, 'and the user from every address');
  now += 300_000;
  t.match(await a.login(req({ remoteAddress: '10.9.9.9' }), users, lock), { ok: true }, 'lockout expires');
  const sl = throttle();
  for (let i = 0; i < 5; i++) await a.login(req({ username: 'single', secret: 'pw', activeSessions: 1 }), users, sl);
  t.ok(sl.check('127.0.0.1', 'single'), 'session-limit refusals are not guesses');

  // ACL and certificate refusals lock the address, never the user (issue 11 item 7).
  const acl = throttle();
  for (let i = 0; i < 3; i++) await a.login(req({ username: 'office', secret: 'pw', remoteAddress: '192.168.1.1' }), users, acl);
  for (let i = 0; i < 3; i++) await a.login(req({ username: 'crm', secret: 'pw', remoteAddress: '192.168.1.2' }), users, acl);
  t.notOk(acl.check('192.168.1.1', 'nobody'), 'the refused address is locked');
  t.ok(acl.check('10.0.0.1', 'office') && acl.check('10.0.0.1', 'crm'), 'the users are not');
  // Unknown names count like wrong secrets, so the lockout tells nothing about which names exist.
  const ghost = throttle();
  for (const ip of ['10.1.1.1', '10.1.1.2', '10.1.1.3']) await a.login(req({ username: 'ghost', secret: 'x', remoteAddress: ip }), users, ghost);
  t.notOk(ghost.check('10.1.1.4', 'ghost'));
  // A lockout refusal counts against nothing: a locked name cannot lock its own clients' address.
  const busy = throttle();
  for (const ip of ['10.2.2.1', '10.2.2.2', '10.2.2.3']) await a.login(req({ secret: 'wrong', remoteAddress: ip }), users, busy);
  for (let i = 0; i < 5; i++) t.match(await a.login(req({ remoteAddress: '10.2.2.9' }), users, busy), { reason: 'lockout' });
  t.ok(busy.check('10.2.2.9', 'two'), 'the retrying address stays open for other users');
});

t.test('login(): every failure pays one secret check, so no path answers sooner (user existence does not leak)', async (t) => {
  const users = await setup();
  // The seam: count verifyPlain() calls and whether they were for the real record or the dummy.
  class Counting extends Authenticator {
    calls: Array<'dummy' | 'real'> = [];
    override verifyPlain(user: Parameters<Authenticator['verifyPlain']>[0], secret: string): Promise<boolean> {
      this.calls.push(user === undefined ? 'dummy' : 'real');
      return super.verifyPlain(user, secret);
    }
  }
  const lockedOut = new LoginThrottle({ maxfailures: 1, window: 60, lockout: 300 });
  lockedOut.fail('10.7.7.7', 'x');
  const ch = '42';
  const cases: Array<[string, Partial<LoginRequest>, LoginThrottle | undefined, string, Array<'dummy' | 'real'>]> = [
    ['lockout', { remoteAddress: '10.7.7.7' }, lockedOut, 'lockout', ['dummy']],
    ['unknown user', { username: 'ghost' }, undefined, 'unknown-user', ['dummy']],
    ['ACL', { username: 'office', secret: 'pw', remoteAddress: '192.168.1.1' }, undefined, 'acl', ['dummy']],
    ['certificate', { username: 'crm', secret: 'pw' }, undefined, 'certificate', ['dummy']],
    ['wrong secret', { secret: 'nope' }, undefined, 'bad-secret', ['real']],
    ['wrong MD5 key', { secret: undefined, challenge: ch, key: md5Key(ch, 'nope') }, undefined, 'bad-secret', ['dummy']],
    ['MD5 for a hashed user', { username: 'hashed', secret: undefined, challenge: ch, key: md5Key(ch, 'hashed-pw') }, undefined, 'bad-secret', ['dummy']],
  ];
  for (const [what, r, th, reason, calls] of cases) {
    const a = new Counting();
    const out = await a.login({ username: 'plain', secret: 'plain-pw', remoteAddress: '127.0.0.1', activeSessions: 0, ...r }, users, th ?? new LoginThrottle({ maxfailures: 0, window: 60, lockout: 300 }));
    t.match(out, { ok: false, reason }, what);
    t.same(a.calls, calls, `${what}: exactly one secret check`);
  }
});

t.test('login(): an ACL refusal takes as long as a wrong secret (timing)', async (t) => {
  const users = await setup();
  const a = new Authenticator();
  const th = new LoginThrottle({ maxfailures: 0, window: 60, lockout: 300 });
  const base = { username: 'office', activeSessions: 0 } as const;
  const time = async (r: Partial<LoginRequest>): Promise<number> => {
    const started = performance.now();
    await a.login({ ...base, secret: 'pw', remoteAddress: '10.1.1.1', ...r }, users, th);
    return performance.now() - started;
  };
  await time({ secret: 'warm-up' }); // the dummy hash is made once, on first use
  const acl: number[] = [];
  const bad: number[] = [];
  // Interleaved, so a loaded machine slows both alike.
  for (let i = 0; i < 4; i++) {
    acl.push(await time({ remoteAddress: '192.168.1.1' }));
    bad.push(await time({ secret: `wrong-${i}` }));
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  const [ma, mb] = [median(acl), median(bad)];
  t.comment(`ACL refusal median ${ma.toFixed(1)} ms, wrong secret median ${mb.toFixed(1)} ms`);
  t.ok(mb > 5, 'a wrong secret costs a real scrypt');
  // Before the fix the ACL refusal took ~0.1 ms against ~75 ms.
  t.ok(ma > mb / 3 && ma < mb * 3, 'indistinguishable within a factor of 3 (a loaded CI is noisy; the leak was 500x)');
});

t.test('certificateMatches', async (t) => {
  const fp = 'AB:'.repeat(31) + 'AB';
  t.ok(certificateMatches({ subject: 'CN=x' }, { authorized: true, subject: 'CN=x', fingerprint256: undefined }));
  t.notOk(certificateMatches({ subject: 'CN=x' }, { authorized: false, subject: 'CN=x', fingerprint256: undefined }), 'unverified');
  t.notOk(certificateMatches({ subject: 'CN=x' }, undefined), 'no certificate');
  t.notOk(certificateMatches({ subject: 'CN=x' }, { authorized: true, subject: 'CN=y', fingerprint256: undefined }));
  t.ok(certificateMatches({ fingerprint256: fp }, { authorized: true, subject: undefined, fingerprint256: fp.toLowerCase() }));
  t.notOk(certificateMatches({ fingerprint256: fp, subject: 'CN=x' }, { authorized: true, subject: 'CN=y', fingerprint256: fp }), 'both must match');
  t.notOk(certificateMatches({}, { authorized: true, subject: 'CN=y', fingerprint256: fp }), 'an empty binding matches nothing');
});

t.test('verifyPlain remembers a correct secret per record, never a wrong one', async (t) => {
  const users = await setup();
  const a = new Authenticator();
  const hashed = users.get('hashed')!;
  t.ok(await a.verifyPlain(hashed, 'hashed-pw'), 'first: scrypt');
  t.ok(await a.verifyPlain(hashed, 'hashed-pw'), 'again: remembered');
  t.notOk(await a.verifyPlain(hashed, 'hashed-pw2'), 'another secret still fails');
  t.notOk(await a.verifyPlain(users.get('plain'), 'hashed-pw'), 'remembered per user, not globally');
  const reloaded = (await setup()).get('hashed')!;
  t.not(reloaded, hashed);
  t.ok(await a.verifyPlain(reloaded, 'hashed-pw'), 'a new record verifies from scratch');
});

t.test('concurrent logins with the same secret share one scrypt; different secrets do not', async (t) => {
  const real = await import('../../../src/auth/secret-hash.js');
  let scrypts = 0;
  const { Authenticator: Counted } = await t.mockImport<typeof import('../../../src/auth/authenticator.js')>(
    '../../../src/auth/authenticator.js', {
      '../../../src/auth/secret-hash.js': {
        ...real,
        verifySecretHash: async (h: string, s: string | Buffer) => { scrypts++; return real.verifySecretHash(h, s); },
      },
    });
  const users = await setup();
  const a = new Counted();
  const hashed = users.get('hashed')!;
  const right = await Promise.all(Array.from({ length: 20 }, () => a.verifyPlain(hashed, 'hashed-pw')));
  t.same(right, Array(20).fill(true));
  t.equal(scrypts, 1, '20 identical correct logins: one scrypt');
  scrypts = 0;
  const mixed = await Promise.all([
    a.verifyPlain(users.get('plain'), 'plain-pw'), a.verifyPlain(users.get('plain'), 'plain-pw'),
    a.verifyPlain(users.get('plain'), 'wrong'), a.verifyPlain(users.get('plain'), 'wrong'),
    a.verifyPlain(undefined, 'x'), a.verifyPlain(undefined, 'x'), a.verifyPlain(undefined, 'y'),
  ]);
  t.same(mixed, [true, true, false, false, false, false, false]);
  t.equal(scrypts, 4, 'one per distinct (record, secret): plain-pw, wrong, unknown x, unknown y');
  scrypts = 0;
  t.notOk(await a.verifyPlain(users.get('plain'), 'wrong'), 'a wrong secret is never remembered');
  t.equal(scrypts, 1, 'and pays again once the first check has ended');
  const reloaded = (await setup()).get('hashed')!;
  scrypts = 0;
  await Promise.all([a.verifyPlain(hashed, 'other'), a.verifyPlain(reloaded, 'other')]);
  t.equal(scrypts, 2, 'shared per record: a reloaded record checks on its own');
});
