import t, { type Test } from 'tap';
import tls from 'node:tls';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { makeDevPki, writeDevPki, writePki, DEV_PKI_FILES } from '../../../src/tls/certs.js';
import { makeTestCerts, testPki, TEST_CLIENT_CN, TEST_OTHER_CLIENT_CN } from '../../helpers/certs.js';

const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** Start a TLS server on 127.0.0.1:0 that records each secure connection. */
async function tlsServer(t: Test, opts: tls.TlsOptions) {
  const seen: tls.TLSSocket[] = [];
  const server = tls.createServer({ minVersion: 'TLSv1.2', ...opts }, (sock) => {
    seen.push(sock);
    sock.end('hello\n');
  });
  server.on('tlsClientError', () => { /* the client side asserts */ });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, seen };
}

/** Connect and read until the server closes; resolves with what happened. */
interface Outcome { ok: boolean; data: string; error?: Error; protocol: string | null; authorized: boolean }
function connect(opts: tls.ConnectionOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    let data = '';
    let error: Error | undefined;
    let protocol: string | null = null;
    let authorized = false;
    const sock = tls.connect({ host: '127.0.0.1', ...opts }, () => {
      protocol = sock.getProtocol();
      authorized = sock.authorized;
    });
    sock.setTimeout(3000, () => sock.destroy(new Error('timeout')));
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => { data += d; });
    sock.on('error', (e) => { error = e; });
    sock.on('close', () => resolve({ ok: error === undefined && data === 'hello\n', data, ...(error ? { error } : {}), protocol, authorized }));
  });
}

t.test('makeDevPki: well-formed CA, server and client certificates, fast enough for tests', async (t) => {
  const start = performance.now();
  const pki = await makeDevPki({ clientCn: 'crm', otherClientCn: 'crm2', serverNames: ['ami.example'], serverIps: ['10.0.0.5'] });
  const ms = performance.now() - start;
  t.comment(`makeDevPki with 4 RSA-2048 keys: ${ms.toFixed(0)} ms`);
  // Idle: well under a second (native key generation); the bound leaves room for a loaded CI.
  t.ok(ms < 20000, 'well under the test timeout');

  const ca = new X509Certificate(pki.ca.cert);
  const server = new X509Certificate(pki.server.cert);
  const client = new X509Certificate(pki.client.cert);
  t.ok(ca.ca, 'CA has basicConstraints cA');
  t.notOk(server.ca);
  t.notOk(client.ca);
  t.ok(ca.verify(ca.publicKey), 'CA is self-signed');
  t.ok(server.checkIssued(ca) && server.verify(ca.publicKey), 'server signed by the CA');
  t.ok(client.checkIssued(ca) && client.verify(ca.publicKey), 'client signed by the CA');
  t.ok(ca.checkPrivateKey(createPrivateKey(pki.ca.key)));
  t.ok(server.checkPrivateKey(createPrivateKey(pki.server.key)));
  t.ok(client.checkPrivateKey(createPrivateKey(pki.client.key)));
  t.equal(createPrivateKey(pki.server.key).asymmetricKeyDetails?.modulusLength, 2048);

  t.same(server.keyUsage, [OID_SERVER_AUTH], 'server EKU serverAuth only');
  t.same(client.keyUsage, [OID_CLIENT_AUTH], 'client EKU clientAuth only');
  const san = server.subjectAltName ?? '';
  for (const want of ['DNS:localhost', 'DNS:ami.example', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', 'IP Address:10.0.0.5']) {
    t.ok(san.includes(want), `SAN has ${want} (${san})`);
  }
  t.equal(server.checkHost('localhost'), 'localhost');
  t.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
  t.equal(server.checkIP('::1'), '::1');
  t.equal(tls.checkServerIdentity('::1', { subjectaltname: san, subject: { CN: 'localhost' } } as unknown as tls.PeerCertificate), undefined, 'Node accepts ::1 too');

  t.equal(pki.client.fingerprint256, client.fingerprint256, 'fingerprint in Node format');
  t.equal(pki.client.subject, 'CN=crm,O=amigate dev');
  t.equal(pki.clientOther?.cn, 'crm2');
  t.not(pki.clientOther?.fingerprint256, pki.client.fingerprint256);
  t.equal(pki.untrusted, undefined, 'untrusted only on request');
  t.ok(new Date(server.validFrom).getTime() < Date.now() - 30 * 60_000, 'backdated for clock skew');
  t.ok(new Date(ca.validTo).getTime() > new Date(server.validTo).getTime(), 'CA outlives its leaves');
  t.not(server.serialNumber, client.serialNumber, 'distinct serials');
});

t.test('TLS 1.2+ server with the dev certificate; the client trusts only the dev CA', async (t) => {
  const pki = await testPki();
  const srv = await tlsServer(t, { cert: pki.server.cert, key: pki.server.key });

  const good = await connect({ port: srv.port, ca: pki.ca.cert, servername: 'localhost', minVersion: 'TLSv1.2' });
  t.ok(good.ok, `handshake and data (${good.error?.message ?? ''})`);
  t.match(good.protocol, /^TLSv1\.[23]$/);
  t.ok(good.authorized);

  const tls12 = await connect({ port: srv.port, ca: pki.ca.cert, servername: 'localhost', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  t.ok(tls12.ok, 'TLS 1.2 works');
  t.equal(tls12.protocol, 'TLSv1.2');

  const byIp = await connect({ port: srv.port, ca: pki.ca.cert });
  t.ok(byIp.ok, `by IP 127.0.0.1 without servername (SAN IP) (${byIp.error?.message ?? ''})`);

  const noCa = await connect({ port: srv.port, servername: 'localhost' });
  t.notOk(noCa.ok, 'without the dev CA the server is not trusted');
  t.match(noCa.error, { code: /SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY/ });

  const wrongName = await connect({ port: srv.port, ca: pki.ca.cert, servername: 'example.com' });
  t.notOk(wrongName.ok, 'a name outside the SAN is refused');
  t.match(wrongName.error, { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });

  const old = await connect({ port: srv.port, ca: pki.ca.cert, servername: 'localhost', minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
  t.notOk(old.ok, 'TLS 1.0/1.1 refused by a minVersion TLSv1.2 server');
});

t.test('mutual TLS: requestCert + rejectUnauthorized accepts only CA-signed client certificates', async (t) => {
  const pki = await testPki();
  const srv = await tlsServer(t, { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true });
  const base = { port: srv.port, ca: pki.ca.cert, servername: 'localhost' };

  const good = await connect({ ...base, cert: pki.client.cert, key: pki.client.key });
  t.ok(good.ok, `client certificate accepted (${good.error?.message ?? ''})`);
  const s = srv.seen.at(-1)!;
  t.ok(s.authorized);
  const peer = s.getPeerCertificate();
  t.equal(peer.fingerprint256, pki.client.fingerprint256, 'fingerprint matches peerCert.fingerprint256');
  t.equal(peer.subject.CN, TEST_CLIENT_CN);
  const subject = Object.entries(peer.subject).map(([k, v]) => `${k}=${String(v)}`).join(',');
  t.equal(subject, pki.client.subject, 'subject matches the listener rendering');

  const other = await connect({ ...base, cert: pki.clientOther.cert, key: pki.clientOther.key });
  t.ok(other.ok, 'the second client is trusted too');
  const otherPeer = srv.seen.at(-1)!.getPeerCertificate();
  t.equal(otherPeer.subject.CN, TEST_OTHER_CLIENT_CN);
  t.equal(otherPeer.fingerprint256, pki.clientOther.fingerprint256);
  t.not(otherPeer.fingerprint256, pki.client.fingerprint256, 'fingerprint pinning can tell them apart');

  const before = srv.seen.length;
  const none = await connect(base);
  t.notOk(none.ok, 'no client certificate: refused');
  const untrusted = await connect({ ...base, cert: pki.untrusted.cert, key: pki.untrusted.key });
  t.notOk(untrusted.ok, 'self-signed client certificate with the same CN: refused');
  const serverAsClient = await connect({ ...base, cert: pki.server.cert, key: pki.server.key });
  t.notOk(serverAsClient.ok, 'the server certificate (serverAuth EKU only) is refused as a client certificate');
  t.equal(srv.seen.length, before, 'no refused client reached the secure connection handler');
});

t.test('writeDevPki: six files, keys 0600, no overwrite without force', async (t) => {
  const dir = join(t.testdir({}), 'nested', 'dev');
  const { paths, pki } = await writeDevPki(dir, { clientCn: 'ops' });
  t.same(Object.values(paths).map((p) => p.slice(dir.length + 1)).sort(), [...DEV_PKI_FILES].sort());
  for (const [name, p] of Object.entries(paths)) {
    const mode = (await stat(p)).mode & 0o777;
    if (name.endsWith('Key')) t.equal(mode, 0o600, `${name} is 0600`);
    else t.equal(mode & 0o077 & ~0o044, 0, `${name} not group/world writable`);
  }
  t.equal(await readFile(paths.client, 'utf8'), pki.client.cert);
  t.equal(pki.client.cn, 'ops');

  await t.rejects(writeDevPki(dir), { code: 'AMIGATE_ERR_TLS', message: /refusing to overwrite/ });
  t.equal(await readFile(paths.client, 'utf8'), pki.client.cert, 'untouched after the refusal');

  await writeFile(paths.caKey, 'old', { mode: 0o644 });
  const other = await testPki();
  await writePki(dir, other, { force: true });
  t.equal(await readFile(paths.client, 'utf8'), other.client.cert, 'force overwrites');
  t.equal(await readFile(paths.caKey, 'utf8'), other.ca.key);
  t.equal((await stat(paths.caKey)).mode & 0o777, 0o600, 'an overwritten key is made 0600 again');
});

t.test('writePki refuses if only one file exists', async (t) => {
  const pki = await testPki();
  const dir = t.testdir({ 'server.key': 'keep me' });
  await t.rejects(writePki(dir, pki), { code: 'AMIGATE_ERR_TLS', message: /server\.key/ });
  t.equal(await readFile(join(dir, 'server.key'), 'utf8'), 'keep me');
  await t.rejects(stat(join(dir, 'ca.crt')), 'nothing written');
});

t.test('makeDevPki wraps failures in TlsError', async (t) => {
  await t.rejects(makeDevPki({ keyBits: 100 }), { code: 'AMIGATE_ERR_TLS' });
  await t.rejects(makeDevPki({ serverIps: ['not-an-ip'] }), { code: 'AMIGATE_ERR_TLS', message: /not an IP/ });
  await t.rejects(makeDevPki({ clientCn: '' }), { code: 'AMIGATE_ERR_TLS' });
  await t.rejects(makeDevPki({ clientCn: 'x'.repeat(65) }), { code: 'AMIGATE_ERR_TLS' });
});

t.test('makeTestCerts writes the cached PKI into the test directory', async (t) => {
  const a = await t.test('one', async (t) => { t.pass(); return makeTestCerts(t); }).then(() => makeTestCerts(t));
  let b: Awaited<ReturnType<typeof makeTestCerts>> | undefined;
  await t.test('two', async (t) => { b = await makeTestCerts(t); t.ok(b); });
  t.equal(a.pem, b!.pem, 'generated once per process');
  t.not(a.dir, b!.dir, 'each test gets its own directory');
  for (const p of Object.values(a.paths)) t.ok((await stat(p)).isFile(), p);
  t.equal(await readFile(a.paths.untrusted, 'utf8'), a.pem.untrusted.cert);
});
