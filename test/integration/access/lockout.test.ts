// The failed-login lockout cannot be turned against a user (issue 11 items
// 7-8), through the real proxy: logins from an address the user's permit/deny
// refuses, or over a wrong client certificate, lock that address but never the
// user; wrong secrets still lock the user; and a reload (SIGHUP's path) keeps
// every count and lockout while applying the new limits.

import t from 'tap';
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import { startProxy, type ProxyHarness } from '../../helpers/start-proxy.js';
import { TestClient, type ClientOptions } from '../../helpers/ami-test-client.js';
import { makeTestCerts } from '../../helpers/certs.js';

const FAILED = 'Response: Error\r\nActionID: L\r\nMessage: Authentication failed\r\n\r\n';

async function attempt(opts: ClientOptions, user: string, secret: string): Promise<string> {
  const c = await TestClient.connect(opts);
  try {
    await c.waitBanner();
    c.write(`Action: Login\r\nActionID: L\r\nUsername: ${user}\r\nSecret: ${secret}\r\n\r\n`);
    return (await c.waitFor((m) => m.isResponse, 5000)).toString();
  } finally {
    await c.close();
  }
}

const failures = (h: ProxyHarness) => h.logs().filter((l) => l['audit'] === 'loginFailed').map((l) => `${String(l['user'])}:${String(l['reason'])}`);

t.test('ACL refusals lock the address, not the user', async (t) => {
  const h = await startProxy(t, {
    users: {
      office: { secret: 'officepw', read: 'call', deny: ['0.0.0.0/0', '::/0'], permit: ['127.0.0.2/32'] },
      carol: { secret: 'carolpw', read: 'call' },
    },
    general: { loginfailures: { maxfailures: 3, window: 60, lockout: 60 } },
  });
  // An attacker outside office's ACL tries three times, even with the right secret.
  const attacker = { port: h.port, localAddress: '127.0.0.9' };
  for (let i = 0; i < 3; i++) t.equal(await attempt(attacker, 'office', i === 0 ? 'officepw' : 'guess'), FAILED, `attack ${i + 1} refused`);
  t.match(await attempt({ port: h.port, localAddress: '127.0.0.2' }, 'office', 'officepw'), /Message: Authentication accepted/,
    'office still logs in from its permitted address');
  t.equal(await attempt(attacker, 'carol', 'carolpw'), FAILED, 'the attacking address is locked for every user');
  t.same(failures(h), ['office:acl', 'office:acl', 'office:acl', 'carol:lockout']);
});

t.test('wrong client certificates lock the address, not the user; wrong secrets still lock the user', async (t) => {
  const certs = await makeTestCerts(t);
  const p = certs.paths;
  const fingerprint256 = new X509Certificate(await readFile(p.client)).fingerprint256;
  const h = await startProxy(t, {
    users: {
      crm: { secret: 'crmpw', read: 'call', certificate: { fingerprint256 } },
      dave: { secret: 'davepw', read: 'call' },
    },
    listeners: [{ name: 'mtls', bindaddr: '127.0.0.1', tls: { certfile: p.server, privatekey: p.serverKey, cafile: p.ca, verifyclient: true } }],
    general: { loginfailures: { maxfailures: 3, window: 60, lockout: 60 } },
  });
  const ca = await readFile(p.ca);
  const port = h.portOf('mtls');
  const other = { ca, cert: await readFile(p.clientOther), key: await readFile(p.clientOtherKey) };
  const right = { ca, cert: await readFile(p.client), key: await readFile(p.clientKey) };
  // Another CA-signed certificate (another client of the same PKI) with crm's right secret.
  for (let i = 0; i < 3; i++) t.equal(await attempt({ port, localAddress: '127.0.0.21', tls: other }, 'crm', 'crmpw'), FAILED, `wrong certificate ${i + 1} refused`);
  t.match(await attempt({ port, localAddress: '127.0.0.22', tls: right }, 'crm', 'crmpw'), /Message: Authentication accepted/,
    'crm still logs in with its own certificate');
  // Secret guesses are what lock a name: three wrong secrets for dave from three addresses.
  for (const a of ['127.0.0.31', '127.0.0.32', '127.0.0.33']) t.equal(await attempt({ port: h.port, localAddress: a }, 'dave', 'guess'), FAILED);
  t.equal(await attempt({ port: h.port, localAddress: '127.0.0.34' }, 'dave', 'davepw'), FAILED, 'dave is locked after three wrong secrets');
  t.same(failures(h), ['crm:certificate', 'crm:certificate', 'crm:certificate', 'dave:bad-secret', 'dave:bad-secret', 'dave:bad-secret', 'dave:lockout']);
});

async function reloadWith(h: ProxyHarness, users: Record<string, unknown>, loginfailures: Record<string, number>): Promise<void> {
  const c = h.proxy.config;
  const doc = {
    general: { authtimeout: 5, loginfailures },
    listeners: c.listeners.map((l) => ({ name: l.name, bindaddr: l.bindaddr, port: 0 })),
    upstreams: c.upstreams.map((u) => ({ name: u.name, host: u.host, port: u.port, username: u.username, secret: u.secret, connections: u.connections })),
    users,
  };
  await h.proxy.reload((await parseConfig(stringify(doc), '<reload>', {})).config);
}

t.test('a reload keeps counts and lockouts and applies the new limits', async (t) => {
  const users = { alice: { secret: 'alicepw', read: 'call' }, bob: { secret: 'bobpw', read: 'call' } };
  const h = await startProxy(t, { users, general: { loginfailures: { maxfailures: 3, window: 60, lockout: 60 } } });
  for (const a of ['127.0.0.41', '127.0.0.42', '127.0.0.43']) t.equal(await attempt({ port: h.port, localAddress: a }, 'alice', 'guess'), FAILED);
  t.equal(await attempt({ port: h.port, localAddress: '127.0.0.44' }, 'bob', 'guess'), FAILED, 'one wrong secret for bob');

  // A routine reload (a user added, the limits the same): alice stays locked.
  await reloadWith(h, { ...users, erin: { secret: 'erinpw', read: 'call' } }, { maxfailures: 3, window: 60, lockout: 60 });
  t.equal(await attempt({ port: h.port, localAddress: '127.0.0.45' }, 'alice', 'alicepw'), FAILED, 'alice is still locked after the reload');
  t.equal(failures(h).at(-1), 'alice:lockout');

  // New limits: maxfailures 2 counts bob's earlier failure; lockout 2 s shortens alice's running lockout.
  await reloadWith(h, users, { maxfailures: 2, window: 60, lockout: 2 });
  t.equal(await attempt({ port: h.port, localAddress: '127.0.0.46' }, 'bob', 'guess'), FAILED, 'a second wrong secret for bob');
  t.equal(await attempt({ port: h.port, localAddress: '127.0.0.47' }, 'bob', 'bobpw'), FAILED, 'bob is locked: his count survived the reload');
  t.equal(failures(h).at(-1), 'bob:lockout');
  // Alice's lockout began before the 2 s one came in; it ends 2 s after it began.
  await new Promise((r) => setTimeout(r, 2200));
  t.match(await attempt({ port: h.port, localAddress: '127.0.0.48' }, 'alice', 'alicepw'), /Message: Authentication accepted/,
    'the new, shorter lockout applies to the running one');
});
