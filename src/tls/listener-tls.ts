// A listener's TLS material, read and checked before anything starts: the
// certificate, the private key (it must match the certificate), the client CA
// bundle, the protocol floor and the cipher list. One function for start-up,
// reload (proxy.ts) and `amigate check`, so all three accept and refuse the
// same files. Every failure is a one-line TlsError naming the listener and the
// config key (`listeners[1].tls.privatekey: listener "tls": ...`), never a
// stack trace.
//
// Cipher suites: TLS 1.2 gets the forward-secret AEAD suites of the usual
// "intermediate" profile (ECDHE with AES-GCM or ChaCha20-Poly1305); no static
// RSA key exchange, no CBC, no SHA-1 MAC. The DHE suites of that profile are
// left out because Node sets no DH parameters unless given some. TLS 1.3 suites
// are all forward-secret AEAD; Node's default three are kept unless the
// configured list names TLS_* suites of its own.

import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import type { Config, ListenerConfig } from '../config/schema.js';
import { TlsError } from '../errors.js';

/** The TLS 1.2 suites a listener accepts unless `tls.ciphers` says otherwise (OpenSSL names; config/schema.ts DEFAULTS). */
export { DEFAULT_CIPHERS } from '../config/schema.js';

/** Node's TLS 1.3 suites (all AEAD, all forward-secret), used when `ciphers` names none. */
export const TLS13_CIPHERSUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/** What a TLS listener is built from (downstream/listener.ts). */
export interface ListenerTls {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer;
  verifyClient: boolean;
  minVersion: tls.SecureVersion;
  /** Node's `ciphers` option: the TLS 1.2 list and the TLS 1.3 suites, colon-separated. */
  ciphers: string;
}

export interface LoadedListenerTls {
  readonly tls: ListenerTls;
  /** The leaf certificate's end of validity. */
  readonly notAfter: Date;
  readonly subject: string;
}

/**
 * `tls.ciphers` as written -> Node's `ciphers` option. Node sets the TLS 1.3
 * suites from the TLS_* entries and would turn TLS 1.3 off when there are
 * none, so the defaults are added then.
 */
export function nodeCiphers(configured: string): string {
  const entries = configured.split(':').map((s) => s.trim()).filter((s) => s !== '');
  const has13 = entries.some((e) => e.startsWith('TLS_'));
  return (has13 ? entries : [...entries, TLS13_CIPHERSUITES]).join(':');
}

/** Does `configured` name a suite OpenSSL knows? The reason when it does not. */
export function cipherListProblem(configured: string): string | undefined {
  try {
    tls.createSecureContext({ ciphers: nodeCiphers(configured) });
    return undefined;
  } catch (err) {
    return `${JSON.stringify(configured)} is not a cipher list OpenSSL accepts (${errText(err)}); see docs/tls.md`;
  }
}

/** Read and check one listener's TLS files. `index` is its place in `listeners` (for the key path). */
export async function loadListenerTls(l: ListenerConfig, index: number): Promise<LoadedListenerTls> {
  const t = l.tls;
  const at = `listeners[${index}].tls`;
  const fail = (key: string, message: string, cause?: unknown): TlsError =>
    new TlsError(`${at}.${key}: listener ${JSON.stringify(l.name)}: ${message}`, { key: `${at}.${key}`, ...(cause !== undefined ? { cause } : {}) });
  if (!t) throw fail('certfile', 'has no tls');
  const read = async (key: string, file: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (err) {
      throw fail(key, `cannot read ${file} (${fsErrText(err)})`, err);
    }
  };
  const cert = await read('certfile', t.certfile);
  const key = await read('privatekey', t.privatekey);
  const ca = t.cafile !== undefined ? await read('cafile', t.cafile) : undefined;

  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw fail('certfile', `${t.certfile} is not a PEM certificate (${errText(err)})`, err);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch (err) {
    const encrypted = /passphrase|encrypted/i.test(errText(err)) || /ENCRYPTED/.test(key.toString('latin1'));
    throw fail('privatekey', encrypted
      ? `${t.privatekey} is encrypted; amigate needs an unencrypted key (protect it with file permissions)`
      : `${t.privatekey} is not a PEM private key (${errText(err)})`, err);
  }
  if (!x509.checkPrivateKey(keyObject)) throw fail('privatekey', `${t.privatekey} does not match the certificate in ${t.certfile}`);
  if (ca !== undefined) {
    try {
      tls.createSecureContext({ ca });
      new X509Certificate(ca);
    } catch (err) {
      throw fail('cafile', `${t.cafile} is not a PEM CA bundle (${errText(err)})`, err);
    }
  }
  const material: ListenerTls = {
    cert, key, ...(ca !== undefined ? { ca } : {}),
    verifyClient: t.verifyclient,
    minVersion: t.minversion,
    ciphers: nodeCiphers(t.ciphers),
  };
  // Everything together, as the listener will build it (a leaf certificate with a
  // key too small for OpenSSL's security level, for one, only fails here).
  try {
    tls.createSecureContext(secureContextOptions(material));
  } catch (err) {
    throw fail('certfile', `OpenSSL refuses this certificate, key and settings (${errText(err)})`, err);
  }
  return { tls: material, notAfter: new Date(x509.validTo), subject: x509.subject.split('\n').join(',') };
}

/** Every TLS listener's material, by listener name; the first problem throws. */
export async function loadAllListenerTls(config: Pick<Config, 'listeners'>): Promise<Map<string, ListenerTls>> {
  const out = new Map<string, ListenerTls>();
  for (const [i, l] of config.listeners.entries()) {
    if (l.tls) out.set(l.name, (await loadListenerTls(l, i)).tls);
  }
  return out;
}

/**
 * The secure-context part of a TLS listener's options: one function for
 * tls.createServer() and setSecureContext() (which resets every option it is
 * not given), so a reload builds exactly the context the listener started with.
 */
export function secureContextOptions(t: ListenerTls): tls.SecureContextOptions {
  return { cert: t.cert, key: t.key, ...(t.ca ? { ca: t.ca } : {}), minVersion: t.minVersion, ciphers: t.ciphers };
}

/** `ENOENT` rather than Node's message, which repeats the path. */
function fsErrText(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : errText(err);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
