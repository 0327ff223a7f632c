// Development PKI: a throwaway CA, a server certificate for loopback and client
// certificates for mutual TLS (`amigate certs`, `npm run demo`, tests).
// node-forge builds the X.509 certificates, because node:crypto can read
// certificates but cannot issue them. node:crypto makes the RSA keys (native,
// on the libuv pool, in parallel) and computes the signatures: forge's pure-JS
// RSA takes ~100 ms per signature, native signing well under 1 ms. Never use
// these certificates in production.

import { generateKeyPair, createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { access, chmod, mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import { TlsError } from '../errors.js';
import { escapeRdnValue } from '../auth/subject.js';

export interface KeyPairPem { cert: string; key: string }
export interface ClientPem extends KeyPairPem {
  /** SHA-256 of the DER certificate as Node prints it (`AB:CD:…`), i.e. `peerCert.fingerprint256`. */
  fingerprint256: string;
  /** Subject as the listener formats it (`CN=…,O=…`, in certificate order). */
  subject: string;
  cn: string;
}

export interface DevPki {
  ca: KeyPairPem;
  server: KeyPairPem;
  client: ClientPem;
  /** A second client of the same CA (another identity), when `otherClientCn` was given. */
  clientOther?: ClientPem;
  /** A self-signed client certificate no CA vouches for, when `untrustedClient` was set. */
  untrusted?: ClientPem;
}

export interface DevPkiOptions {
  /** CN of the client certificate. @default 'amigate-dev-client' */
  clientCn?: string;
  /** Also make `clientOther` with this CN. @default undefined (not made) */
  otherClientCn?: string;
  /** Also make an `untrusted` self-signed client certificate (for rejection tests). @default false */
  untrustedClient?: boolean;
  /** Extra DNS names for the server certificate, besides localhost. @default [] */
  serverNames?: string[];
  /** Extra IP addresses for the server certificate, besides 127.0.0.1 and ::1. @default [] */
  serverIps?: string[];
  /** RSA modulus size. 2048 is the smallest size current OpenSSL security levels accept. @default 2048 */
  keyBits?: number;
  /** Validity of the leaf certificates in days (the CA gets ten times as long). @default 365 */
  days?: number;
  /** Organisation in every subject. @default 'amigate dev' */
  organization?: string;
}

export const DEV_PKI_FILES = ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'client.crt', 'client.key'] as const;
export type DevPkiPaths = Record<'ca' | 'caKey' | 'server' | 'serverKey' | 'client' | 'clientKey', string>;

interface Keys { privatePem: string; publicPem: string }

function rsaKeys(bits: number): Promise<Keys> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', {
      modulusLength: bits,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    }, (err, publicPem, privatePem) => {
      if (err) reject(new TlsError(`RSA key generation failed: ${err.message}`, { cause: err }));
      else resolve({ privatePem, publicPem });
    });
  });
}

type Attr = { shortName: string; value: string };
type Ext = Record<string, unknown>;

function subjectAttrs(cn: string, org: string): Attr[] {
  // CN first, so the listener's `CN=…,O=…` rendering reads the way operators write it.
  return [{ shortName: 'CN', value: cn }, { shortName: 'O', value: org }];
}

function serial(): string {
  // RFC 5280 4.1.2.2: positive, at most 20 octets.
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f | 0x01;
  return b.toString('hex');
}

function issue(opts: {
  subject: Attr[]; issuer: Attr[]; publicPem: string; signerPem: string; days: number; extensions: Ext[];
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(opts.publicPem);
  cert.serialNumber = serial();
  // Backdate an hour so a peer whose clock runs slightly behind accepts it.
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 3600_000);
  cert.validity.notAfter = new Date(now + opts.days * 86400_000);
  cert.setSubject(opts.subject);
  cert.setIssuer(opts.issuer);
  cert.setExtensions(opts.extensions);
  signNative(cert, opts.signerPem);
  return cert;
}

/** What forge's cert.sign(key, sha256) does (lib/x509.js), with node:crypto computing the signature. */
function signNative(cert: forge.pki.Certificate, signerPem: string): void {
  const c = cert as forge.pki.Certificate & { md: unknown; siginfo: { algorithmOid: string }; tbsCertificate: forge.asn1.Asn1 };
  c.md = forge.md.sha256.create();
  c.signatureOid = c.siginfo.algorithmOid = forge.pki.oids['sha256WithRSAEncryption']!;
  c.tbsCertificate = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(c);
  const tbs = Buffer.from(forge.asn1.toDer(c.tbsCertificate).getBytes(), 'binary');
  c.signature = sign('sha256', tbs, createPrivateKey(signerPem)).toString('binary');
}

function fingerprint256(cert: forge.pki.Certificate): string {
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}

function leafExtensions(purpose: 'serverAuth' | 'clientAuth', caCert: forge.pki.Certificate | undefined): Ext[] {
  const ext: Ext[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', [purpose]: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (caCert) ext.push({ name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() });
  return ext;
}

function clientPem(cn: string, org: string, keys: Keys, cert: forge.pki.Certificate): ClientPem {
  return {
    cert: forge.pki.certificateToPem(cert),
    key: keys.privatePem,
    fingerprint256: fingerprint256(cert),
    subject: subjectAttrs(cn, org).map((a) => `${a.shortName}=${escapeRdnValue(String(a.value))}`).join(','),
    cn,
  };
}

/** Make a dev CA, a loopback server certificate and client certificates, as PEM strings. */
export async function makeDevPki(opts: DevPkiOptions = {}): Promise<DevPki> {
  const bits = opts.keyBits ?? 2048;
  const days = opts.days ?? 365;
  const org = opts.organization ?? 'amigate dev';
  const clientCn = opts.clientCn ?? 'amigate-dev-client';
  // Refuse bad input before spending a second on keys.
  for (const ip of opts.serverIps ?? []) if (isIP(ip) === 0) throw new TlsError(`not an IP address: ${ip}`);
  for (const cn of [clientCn, opts.otherClientCn ?? 'x', ...(opts.serverNames ?? [])]) {
    if (cn.length === 0 || cn.length > 64) throw new TlsError(`certificate names must be 1-64 characters: '${cn}'`);
  }
  const [caKeys, serverKeys, clientKeys, otherKeys, untrustedKeys] = await Promise.all([
    rsaKeys(bits), rsaKeys(bits), rsaKeys(bits),
    opts.otherClientCn !== undefined ? rsaKeys(bits) : undefined,
    opts.untrustedClient ? rsaKeys(bits) : undefined,
  ]);
  try {
    const caSubject = subjectAttrs('amigate dev CA', org);
    const caCert = issue({
      subject: caSubject, issuer: caSubject, publicPem: caKeys.publicPem, signerPem: caKeys.privatePem, days: days * 10,
      extensions: [
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        { name: 'subjectKeyIdentifier' },
      ],
    });
    const caCertIssuer = caCert.subject.attributes as Attr[];

    const altNames = [
      ...['localhost', ...(opts.serverNames ?? [])].map((value) => ({ type: 2, value })),
      ...['127.0.0.1', '::1', ...(opts.serverIps ?? [])].map((ip) => ({ type: 7, ip })),
    ];
    const serverCert = issue({
      subject: subjectAttrs('localhost', org), issuer: caCertIssuer, publicPem: serverKeys.publicPem,
      signerPem: caKeys.privatePem, days,
      extensions: [...leafExtensions('serverAuth', caCert), { name: 'subjectAltName', altNames }],
    });

    const client = (cn: string, keys: Keys): ClientPem => clientPem(cn, org, keys, issue({
      subject: subjectAttrs(cn, org), issuer: caCertIssuer, publicPem: keys.publicPem,
      signerPem: caKeys.privatePem, days, extensions: leafExtensions('clientAuth', caCert),
    }));

    const pki: DevPki = {
      ca: { cert: forge.pki.certificateToPem(caCert), key: caKeys.privatePem },
      server: { cert: forge.pki.certificateToPem(serverCert), key: serverKeys.privatePem },
      client: client(clientCn, clientKeys),
    };
    if (otherKeys) pki.clientOther = client(opts.otherClientCn!, otherKeys);
    if (untrustedKeys) {
      const self = subjectAttrs(clientCn, org);
      pki.untrusted = clientPem(clientCn, org, untrustedKeys, issue({
        subject: self, issuer: self, publicPem: untrustedKeys.publicPem, signerPem: untrustedKeys.privatePem,
        days, extensions: leafExtensions('clientAuth', undefined),
      }));
    }
    return pki;
  } catch (err) {
    if (err instanceof TlsError) throw err;
    throw new TlsError(`could not issue dev certificates: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export function devPkiPaths(dir: string): DevPkiPaths {
  return {
    ca: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'),
    server: join(dir, 'server.crt'), serverKey: join(dir, 'server.key'),
    client: join(dir, 'client.crt'), clientKey: join(dir, 'client.key'),
  };
}

async function exists(path: string): Promise<boolean> {
  try { await access(path); return true; } catch { return false; }
}

/**
 * Write `pki` as ca.crt ca.key server.crt server.key client.crt client.key into
 * `dir` (created if missing); keys get mode 0600. Without `force`, refuses when
 * any of the files exists, before writing anything.
 */
export async function writePki(dir: string, pki: DevPki, opts: { force?: boolean } = {}): Promise<DevPkiPaths> {
  const paths = devPkiPaths(dir);
  if (!opts.force) {
    const present: string[] = [];
    for (const p of Object.values(paths)) if (await exists(p)) present.push(p);
    if (present.length > 0) throw new TlsError(`refusing to overwrite ${present.join(', ')} (use --force)`);
  }
  try {
    await mkdir(dir, { recursive: true });
    const files: Array<[string, string, number]> = [
      [paths.ca, pki.ca.cert, 0o644], [paths.caKey, pki.ca.key, 0o600],
      [paths.server, pki.server.cert, 0o644], [paths.serverKey, pki.server.key, 0o600],
      [paths.client, pki.client.cert, 0o644], [paths.clientKey, pki.client.key, 0o600],
    ];
    for (const [path, data, mode] of files) {
      await writeFile(path, data, { mode, flag: opts.force ? 'w' : 'wx' });
      // `mode` applies only when the file is created; an overwritten key keeps its old mode otherwise.
      await chmod(path, mode);
    }
  } catch (err) {
    throw new TlsError(`could not write certificates to ${dir}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return paths;
}

/** makeDevPki + writePki. */
export async function writeDevPki(dir: string, opts: DevPkiOptions & { force?: boolean } = {}): Promise<{ paths: DevPkiPaths; pki: DevPki }> {
  if (!opts.force) {
    // Check before spending time on keys; writePki checks again right before writing.
    for (const p of Object.values(devPkiPaths(dir))) {
      if (await exists(p)) throw new TlsError(`refusing to overwrite ${p} (use --force)`);
    }
  }
  const pki = await makeDevPki(opts);
  const paths = await writePki(dir, pki, opts.force ? { force: true } : {});
  return { paths, pki };
}
