// Login checks: secret verification (plain Login and MD5 Challenge, S8/S9),
// the failed-login throttle, and the whole login decision with its reason.
//
// Every failure looks the same to the client (the session sleeps 1 s and
// answers `Authentication failed`, S8); the reason is only for the audit log.
// Comparisons are constant-time, and every failure (unknown user, ACL,
// certificate, lockout, wrong secret or MD5 key) costs the same one scrypt, so
// timing does not reveal which names exist. proxy.ts calls login() here; it is
// the only copy of the decision.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { md5Key } from '../protocol/md5-challenge.js';
import type { CertificateBinding } from '../config/schema.js';
import { hashSecret, isSecretHash, verifySecretHash } from './secret-hash.js';
import { secretOf, type UserRecord, type UserStore } from './user-store.js';
import { normalizeSubject } from './subject.js';

export { LoginThrottle } from './login-throttle.js';
export type { ThrottleClock } from './login-throttle.js';

export type LoginFailureReason = 'unknown-user' | 'bad-secret' | 'acl' | 'lockout' | 'session-limit' | 'certificate' | 'cluster-unavailable';

import type { LockoutGate, SlotResult } from './login-gate.js';

export type { LockoutGate, SlotResult } from './login-gate.js';

/** What the TLS layer knows about the client certificate (downstream ConnectionInfo.tls). */
export interface PeerCertificateInfo {
  readonly authorized: boolean;
  readonly subject: string | undefined;
  readonly fingerprint256: string | undefined;
}

export interface LoginRequest {
  readonly username: string;
  /** Plain `Secret:`. */
  readonly secret?: string | undefined;
  /** MD5 `Key:`; used instead of secret when present. */
  readonly key?: string | undefined;
  /** The session's challenge (S9). */
  readonly challenge?: string | undefined;
  /**
   * HTTP Digest already compared the client's response with the plain secret:
   * true = it matched. Like MD5, it needs the plain secret, so a hash-only user fails.
   */
  readonly digest?: boolean | undefined;
  readonly remoteAddress: string;
  readonly tls?: PeerCertificateInfo | undefined;
  /** Sessions this user has open now (S10 / maxsessions), or how to count them for the record found. */
  readonly activeSessions: number | ((user: UserRecord) => number);
  /**
   * Take a session place atomically instead of comparing activeSessions with
   * the limit (0 = unlimited): the shared lease (cluster/session-leases.ts), so
   * two instances cannot both admit a user that may have one session.
   */
  readonly acquireSession?: ((user: UserRecord, limit: number) => SlotResult | Promise<SlotResult>) | undefined;
}

export type LoginOutcome =
  | { readonly ok: true; readonly user: UserRecord }
  | { readonly ok: false; readonly reason: LoginFailureReason; readonly user: UserRecord | undefined };

const DUMMY_SECRET = 'amigate: no such user';
const UNKNOWN = {};

export class Authenticator {
  private dummy: Promise<string> | undefined;
  /**
   * The last secret each user logged in with, as an HMAC under a per-process
   * random key. A repeated correct login skips scrypt (a wallboard fleet
   * reconnecting after a restart would otherwise be held to ~40 logins/s per
   * core); every wrong or unknown secret still pays the full cost, so timing
   * tells an attacker nothing they did not already know. Keyed by the record,
   * so a reload (new records) forgets it.
   */
  private readonly verified = new WeakMap<UserRecord, Buffer>();
  private readonly macKey = randomBytes(32);
  /** Checks in progress, per record (UNKNOWN for unknown users), by secret HMAC. */
  private readonly inflight = new WeakMap<object, Map<string, Promise<boolean>>>();

  /**
   * Plain Login; `secret` as received (a byte string). Hashed secrets: scrypt. Plain secrets: timingSafeEqual over
   * SHA-256 digests (equal lengths whatever was typed). `undefined` (unknown
   * user) and users without a secret always fail after the same work.
   */
  async verifyPlain(user: UserRecord | undefined, secret: string): Promise<boolean> {
    const stored = user ? secretOf(user) : undefined;
    // AMI text is bytes (one char per byte); hashes were made from the UTF-8
    // bytes a client sends, so hash those bytes.
    const bytes = Buffer.from(secret, 'latin1');
    const mac = createHmac('sha256', this.macKey).update(bytes).digest();
    const seen = user ? this.verified.get(user) : undefined;
    if (seen !== undefined && timingSafeEqual(seen, mac)) return true;
    // The same secret for the same record already being checked: share that
    // scrypt. A fleet reconnecting at once after a restart pays one, not one
    // each; unknown users share theirs the same way, so this tells nothing.
    const owner: object = user ?? UNKNOWN;
    let inflight = this.inflight.get(owner);
    const tag = mac.toString('base64');
    const same = inflight?.get(tag);
    if (same !== undefined) return same;
    const check = this.check(user, stored, bytes, secret, mac);
    if (inflight === undefined) this.inflight.set(owner, (inflight = new Map()));
    inflight.set(tag, check);
    try {
      return await check;
    } finally {
      inflight.delete(tag);
      if (inflight.size === 0) this.inflight.delete(owner);
    }
  }

  private async check(user: UserRecord | undefined, stored: string | undefined, bytes: Buffer, secret: string, mac: Buffer): Promise<boolean> {
    let ok: boolean;
    if (stored !== undefined && isSecretHash(stored)) {
      ok = await verifySecretHash(stored, bytes);
    } else {
      // Same scrypt cost as a hashed user, so the answer time does not tell
      // unknown users, plain-secret users and hashed users apart.
      await verifySecretHash(await this.dummyHash(), bytes);
      ok = stored !== undefined && timingSafeEqual(sha256(stored), sha256(secret));
    }
    if (ok && user) this.verified.set(user, mac);
    return ok;
  }

  /**
   * MD5 Challenge login (authenticate() in manager.c): `key` must equal
   * md5hex(challenge + secret) exactly (lower-case hex, strcmp). Needs the plain
   * secret, so a user with only a hash can never pass.
   */
  verifyMd5(user: UserRecord | undefined, challenge: string, key: string): boolean {
    const stored = user ? secretOf(user) : undefined;
    const expected = md5Key(challenge, stored === undefined || isSecretHash(stored) ? DUMMY_SECRET : stored);
    const ok = timingSafeEqual(sha256(expected), sha256(key));
    return ok && challenge.length > 0 && stored !== undefined && !isSecretHash(stored);
  }

  /**
   * The whole login decision, in Asterisk's order where it has one (user
   * lookup, ACL, secret: S8) with amigate's checks around it (lockout first,
   * certificate binding before the secret, session limit last). Records the
   * failure in `throttle` as countsAgainst() says.
   *
   * Every failure costs one scrypt before it is answered: the checks that fail
   * before the secret (lockout, ACL, certificate) and the MD5 path (no scrypt
   * of its own) verify the secret against the dummy hash, as an unknown user
   * does. Otherwise an ACL or lockout refusal would come back ~75 ms sooner
   * than a wrong secret and tell an attacker the name exists (the 1 s delay
   * that follows is the same for all, S8).
   */
  async login(req: LoginRequest, users: UserStore, throttle: LockoutGate): Promise<LoginOutcome> {
    const fail = async (reason: LoginFailureReason, user: UserRecord | undefined, paid = false): Promise<LoginOutcome> => {
      if (!paid) await this.verifyPlain(undefined, req.secret ?? req.key ?? '');
      const counts = countsAgainst(reason);
      if (counts !== 'nothing') throttle.fail(req.remoteAddress, counts === 'address-and-name' ? req.username : undefined);
      return { ok: false, reason, user };
    };
    const locked = await throttle.lockedFor(req.remoteAddress, req.username);
    if (locked === 'unavailable') return fail('cluster-unavailable', undefined);
    if (locked > 0) return fail('lockout', undefined);
    const user = users.get(req.username);
    if (!user) return fail('unknown-user', undefined);
    if (!user.acl.allows(req.remoteAddress)) return fail('acl', user);
    if (user.certificate && !certificateMatches(user.certificate, req.tls)) return fail('certificate', user);
    const md5 = req.key !== undefined;
    const digest = req.digest !== undefined;
    let ok: boolean;
    if (digest) ok = req.digest === true && user.secret?.kind === 'plain';
    else if (md5) ok = this.verifyMd5(user, req.challenge ?? '', req.key!);
    else ok = await this.verifyPlain(user, req.secret ?? '');
    if (!ok) return fail('bad-secret', user, !md5 && !digest);
    const limit = user.allowMultipleLogin ? user.maxSessions : 1;
    if (req.acquireSession) {
      // Last, after everything else passed: a place taken here is the session's (released when it closes).
      const slot = await req.acquireSession(user, limit);
      if (slot !== 'ok') return fail(slot === 'full' ? 'session-limit' : 'cluster-unavailable', user, true);
    } else {
      const active = typeof req.activeSessions === 'function' ? req.activeSessions(user) : req.activeSessions;
      if (limit > 0 && active >= limit) return fail('session-limit', user, true);
    }
    throttle.succeed(req.remoteAddress, req.username);
    return { ok: true, user };
  }

  private dummyHash(): Promise<string> {
    this.dummy ??= hashSecret(DUMMY_SECRET);
    return this.dummy;
  }
}

/**
 * What a failed login counts against in the lockout. Every failure counts
 * against the source address, but only a guessed secret or key (a wrong one,
 * or any for a name that does not exist, so names stay unrevealed) counts
 * against the user name: an address the user's permit/deny refuses, or a
 * wrong client certificate, must not be able to lock the user out for the
 * clients that are allowed in. A lockout refusal counts against nothing (no
 * secret was checked, and counting it would let a locked name lock the
 * address of its own clients retrying), nor does a session-limit refusal or
 * one caused by the shared state being unreachable (the client did nothing wrong).
 */
export function countsAgainst(reason: LoginFailureReason): 'address-and-name' | 'address' | 'nothing' {
  switch (reason) {
    case 'bad-secret':
    case 'unknown-user':
      return 'address-and-name';
    case 'acl':
    case 'certificate':
      return 'address';
    case 'lockout':
    case 'session-limit':
    case 'cluster-unavailable':
      return 'nothing';
  }
}

/** A verified client certificate whose subject and/or SHA-256 fingerprint match the binding. */
export function certificateMatches(want: CertificateBinding, peer: PeerCertificateInfo | undefined): boolean {
  if (!peer || !peer.authorized) return false;
  if (want.fingerprint256 !== undefined && (peer.fingerprint256 ?? '').toUpperCase() !== want.fingerprint256.toUpperCase()) return false;
  // Both sides in one RFC 4514 form (auth/subject.ts): a CN of `crm,O=Example` is `CN=crm\,O=Example`.
  if (want.subject !== undefined && (peer.subject === undefined || normalizeSubject(want.subject) !== peer.subject)) return false;
  return want.fingerprint256 !== undefined || want.subject !== undefined;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'latin1').digest();
}
