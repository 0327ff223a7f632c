import t from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import forge from 'node-forge';
import { defaultConnector } from '../../../src/upstream/connector.js';
import type { UpstreamConfig } from '../../../src/upstream/types.js';
import { UpstreamClosedError } from '../../../src/errors.js';

function cfg(port: number, over: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { name: 'pbx1', host: '127.0.0.1', port, username: 'admin', secret: 'x', connections: 1, keepalive: 0, keepalivemisses: 3, ...over };
}

/** A self-signed server certificate for localhost / 127.0.0.1 (keys from node:crypto: forge's RSA keygen is slow). */
function selfSigned(): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const c = forge.pki.createCertificate();
  c.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  c.serialNumber = '01';
  c.validity.notBefore = new Date(Date.now() - 60_000);
  c.validity.notAfter = new Date(Date.now() + 3600_000);
  const attrs = [{ name: 'commonName', value: 'localhost' }];
  c.setSubject(attrs);
  c.setIssuer(attrs);
  c.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
  ]);
  c.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(c), key: keyPem };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

async function firstLine(s: Duplex): Promise<string> {
  return new Promise((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
}

t.test('plain TCP: connects and carries bytes', async (t) => {
  const server = net.createServer((s) => s.end('Asterisk Call Manager/11.0.0\r\n'));
  const port = await listen(server);
  t.teardown(() => server.close());
  const s = await defaultConnector(cfg(port));
  t.teardown(() => s.destroy());
  t.equal(await firstLine(s), 'Asterisk Call Manager/11.0.0\r\n');
});

t.test('connection refused is an UpstreamClosedError with its cause', async (t) => {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((r) => server.close(() => r()));
  const err = await defaultConnector(cfg(port)).then(() => undefined, (e: unknown) => e);
  t.type(err, UpstreamClosedError);
  t.match((err as Error).message, /ECONNREFUSED/);
  t.ok((err as Error).cause);
});

t.test('an aborted attempt rejects and leaves no socket', async (t) => {
  const server = net.createServer(() => {});
  const port = await listen(server);
  t.teardown(() => server.close());
  const ac = new AbortController();
  ac.abort();
  await t.rejects(defaultConnector(cfg(port), { signal: ac.signal }), UpstreamClosedError);
  const ac2 = new AbortController();
  const p = defaultConnector(cfg(port), { signal: ac2.signal });
  ac2.abort();
  await t.rejects(p, UpstreamClosedError);
});

t.test('TLS: verified with ca / cafile, refused when untrusted, allowed with rejectunauthorized: false', async (t) => {
  const { cert, key } = selfSigned();
  const server = tls.createServer({ cert, key, minVersion: 'TLSv1.2' }, (s) => s.end('Asterisk Call Manager/11.0.0\r\n'));
  server.on('tlsClientError', () => {});
  const port = await listen(server);
  t.teardown(() => server.close());

  const a = await defaultConnector(cfg(port, { tls: { ca: cert, servername: 'localhost' } }));
  t.equal(await firstLine(a), 'Asterisk Call Manager/11.0.0\r\n');
  t.equal((a as tls.TLSSocket).authorized, true);
  a.destroy();

  const dir = t.testdir({});
  const cafile = join(dir, 'ca.crt');
  writeFileSync(cafile, cert);
  const b = await defaultConnector(cfg(port, { tls: { cafile } }));
  t.equal((b as tls.TLSSocket).authorized, true, 'IP host verified against the IP SAN');
  b.destroy();

  const err = await defaultConnector(cfg(port, { tls: {} })).then(() => undefined, (e: unknown) => e);
  t.type(err, UpstreamClosedError, 'untrusted certificate refused by default');

  const c = await defaultConnector(cfg(port, { tls: { rejectunauthorized: false } }));
  t.equal((c as tls.TLSSocket).authorized, false);
  c.destroy();
});
