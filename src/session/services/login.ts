// The Login and Challenge service of a session: users, the authenticator and
// the failure throttle, counted against live sessions of every transport.
// auth/authenticator.ts makes the decision (every failure costs the same
// scrypt); this module turns a user record into what a session needs.

import { Authenticator, LoginThrottle } from '../../auth/authenticator.js';
import { secretOf, type UserRecord, type UserStore } from '../../auth/user-store.js';
import { isSecretHash } from '../../auth/secret-hash.js';
import type { DigestSecret } from '../../http/digest.js';
import type { LoginRequest, LoginResult, SessionUser } from '../services.js';

export class LoginService {
  private users: UserStore;
  private throttle: LoginThrottle;
  private readonly authenticator = new Authenticator();
  private readonly activeSessions: (user: string) => number;

  constructor(users: UserStore, throttle: LoginThrottle, activeSessions: (user: string) => number) {
    this.users = users;
    this.throttle = throttle;
    this.activeSessions = activeSessions;
  }

  /** A reload: new users and a new throttle (general.loginfailures). */
  configure(users: UserStore, throttle: LoginThrottle): void {
    this.users = users;
    this.throttle = throttle;
  }

  async login(req: LoginRequest): Promise<LoginResult> {
    const out = await this.authenticator.login({
      username: req.username, secret: req.secret, key: req.key, challenge: req.challenge, digest: req.digest,
      remoteAddress: req.conn.remoteAddress, tls: req.conn.tls,
      activeSessions: (rec) => this.activeSessions(rec.name),
    }, this.users, this.throttle);
    if (!out.ok) return { ok: false, reason: out.reason, reply: out.reason === 'session-limit' ? 'Login Already In Use' : 'Authentication failed' };
    return { ok: true, user: sessionUser(out.user) };
  }

  /**
   * What HTTP Digest needs to check a response (http/digest.ts): the plain
   * secret, or only the fact that a hash is stored (Digest then always fails,
   * as MD5 Challenge login does). It goes no further than the digest check.
   */
  digestSecret(username: string): DigestSecret {
    const rec = this.users.get(username);
    const stored = rec ? secretOf(rec) : undefined;
    if (stored === undefined) return undefined;
    return isSecretHash(stored) ? { kind: 'hash' } : { kind: 'plain', secret: stored };
  }

  /** S10: a user that may not log in again is told so at Challenge already. */
  challengeAllowed(username: string | undefined): boolean {
    if (!username) return true;
    const rec = this.users.get(username);
    if (!rec || rec.allowMultipleLogin) return true;
    return this.activeSessions(rec.name) === 0;
  }
}

/** What a session keeps of a user record; `record` goes back to policy untouched. */
export function sessionUser(rec: UserRecord): SessionUser {
  return {
    name: rec.name,
    readMask: rec.read,
    writeMask: rec.write,
    servers: rec.upstreams ? new Set(rec.upstreams) : undefined,
    serverHeader: rec.serverHeader,
    logEvents: rec.logEvents,
    writeTimeoutMs: rec.writeTimeoutMs,
    record: rec,
  };
}
