// Listener cipher suites (issue 11 item 10), checked with a real `openssl
// s_client` against the real proxy: by default TLS 1.2 offers only
// forward-secret AEAD suites (no static-RSA key exchange, no CBC, no SHA-1 MAC),
// TLS 1.3 works; `tls.ciphers` narrows a listener's list; a cipher string
// OpenSSL does not accept is a config error with file:line: key.

import t from 'tap';
import { spawn } from 'node:child_process';
import { parseConfig } from '../../../src/config/load.js';
import { ConfigInvalidError } from '../../../src/errors.js';
import { startProxy } from '../../helpers/start-proxy.js';
import { makeTestCerts } from '../../helpers/certs.js';

interface Handshake { ok: boolean; cipher: string | undefined; protocol: string | undefined; output: string }

/** One `openssl s_client` handshake; stdin is empty, so it closes right after. */
function sClient(port: number, args: string[]): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-brief', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        ok: code === 0 && /CONNECTION ESTABLISHED/.test(output),
        cipher: /^Ciphersuite: (\S+)/m.exec(output)?.[1],
        protocol: /^Protocol version: (\S+)/m.exec(output)?.[1],
        output,
      });
    });
  });
}

/** The client offers exactly this TLS 1.2 suite, at security level 0 so the client itself refuses nothing. */
const tls12 = (port: number, suite: string) => sClient(port, ['-tls1_2', '-cipher', `${suite}:@SECLEVEL=0`]);

// Static RSA key exchange (no forward secrecy), CBC, SHA-1 MACs: all accepted by Node's default list.
const WEAK = ['AES128-SHA', 'AES256-SHA256', 'AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA384'];

t.test('openssl is here', async (t) => {
  const v = await new Promise<string>((resolve, reject) => {
    const c = spawn('openssl', ['version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    c.on('error', reject);
    c.on('close', () => resolve(out));
  });
  t.match(v, /^OpenSSL 3\./, 'this test needs the openssl command line (OpenSSL 3)');
});

t.test('default suites: forward-secret AEAD on TLS 1.2, and TLS 1.3', async (t) => {
  const certs = await makeTestCerts(t);
  const h = await startProxy(t, {
    users: {},
    tls: { certfile: certs.paths.server, privatekey: certs.paths.serverKey },
    listeners: [{ name: 'narrow', bindaddr: '127.0.0.1', tls: { certfile: certs.paths.server, privatekey: certs.paths.serverKey, ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' } }],
  });
  const port = h.tlsPort!;
  for (const suite of WEAK) {
    const r = await tls12(port, suite);
    t.notOk(r.ok, `${suite} is refused`);
    t.equal(r.cipher, undefined, `${suite}: no suite negotiated`);
  }
  for (const suite of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']) {
    const r = await tls12(port, suite);
    t.ok(r.ok, `${suite} is accepted`);
    t.equal(r.cipher, suite);
    t.equal(r.protocol, 'TLSv1.2');
  }
  const v13 = await sClient(port, ['-tls1_3', '-ciphersuites', 'TLS_AES_128_GCM_SHA256']);
  t.ok(v13.ok, 'TLS 1.3 is accepted');
  t.equal(v13.cipher, 'TLS_AES_128_GCM_SHA256');
  t.equal(v13.protocol, 'TLSv1.3');
  t.equal(h.logs().filter((l) => l['audit'] === 'connectionRejected' && l['reason'] === 'tls-handshake').length, WEAK.length, 'each refusal is audited');

  // tls.ciphers narrows one listener; TLS 1.3 keeps its default suites.
  const narrow = h.portOf('narrow');
  t.notOk((await tls12(narrow, 'ECDHE-RSA-AES128-GCM-SHA256')).ok, 'a suite left out of tls.ciphers is refused');
  t.equal((await tls12(narrow, 'ECDHE-RSA-AES256-GCM-SHA384')).cipher, 'ECDHE-RSA-AES256-GCM-SHA384', 'the configured one is accepted');
  t.equal((await sClient(narrow, ['-tls1_3'])).protocol, 'TLSv1.3', 'TLS 1.3 still works');
  t.ok((await tls12(narrow, 'AES128-SHA')).ok === false);
});

t.test('a cipher list OpenSSL does not accept is a config error with file:line: key', async (t) => {
  const text = `listeners:
  - name: tls
    port: 0
    tls:
      certfile: server.crt
      privatekey: server.key
      ciphers: "NOT-A-CIPHER:ALSO-NOT"
upstreams: [{ host: 127.0.0.1, username: a, secret: b }]
`;
  const err = await parseConfig(text, '/etc/amigate/amigate.yaml', {}).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof ConfigInvalidError, 'refused');
  const p = (err as ConfigInvalidError).problems;
  t.equal(p.length, 1);
  t.match(p[0], { file: '/etc/amigate/amigate.yaml', line: 7, key: 'listeners[0].tls.ciphers', message: /is not a cipher list OpenSSL accepts/ });
});
