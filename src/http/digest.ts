// HTTP Digest authentication for /arawman, /amxml, /amanager (RFC 7616 with
// MD5 and qop=auth, the only form Asterisk offers: main/manager.c
// auth_http_callback(), main/http.c ast_http_auth()).
//
//   no or bad Authorization  -> 401, WWW-authenticate: Digest algorithm=MD5, realm="<systemname>",
//                               nonce="...", qop="auth", opaque="..."
//   valid response           -> ok (username, the session bound to the nonce if any)
//   valid, nonce expired     -> 401 ..., stale=true with a new nonce (the session moves to it)
//   valid, nc not above last -> 401 ..., stale=true with a new nonce (a replay)
//
// Stricter than Asterisk 22, whose weaknesses were each reproduced on it:
//   - nonces are 128 random bits kept in this store (one store per listener), so a
//     made-up or foreign nonce is unknown; Asterisk accepts any hex number;
//   - a nonce is never a session cookie (Asterisk uses the nonce as mansession_id);
//   - nc must strictly increase per nonce (Asterisk takes nc=1 twice);
//   - the digest `uri` must equal the request target (Asterisk never compares it);
//   - qop=auth, nc, cnonce and the issued opaque are required; algorithm, if
//     given, must be MD5 (RFC 2069 answers without nc cannot be replay-checked).
// The response is compared in constant time. Like MD5 Challenge login, Digest
// needs the plain secret: a user stored only as a hash always fails, with the
// same 401 as a wrong secret (reason 'hash-only' is for the audit log only).

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly qop: string | undefined;
  readonly nc: string | undefined;
  readonly cnonce: string | undefined;
  readonly opaque: string | undefined;
  readonly algorithm: string | undefined;
}

/**
 * Parse `Authorization: Digest k=v, k="quoted", ...`. Undefined when the scheme
 * is not Digest, a required field is missing, a field repeats, or the syntax is off.
 */
export function parseDigestAuthorization(header: string | undefined): DigestCredentials | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*digest\s+/i.exec(header);
  if (m === null) return undefined;
  const fields = new Map<string, string>();
  let i = m[0].length;
  const s = header;
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
    if (i >= s.length) break;
    const nameStart = i;
    while (i < s.length && /[A-Za-z0-9_-]/.test(s[i]!)) i++;
    const name = s.slice(nameStart, i).toLowerCase();
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
    if (name.length === 0 || s[i] !== '=') return undefined;
    i++;
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
    let value = '';
    if (s[i] === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const c = s[i]!;
        if (c === '\\' && i + 1 < s.length) { value += s[i + 1]; i += 2; continue; }
        if (c === '"') { closed = true; i++; break; }
        value += c;
        i++;
      }
      if (!closed) return undefined;
    } else {
      const start = i;
      while (i < s.length && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
      value = s.slice(start, i);
    }
    if (fields.has(name)) return undefined;
    fields.set(name, value);
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
    if (i < s.length && s[i] !== ',') return undefined;
  }
  const username = fields.get('username');
  const realm = fields.get('realm');
  const nonce = fields.get('nonce');
  const uri = fields.get('uri');
  const response = fields.get('response');
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) return undefined;
  return {
    username, realm, nonce, uri, response,
    qop: fields.get('qop'), nc: fields.get('nc'), cnonce: fields.get('cnonce'),
    opaque: fields.get('opaque'), algorithm: fields.get('algorithm'),
  };
}

/** What the user store knows of a user's secret. */
export type DigestSecret =
  | { readonly kind: 'plain'; readonly secret: string }
  | { readonly kind: 'hash' }
  | undefined;

export type DigestFailure =
  | 'missing' | 'malformed' | 'unknown-nonce' | 'uri-mismatch' | 'realm-mismatch'
  | 'unknown-user' | 'hash-only' | 'bad-response' | 'user-mismatch' | 'expired' | 'replay';

export type DigestResult =
  | { readonly ok: true; readonly username: string; readonly nonce: string; readonly sessionId: string | undefined }
  | {
    readonly ok: false;
    readonly reason: DigestFailure;
    /** For the audit log; the client never learns which reason it was. */
    readonly username: string | undefined;
    readonly stale: boolean;
    /** The WWW-authenticate value of the 401 (with a fresh nonce). */
    readonly wwwAuthenticate: string;
  };

export interface DigestRequest {
  /** As in the request line (GET, POST, HEAD). */
  readonly method: string;
  /** The request target exactly as in the request line. */
  readonly target: string;
  /** The Authorization header, if any. */
  readonly authorization: string | undefined;
  /** The user's secret by the name the client gave (case rules are the user store's). */
  readonly secretOf: (username: string) => DigestSecret;
}

export interface DigestOptions {
  /** The listener this store belongs to (nonces of another listener are unknown here). */
  readonly listenerId: string;
  /** realm="...": Asterisk's asterisk.conf systemname, or "asterisk" without one. */
  readonly realm: string;
  /** A nonce older than this is stale (Asterisk: 62 s). @default 60000 */
  readonly nonceTtlMs?: number;
  /** Outstanding nonces kept; the oldest go first. @default 10000 */
  readonly maxNonces?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

interface NonceEntry {
  readonly nonce: string;
  readonly opaque: string;
  readonly listenerId: string;
  readonly issuedAt: number;
  /** Highest nc accepted so far (0: none yet). */
  lastNc: number;
  /** The session this nonce authenticates, and for which user. */
  sessionId: string | undefined;
  username: string | undefined;
}

const HEX32 = /^[0-9a-f]{32}$/;
const NC = /^[0-9a-fA-F]{8}$/;

export class DigestAuth {
  readonly listenerId: string;
  readonly realm: string;
  private readonly ttl: number;
  private readonly max: number;
  private readonly now: () => number;
  private readonly nonces = new Map<string, NonceEntry>();

  constructor(opts: DigestOptions) {
    this.listenerId = opts.listenerId;
    this.realm = opts.realm;
    this.ttl = opts.nonceTtlMs ?? 60_000;
    this.max = Math.max(1, opts.maxNonces ?? 10_000);
    this.now = opts.now ?? Date.now;
  }

  get size(): number { return this.nonces.size; }

  /** A fresh nonce and the WWW-authenticate value that hands it out (the 401 to a request without credentials). */
  challenge(): { nonce: string; wwwAuthenticate: string } {
    return this.issue(false, undefined);
  }

  private issue(stale: boolean, carry: NonceEntry | undefined): { nonce: string; wwwAuthenticate: string } {
    this.prune();
    const e: NonceEntry = {
      nonce: randomBytes(16).toString('hex'),
      opaque: randomBytes(16).toString('hex'),
      listenerId: this.listenerId,
      issuedAt: this.now(),
      lastNc: 0,
      sessionId: carry?.sessionId,
      username: carry?.username,
    };
    this.nonces.set(e.nonce, e);
    return { nonce: e.nonce, wwwAuthenticate: challengeHeader(this.realm, e.nonce, e.opaque, stale) };
  }

  /** Check a request's Authorization header. */
  verify(req: DigestRequest): DigestResult {
    const fail = (reason: DigestFailure, username?: string, stale = false, carry?: NonceEntry): DigestResult =>
      ({ ok: false, reason, username, stale, wwwAuthenticate: this.issue(stale, carry).wwwAuthenticate });
    if (req.authorization === undefined || req.authorization.trim() === '') return fail('missing');
    const d = parseDigestAuthorization(req.authorization);
    if (d === undefined || (d.qop ?? '').toLowerCase() !== 'auth' || d.nc === undefined || !NC.test(d.nc) ||
      d.cnonce === undefined || (d.algorithm !== undefined && d.algorithm.toUpperCase() !== 'MD5')) {
      return fail('malformed', d?.username);
    }
    const entry = this.nonces.get(d.nonce);
    if (entry === undefined || entry.listenerId !== this.listenerId) return fail('unknown-nonce', d.username);
    if (d.opaque !== entry.opaque) return fail('malformed', d.username);
    if (d.realm !== this.realm) return fail('realm-mismatch', d.username);
    if (d.uri !== req.target) return fail('uri-mismatch', d.username);
    const secret = req.secretOf(d.username);
    // Same work whatever the user: the hash is computed even when it cannot match.
    const plain = secret?.kind === 'plain' ? secret.secret : 'amigate: no such user';
    const ha1 = md5(`${d.username}:${this.realm}:${plain}`);
    const ha2 = md5(`${req.method.toUpperCase()}:${d.uri}`);
    const expected = md5(`${ha1}:${d.nonce}:${d.nc}:${d.cnonce}:auth:${ha2}`);
    const matches = equalHex(expected, d.response.toLowerCase());
    if (secret === undefined) return fail('unknown-user', d.username);
    if (secret.kind === 'hash') return fail('hash-only', d.username);
    if (!matches) return fail('bad-response', d.username);
    if (entry.username !== undefined && entry.username !== d.username) return fail('user-mismatch', d.username);
    if (this.now() - entry.issuedAt >= this.ttl) {
      this.nonces.delete(entry.nonce);
      return fail('expired', d.username, true, entry);
    }
    const nc = parseInt(d.nc, 16);
    if (nc <= entry.lastNc) {
      // A replay, or requests overtaking each other: a new nonce, the session moves to it.
      this.nonces.delete(entry.nonce);
      return fail('replay', d.username, true, entry);
    }
    entry.lastNc = nc;
    entry.username = d.username;
    return { ok: true, username: d.username, nonce: entry.nonce, sessionId: entry.sessionId };
  }

  /** The request authenticated by `nonce` now runs on `sessionId`; later requests with the nonce (or its stale successor) get it back. */
  bindSession(nonce: string, sessionId: string): void {
    const e = this.nonces.get(nonce);
    if (e !== undefined) e.sessionId = sessionId;
  }

  /** The session ended: no nonce leads to it any more. */
  forgetSession(sessionId: string): void {
    for (const e of this.nonces.values()) if (e.sessionId === sessionId) e.sessionId = undefined;
  }

  /** Drop nonces long past use (twice the TTL keeps recent ones answerable with stale=true), then the oldest above maxNonces. */
  private prune(): void {
    const t = this.now();
    for (const e of this.nonces.values()) {
      if (t - e.issuedAt < 2 * this.ttl) break;
      this.nonces.delete(e.nonce);
    }
    while (this.nonces.size >= this.max) {
      const first = this.nonces.keys().next();
      if (first.done) break;
      this.nonces.delete(first.value);
    }
  }
}

/** ast_http_auth()'s header value. */
export function challengeHeader(realm: string, nonce: string, opaque: string, stale: boolean): string {
  return `Digest algorithm=MD5, realm="${quote(realm)}", nonce="${nonce}", qop="auth", opaque="${opaque}"${stale ? ', stale=true' : ''}`;
}

/** The client side of one Digest request (tests, the demo's curl-free check). */
export function digestAuthorization(p: {
  username: string; secret: string; realm: string; nonce: string; opaque: string;
  method: string; uri: string; nc: number; cnonce: string;
}): string {
  const nc = p.nc.toString(16).padStart(8, '0');
  const ha1 = md5(`${p.username}:${p.realm}:${p.secret}`);
  const ha2 = md5(`${p.method}:${p.uri}`);
  const response = md5(`${ha1}:${p.nonce}:${nc}:${p.cnonce}:auth:${ha2}`);
  return `Digest username="${quote(p.username)}", realm="${quote(p.realm)}", nonce="${p.nonce}", uri="${quote(p.uri)}", ` +
    `algorithm=MD5, response="${response}", opaque="${p.opaque}", qop=auth, nc=${nc}, cnonce="${quote(p.cnonce)}"`;
}

/** A WWW-authenticate value's fields (tests and clients). */
export function parseChallenge(header: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of header.replace(/^\s*digest\s+/i, '').matchAll(/([a-z]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/gi)) {
    out.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
  }
  return out;
}

function quote(s: string): string {
  return s.replace(/[\\"]/g, '\\$&');
}

function md5(s: string): string {
  return createHash('md5').update(s, 'latin1').digest('hex');
}

function equalHex(a: string, b: string): boolean {
  if (!HEX32.test(b)) return false;
  return timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}
