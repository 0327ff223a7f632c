// SIGHUP swaps a TLS listener's certificate (issue 5, TLS listener reload):
// new handshakes see the new certificate, established sessions stay, and the
// protocol floor survives. tls.Server#setSecureContext() resets every option
// it is not given, so a context rebuilt from cert and key alone let a
// TLSv1.3-only listener accept TLSv1.2 after a reload; this test fails then.

import t from 'tap';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import { makeDevPki, writePki } from '../../../src/tls/certs.js';
import { startProxy, waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { makeTestCerts } from '../../helpers/certs.js';

type Harness = Awaited<ReturnType<typeof startProxy>>;

/** The running config with the TLS listener's `tls` replaced. */
async function withTls(h: Harness, tlsConf: Record<string, unknown>) {
  const c = h.proxy.config;
  const doc = {
    general: { authtimeout: 5 },
    listeners: c.listeners.map((l) => ({ name: l.name, bindaddr: l.bindaddr, port: 0, ...(l.tls ? { tls: tlsConf } : {}) })),
    upstreams: c.upstreams.map((u) => ({ name: u.name, host: u.host, port: u.port, username: u.username, secret: u.secret, connections: u.connections })),
    log: { level: 'debug' },
    users: { alice: { secret: 'pw', read: 'system' } },
  };
  return (await parseConfig(stringify(doc), '<reload>', {})).config;
}

/** Handshake, then report the server certificate's fingerprint and the protocol; or the error. */
function probe(port: number, opts: tls.ConnectionOptions = {}): Promise<{ fingerprint256?: string; protocol?: string | null; err?: string }> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost', ...opts }, () => {
      const r = { fingerprint256: s.getPeerCertificate().fingerprint256, protocol: s.getProtocol() };
      s.destroy();
      resolve(r);
    });
    s.once('error', (e: NodeJS.ErrnoException) => { s.destroy(); resolve({ err: e.code ?? e.message }); });
    s.setTimeout(5000, () => { s.destroy(); resolve({ err: 'timeout' }); });
  });
}

t.test('a certificate reload: new cert for new handshakes, sessions stay, TLS floor holds', async (t) => {
  const certs = await makeTestCerts(t);
  const h = await startProxy(t, {
    users: { alice: { secret: 'pw', read: 'system' } },
    tls: { certfile: certs.paths.server, privatekey: certs.paths.serverKey, minversion: 'TLSv1.3' },
  });
  const port = h.tlsPort!;
  const oldFp = new X509Certificate(certs.pem.server.cert).fingerprint256;

  const a = await TestClient.connect({ port, tls: { ca: certs.pem.ca.cert } });
  t.teardown(() => a.close());
  t.equal((await a.login('alice', 'pw')).get('Message'), 'Authentication accepted');
  t.equal((a.socket as tls.TLSSocket).getPeerCertificate().fingerprint256, oldFp);

  const before12 = await probe(port, { maxVersion: 'TLSv1.2' });
  t.ok(before12.err, `TLSv1.2 refused before the reload (${before12.err})`);

  // A new certificate from another CA, in new files.
  const pki2 = await makeDevPki();
  const dir2 = t.testdir({});
  const paths2 = await writePki(dir2, pki2, { force: true });
  const newFp = new X509Certificate(pki2.server.cert).fingerprint256;
  t.not(newFp, oldFp);
  await h.proxy.reload(await withTls(h, { certfile: paths2.server, privatekey: paths2.serverKey, minversion: 'TLSv1.3' }));

  const after = await probe(port);
  t.equal(after.fingerprint256, newFp, 'a new connection sees the new certificate');
  t.equal(after.protocol, 'TLSv1.3');
  const after12 = await probe(port, { maxVersion: 'TLSv1.2' });
  t.ok(after12.err, `TLSv1.2 still refused after the reload (${after12.err})`);
  t.notOk(after12.fingerprint256, 'no TLSv1.2 handshake completed');
  const trusted = await TestClient.connect({ port, tls: { ca: pki2.ca.cert } });
  t.teardown(() => trusted.close());
  t.equal((await trusted.login('alice', 'pw')).get('Message'), 'Authentication accepted', 'the new chain verifies');

  // The session opened before the reload is untouched and still answers.
  t.equal(a.closed, false, 'the established session stays');
  t.equal((await a.action([['Action', 'Ping']])).get('Ping'), 'Pong');
  t.equal((a.socket as tls.TLSSocket).getPeerCertificate().fingerprint256, oldFp, 'and keeps its handshake');
  const aId = h.logs().find((l) => l['audit'] === 'loginSucceeded')!['session'];
  t.notOk(h.logs().some((l) => l['audit'] === 'sessionClosed' && l['session'] === aId), 'its session was not closed');

  // Lowering the floor applies to new handshakes too (the same function builds both contexts).
  await h.proxy.reload(await withTls(h, { certfile: paths2.server, privatekey: paths2.serverKey, minversion: 'TLSv1.2' }));
  const lowered = await probe(port, { maxVersion: 'TLSv1.2' });
  t.equal(lowered.protocol, 'TLSv1.2', 'minversion TLSv1.2 after a reload admits TLSv1.2');
  t.equal(lowered.fingerprint256, newFp);
});

t.test('verifyclient cannot change on a live listener: the reload warns and keeps it', async (t) => {
  const certs = await makeTestCerts(t);
  const h = await startProxy(t, {
    users: { alice: { secret: 'pw', read: 'system' } },
    tls: { certfile: certs.paths.server, privatekey: certs.paths.serverKey },
  });
  await h.proxy.reload(await withTls(h, { certfile: certs.paths.server, privatekey: certs.paths.serverKey, cafile: certs.paths.ca, verifyclient: true }));
  await waitUntil(() => h.logs().some((l) => /need a restart/.test(String(l['msg']))), 2000, 'restart warning');
  const warn = h.logs().find((l) => /need a restart/.test(String(l['msg'])))!;
  t.equal(warn['level'], 'warn', 'a warning');
  t.same(warn['keys'], ['tls.verifyclient']);
  t.equal(warn['listener'], 'tls');
  const r = await probe(h.tlsPort!);
  t.notOk(r.err, 'a client without a certificate is still admitted until the restart');
});
