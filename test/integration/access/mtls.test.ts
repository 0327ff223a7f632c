// mTLS through the proxy (issue 4 item 6): a verifyclient listener wants a
// certificate signed by its cafile; a user bound to a certificate subject or
// fingerprint logs in only over that certificate, whatever its secret.

import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { makeTestCerts } from '../../helpers/certs.js';
import { makeDevPki, writePki } from '../../../src/tls/certs.js';

t.test('verifyclient and certificate binding', async (t) => {
  const certs = await makeTestCerts(t);
  const p = certs.paths;
  const clientCert = new X509Certificate(await readFile(p.client));
  const subject = clientCert.subject.split('\n').join(',');
  const h = await startProxy(t, {
    users: {
      bysubject: { secret: 'pw', read: 'call', certificate: { subject } },
      byprint: { secret: 'pw', read: 'call', certificate: { fingerprint256: clientCert.fingerprint256 } },
      free: { secret: 'pw', read: 'call' },
    },
    listeners: [{ name: 'mtls', bindaddr: '127.0.0.1', tls: { certfile: p.server, privatekey: p.serverKey, cafile: p.ca, verifyclient: true } }],
    tls: { certfile: p.server, privatekey: p.serverKey },
  });
  const ca = await readFile(p.ca);
  const mtls = h.portOf('mtls');
  const withCert = async (cert: string, key: string, port = mtls) =>
    TestClient.connect({ port, tls: { ca, cert: await readFile(cert), key: await readFile(key) } });
  const loginReply = async (c: TestClient, user: string) => {
    t.teardown(() => c.close());
    await c.waitBanner();
    c.write(`Action: Login\r\nUsername: ${user}\r\nSecret: pw\r\n\r\n`);
    return (await c.waitFor((m) => m.isResponse, 4000)).get('Message');
  };

  const right = await Promise.all([
    loginReply(await withCert(p.client, p.clientKey), 'bysubject'),
    loginReply(await withCert(p.client, p.clientKey), 'byprint'),
    loginReply(await withCert(p.clientOther, p.clientOtherKey), 'free'),
  ]);
  t.same(right, ['Authentication accepted', 'Authentication accepted', 'Authentication accepted'], 'the right certificate logs in; an unbound user needs only a valid one');

  const wrong = await Promise.all([
    loginReply(await withCert(p.clientOther, p.clientOtherKey), 'bysubject'),
    loginReply(await withCert(p.clientOther, p.clientOtherKey), 'byprint'),
    // The TLS listener without verifyclient: no certificate, so a bound user cannot log in there.
    loginReply(await TestClient.connect({ port: h.tlsPort!, tls: { ca } }), 'bysubject'),
    loginReply(await TestClient.connect({ port: h.port }), 'byprint'),
  ]);
  t.same(wrong, Array(4).fill('Authentication failed'), 'another CA-signed certificate, or none, cannot log in as a bound user');
  const reasons = h.logs().filter((l) => l['audit'] === 'loginFailed').map((l) => l['reason']);
  t.same(reasons, ['certificate', 'certificate', 'certificate', 'certificate'], 'the operator sees why');

  // No certificate, or one from another CA: the handshake itself fails.
  const refused = async (opts: { cert?: Buffer; key?: Buffer }) => {
    try {
      const c = await TestClient.connect({ port: mtls, tls: { ca, ...opts } });
      // TLS 1.3 reports the client-certificate failure after the handshake.
      const banner = await c.waitBanner(2000).catch(() => undefined);
      await Promise.race([c.closedPromise, new Promise((r) => setTimeout(r, 2000))]);
      return { banner, closed: c.closed };
    } catch (e) {
      return { error: (e as NodeJS.ErrnoException).code ?? String(e) };
    }
  };
  // Refused means refused: a handshake error, or a connection the server closed
  // without a banner. A connection that merely hangs must fail this.
  const none = await refused({});
  t.ok('error' in none || (none.closed === true && none.banner === undefined), `no certificate: refused (${JSON.stringify(none)})`);
  const untrusted = await refused({ cert: await readFile(p.untrusted), key: await readFile(p.untrustedKey) });
  t.ok('error' in untrusted || (untrusted.closed === true && untrusted.banner === undefined), `untrusted certificate: refused (${JSON.stringify(untrusted)})`);
  t.equal(h.logs().filter((l) => l['audit'] === 'loginSucceeded').length, 3, 'nothing else logged in');
});

t.test('subject binding: a CN containing "," or "=" cannot pose as other attributes (RFC 4514 escaping)', async (t) => {
  // A CA-signed certificate whose CN the holder chose: CN="crm,O=Example", O=Acme.
  // Unescaped it printed as CN=crm,O=Example,O=Acme: a CN=crm certificate with two O's.
  const pki = await makeDevPki({ clientCn: 'crm,O=Example', organization: 'Acme' });
  const p = await writePki(t.testdir({}), pki, { force: true });
  t.equal(pki.client.subject, 'CN=crm\\,O=Example,O=Acme', 'the dev PKI prints the subject escaped too');
  const h = await startProxy(t, {
    users: {
      // What an operator writes for the real crm certificate (CN=crm, O=Example, O=Acme).
      victim: { secret: 'pw', read: 'call', certificate: { subject: 'CN=crm,O=Example,O=Acme' } },
      // The escaped form names the odd CN itself, in either escape style and any type case.
      odd: { secret: 'pw', read: 'call', certificate: { subject: 'CN=crm\\,O=Example,O=Acme' } },
      oddhex: { secret: 'pw', read: 'call', certificate: { subject: 'cn = crm\\2cO\\3dExample, o = Acme' } },
    },
    listeners: [{ name: 'mtls', bindaddr: '127.0.0.1', tls: { certfile: p.server, privatekey: p.serverKey, cafile: p.ca, verifyclient: true } }],
  });
  const ca = await readFile(p.ca);
  const login = async (user: string) => {
    const c = await TestClient.connect({ port: h.portOf('mtls'), tls: { ca, cert: await readFile(p.client), key: await readFile(p.clientKey) } });
    t.teardown(() => c.close());
    await c.waitBanner();
    c.write(`Action: Login\r\nUsername: ${user}\r\nSecret: pw\r\n\r\n`);
    return (await c.waitFor((m) => m.isResponse, 4000)).get('Message');
  };
  t.equal(await login('victim'), 'Authentication failed', 'the crafted CN does not match the CN=crm binding');
  t.equal(await login('odd'), 'Authentication accepted', 'the escaped binding matches it');
  t.equal(await login('oddhex'), 'Authentication accepted', 'hex escapes, blanks and lower-case types normalise the same way');
  t.same(h.logs().filter((l) => l['audit'] === 'loginFailed').map((l) => l['reason']), ['certificate']);
});
