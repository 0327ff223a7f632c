// Secrets at rest: scrypt in a self-describing string
//
//   $scrypt$N=16384,r=8,p=1$<salt, base64>$<hash, base64>
//
// (base64 without padding, as in the PHC string format). A hashed secret can
// only verify a plain `Login: Secret:`; MD5 Challenge needs the plain secret
// (md5(challenge + secret), S9), so such users must keep a plain one.

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const SCRYPT_PREFIX = '$scrypt$';
const DEFAULT_PARAMS = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Upper bounds so a hostile or mistyped hash cannot make a login burn memory or CPU. */
const MAX = { N: 1 << 20, r: 32, p: 16 } as const;
const MAX_MEMORY = 256 * 1024 * 1024;

export interface ScryptHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function scryptAsync(secret: string | Buffer, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

/**
 * A fresh hash of `plain` with a random salt. A string is hashed as its UTF-8
 * bytes; pass a Buffer for exact bytes (what a client sends on the wire).
 */
export async function hashSecret(plain: string | Buffer, params: { N?: number; r?: number; p?: number } = {}): Promise<string> {
  const N = params.N ?? DEFAULT_PARAMS.N;
  const r = params.r ?? DEFAULT_PARAMS.r;
  const p = params.p ?? DEFAULT_PARAMS.p;
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(plain, salt, KEY_BYTES, { N, r, p, maxmem: maxmem(N, r, p) });
  return `${SCRYPT_PREFIX}N=${N},r=${r},p=${p}$${b64(salt)}$${b64(hash)}`;
}

/** True when `value` looks like one of our hashes (it may still be malformed: see parseSecretHash). */
export function isSecretHash(value: string): boolean {
  return value.startsWith(SCRYPT_PREFIX);
}

/** Parse and bound-check a hash string; a string describing the problem when it is not valid. */
export function parseSecretHash(value: string): ScryptHash | string {
  if (!isSecretHash(value)) return 'not a $scrypt$ hash';
  const parts = value.slice(SCRYPT_PREFIX.length).split('$');
  if (parts.length !== 3) return 'expected $scrypt$N=..,r=..,p=..$<salt>$<hash>';
  const [paramText, saltText, hashText] = parts as [string, string, string];
  const params = new Map<string, number>();
  for (const kv of paramText.split(',')) {
    const m = /^([Nrp])=([0-9]{1,8})$/.exec(kv);
    if (!m || params.has(m[1]!)) return `bad parameter ${JSON.stringify(kv)}`;
    params.set(m[1]!, Number(m[2]));
  }
  const N = params.get('N');
  const r = params.get('r');
  const p = params.get('p');
  if (N === undefined || r === undefined || p === undefined) return 'N, r and p are all required';
  if (N < 2 || N > MAX.N || (N & (N - 1)) !== 0) return `N must be a power of two between 2 and ${MAX.N}`;
  if (r < 1 || r > MAX.r) return `r must be between 1 and ${MAX.r}`;
  if (p < 1 || p > MAX.p) return `p must be between 1 and ${MAX.p}`;
  if (128 * N * r > MAX_MEMORY) return `N and r need more than ${MAX_MEMORY >> 20} MiB`;
  const b64re = /^[A-Za-z0-9+/]+={0,2}$/;
  if (!b64re.test(saltText) || !b64re.test(hashText)) return 'salt and hash must be base64';
  const salt = Buffer.from(saltText, 'base64');
  const hash = Buffer.from(hashText, 'base64');
  if (salt.length < 8) return 'salt must be at least 8 bytes';
  if (hash.length < 16 || hash.length > 64) return 'hash must be 16 to 64 bytes';
  return { N, r, p, salt, hash };
}

/** Constant-time check of `plain` (string = UTF-8 bytes) against a hash string; false for a malformed hash. */
export async function verifySecretHash(hash: string, plain: string | Buffer): Promise<boolean> {
  const h = parseSecretHash(hash);
  if (typeof h === 'string') return false;
  const key = await scryptAsync(plain, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p, maxmem: maxmem(h.N, h.r, h.p) });
  return timingSafeEqual(key, h.hash);
}

/** Node refuses scrypt above maxmem (32 MiB by default); give it what the parameters need. */
function maxmem(N: number, r: number, p: number): number {
  return 128 * N * r + 128 * r * p + 1024 * 1024;
}
