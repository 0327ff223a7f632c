// Who may log in, from where, how often (issue 4 items 4-5), through the real
// proxy: permit/deny in both addr/mask and CIDR form with last-match-wins,
// IPv4-mapped IPv6 and ::1 listeners, failed-login lockout per address and per
// user, maxsessions, authtimeout and authlimit. Every failure must look the
// same to the client (1 s, `Authentication failed`, close); only the audit log
// tells the operator why (S8, S11).

import t from 'tap';
import { startProxy, waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const FAILED = 'Response: Error\r\nActionID: L\r\nMessage: Authentication failed\r\n\r\n';

async function attempt(port: number, user: string, secret: string, localAddress?: string, host?: string): Promise<{ reply: string; ms: number; closed: boolean }> {
  const c = await TestClient.connect({ port, ...(localAddress ? { localAddress } : {}), ...(host ? { host } : {}) });
  try {
    await c.waitBanner();
    const started = Date.now();
    c.write(`Action: Login\r\nActionID: L\r\nUsername: ${user}\r\nSecret: ${secret}\r\n\r\n`);
    const r = await c.waitFor((m) => m.isResponse, 4000);
    const ms = Date.now() - started;
    if (r.get('Response') === 'Error') await Promise.race([c.closedPromise, new Promise((res) => setTimeout(res, 500))]);
    return { reply: r.toString(), ms, closed: c.closed };
  } finally {
    await c.close();
  }
}

const loginFailures = (logs: Array<Record<string, unknown>>) => logs.filter((l) => l['audit'] === 'loginFailed');

t.test('permit/deny: addr/mask and CIDR, last match wins, mapped IPv6 and ::1', async (t) => {
  const h = await startProxy(t, {
    users: {
      // deny everything, then let one /31 in, written as addr/mask
      office: { secret: 'pw', read: 'call', deny: ['0.0.0.0/0.0.0.0', '::/0'], permit: ['127.0.0.2/255.255.255.254'] },
      // CIDR form; 127.0.0.1 is outside 127.0.0.4/30
      branch: { secret: 'pw', read: 'call', deny: ['0.0.0.0/0'], permit: ['127.0.0.4/30'] },
      // IPv4 rules must match a client seen as ::ffff:127.0.0.1
      mapped: { secret: 'pw', read: 'call', deny: ['0.0.0.0/0', '::/0'], permit: ['127.0.0.1/32'] },
      v6only: { secret: 'pw', read: 'call', deny: ['0.0.0.0/0', '::/0'], permit: ['::1/128'] },
      open: { secret: 'pw', read: 'call' },
    },
    listeners: [
      { name: 'mapped', bindaddr: '::ffff:127.0.0.1' },
      { name: 'v6', bindaddr: '::1' },
    ],
  });
  const plain = h.port;
  const cases: Array<[string, string, number, string | undefined, string | undefined, boolean]> = [
    ['office from 127.0.0.1', 'office', plain, undefined, undefined, false],
    ['office from 127.0.0.2', 'office', plain, '127.0.0.2', undefined, true],
    ['office from 127.0.0.3 (same /31)', 'office', plain, '127.0.0.3', undefined, true],
    ['office from 127.0.0.4', 'office', plain, '127.0.0.4', undefined, false],
    ['branch from 127.0.0.1', 'branch', plain, undefined, undefined, false],
    ['branch from 127.0.0.6', 'branch', plain, '127.0.0.6', undefined, true],
    ['mapped over the ::ffff:127.0.0.1 listener', 'mapped', h.portOf('mapped'), undefined, undefined, true],
    ['office over the ::ffff:127.0.0.1 listener', 'office', h.portOf('mapped'), undefined, undefined, false],
    ['v6only over ::1', 'v6only', h.portOf('v6'), undefined, '::1', true],
    ['v6only from 127.0.0.1', 'v6only', plain, undefined, undefined, false],
    ['open over ::1', 'open', h.portOf('v6'), undefined, '::1', true],
  ];
  const results = await Promise.all(cases.map(([, user, port, local, host]) => attempt(port, user, 'pw', local, host)));
  cases.forEach(([name, , , , , ok], i) => {
    const r = results[i]!;
    if (ok) t.match(r.reply, /Message: Authentication accepted/, `${name}: accepted`);
    else {
      t.equal(r.reply, FAILED, `${name}: refused like any failure`);
      t.ok(r.ms >= 900, `${name}: after the 1 s delay`);
      t.ok(r.closed, `${name}: closed`);
    }
  });
  const acl = loginFailures(h.logs()).filter((l) => l['reason'] === 'acl');
  t.equal(acl.length, cases.filter((c) => !c[5]).length, 'the audit log says acl for each refusal');
});

t.test('lockout per source address and per user; the reply never changes', async (t) => {
  const h = await startProxy(t, {
    users: { alice: { secret: 'alicepw', read: 'call' }, bob: { secret: 'bobpw', read: 'call' }, carol: { secret: 'carolpw', read: 'call' } },
    general: { loginfailures: { maxfailures: 3, window: 60, lockout: 60 } },
  });
  // Three bad secrets for alice from 127.0.0.9 lock both the address and the user name.
  const bad = await Promise.all([1, 2, 3].map(() => attempt(h.port, 'alice', 'wrong', '127.0.0.9')));
  for (const r of bad) t.equal(r.reply, FAILED);
  const [sameAddrOtherUser, otherAddrSameUser, otherAddrOtherUser, rightSecretLocked] = await Promise.all([
    attempt(h.port, 'bob', 'bobpw', '127.0.0.9'),
    attempt(h.port, 'alice', 'alicepw', '127.0.0.10'),
    attempt(h.port, 'carol', 'carolpw', '127.0.0.10'),
    attempt(h.port, 'alice', 'alicepw', '127.0.0.9'),
  ]);
  t.equal(sameAddrOtherUser!.reply, FAILED, 'the locked address cannot log in as anyone');
  t.equal(otherAddrSameUser!.reply, FAILED, 'the locked user cannot log in from anywhere');
  t.equal(rightSecretLocked!.reply, FAILED, 'the right secret does not help while locked');
  t.ok(rightSecretLocked!.ms >= 900, 'same 1 s delay when locked');
  t.match(otherAddrOtherUser!.reply, /Authentication accepted/, 'others are not affected');
  const reasons = loginFailures(h.logs()).map((l) => l['reason']);
  t.equal(reasons.filter((r) => r === 'bad-secret').length, 3);
  t.equal(reasons.filter((r) => r === 'lockout').length, 3, 'the operator sees lockout');
});

t.test('maxsessions gives Login Already In Use; authtimeout and authlimit', async (t) => {
  const h = await startProxy(t, {
    users: { wall: { secret: 'pw', read: 'call', allowmultiplelogin: true, maxsessions: 2 } },
    general: { authtimeout: 1, authlimit: 2 },
  });
  const a = await TestClient.connect({ port: h.port });
  const b = await TestClient.connect({ port: h.port });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  t.match((await a.login('wall', 'pw')).get('Message'), 'Authentication accepted');
  t.match((await b.login('wall', 'pw')).get('Message'), 'Authentication accepted');
  const third = await attempt(h.port, 'wall', 'pw');
  t.equal(third.reply, 'Response: Error\r\nActionID: L\r\nMessage: Login Already In Use\r\n\r\n');
  t.equal(loginFailures(h.logs()).at(-1)?.['reason'], 'session-limit');

  // authtimeout: an idle unauthenticated session is closed after 1 s.
  const idle = await TestClient.connect({ port: h.port });
  await idle.waitBanner();
  const opened = Date.now();
  await Promise.race([idle.closedPromise, new Promise((r) => setTimeout(r, 4000))]);
  t.ok(idle.closed, 'closed by authtimeout');
  t.ok(Date.now() - opened >= 900 && Date.now() - opened < 5000, `after about 1 s (${Date.now() - opened} ms)`);

  // authlimit 2: a third unauthenticated connection gets no banner and is closed.
  const u1 = await TestClient.connect({ port: h.port });
  const u2 = await TestClient.connect({ port: h.port });
  t.teardown(() => Promise.all([u1.close(), u2.close()]));
  await Promise.all([u1.waitBanner(), u2.waitBanner()]);
  const u3 = await TestClient.connect({ port: h.port });
  await Promise.race([u3.closedPromise, new Promise((r) => setTimeout(r, 2000))]);
  t.ok(u3.closed, 'over authlimit: closed');
  t.equal(u3.banner, undefined, 'without a banner');
  // Logging in frees an unauthenticated slot.
  await a.close();
  await waitUntil(() => !h.logs().every((l) => l['audit'] !== 'sessionClosed'), 2000, 'a closed');
  t.match((await u1.login('wall', 'pw')).get('Message'), 'Authentication accepted');
  const u4 = await TestClient.connect({ port: h.port });
  t.teardown(() => u4.close());
  t.equal(await u4.waitBanner(2000), 'Asterisk Call Manager/11.0.0', 'a slot is free again');
});
