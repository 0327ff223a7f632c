import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePki } from '../../../src/tls/certs.js';
import { loadListenerTls, nodeCiphers, cipherListProblem, DEFAULT_CIPHERS, TLS13_CIPHERSUITES } from '../../../src/tls/listener-tls.js';
import { TlsError } from '../../../src/errors.js';
import type { ListenerConfig } from '../../../src/config/schema.js';
import { testPki } from '../../helpers/certs.js';

const listener = (tls: Partial<NonNullable<ListenerConfig['tls']>>): ListenerConfig => ({
  name: 'public', protocol: 'ami', bindaddr: '127.0.0.1', port: 0, insecure: false, http: undefined, websocket: undefined, console: false, proxyprotocol: undefined, trustedproxies: [],
  tls: { certfile: '', privatekey: '', cafile: undefined, verifyclient: false, minversion: 'TLSv1.2', ciphers: DEFAULT_CIPHERS, ...tls },
});

t.test('nodeCiphers keeps TLS 1.3 unless TLS_* suites are named', async (t) => {
  t.equal(nodeCiphers('ECDHE-RSA-AES128-GCM-SHA256'), `ECDHE-RSA-AES128-GCM-SHA256:${TLS13_CIPHERSUITES}`);
  t.equal(nodeCiphers('ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256'), 'ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256');
  t.equal(cipherListProblem(DEFAULT_CIPHERS), undefined);
  t.match(cipherListProblem('RC5-NOPE'), /is not a cipher list OpenSSL accepts/);
  t.notMatch(DEFAULT_CIPHERS, /CBC|SHA:|-SHA$|^AES|:AES|DHE-RSA-AES128-SHA|RSA-AES128-SHA256/, 'no CBC, SHA-1 or static-RSA suite in the default');
});

t.test('each bad file is a TlsError naming the key and the listener', async (t) => {
  const pem = await testPki();
  const dir = t.testdir({});
  const p = await writePki(dir, pem, { force: true });
  const enc = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  await writeFile(join(dir, 'enc.key'), enc.privateKey);
  await writeFile(join(dir, 'junk.pem'), 'not pem\n');
  const cases: Array<[string, Partial<NonNullable<ListenerConfig['tls']>>, string, RegExp]> = [
    ['missing key', { certfile: p.server, privatekey: join(dir, 'no.key') }, 'privatekey', /cannot read \S+no\.key \(ENOENT\)/],
    ['junk certificate', { certfile: join(dir, 'junk.pem'), privatekey: p.serverKey }, 'certfile', /is not a PEM certificate/],
    ['certificate as key', { certfile: p.server, privatekey: p.server }, 'privatekey', /is not a PEM private key/],
    ['encrypted key', { certfile: p.server, privatekey: join(dir, 'enc.key') }, 'privatekey', /is encrypted; amigate needs an unencrypted key/],
    ['mismatch', { certfile: p.server, privatekey: p.clientKey }, 'privatekey', /does not match the certificate in/],
    ['junk CA', { certfile: p.server, privatekey: p.serverKey, cafile: join(dir, 'junk.pem') }, 'cafile', /is not a PEM CA bundle/],
  ];
  for (const [what, tls, key, msg] of cases) {
    const err = await loadListenerTls(listener(tls), 2).then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof TlsError, `${what}: TlsError`);
    t.equal((err as TlsError).key, `listeners[2].tls.${key}`, `${what}: key`);
    t.match((err as TlsError).message, new RegExp(`^listeners\\[2\\]\\.tls\\.${key}: listener "public": .*${msg.source}`), `${what}: message`);
    t.notMatch((err as TlsError).message, /\n/, `${what}: one line`);
  }
  const ok = await loadListenerTls(listener({ certfile: p.server, privatekey: p.serverKey, cafile: p.ca }), 0);
  t.ok(ok.notAfter.getTime() > Date.now() + 300 * 86_400_000, 'a year of validity');
  t.match(ok.subject, /^CN=localhost/);
});
