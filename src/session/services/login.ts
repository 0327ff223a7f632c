// The Login and Challenge service of a session: users, the authenticator and
// the failure throttle, counted against live sessions of every transport.
// auth/authenticator.ts makes the decision (every failure costs the same
// scrypt); this module turns a user record into what a session needs.

import { Authenticator } from '../../auth/authenticator.js';
import type { LoginGate, SessionPlaces } from '../../auth/login-gate.js';

export type { LoginGate, SessionPlaces } from '../../auth/login-gate.js';
import { secretOf, type UserRecord, type UserStore } from '../../auth/user-store.js';
import { isSecretHash } from '../../auth/secret-hash.js';
import type { DigestSecret } from '../../http/digest.js';
import type { LoginFailuresConfig } from '../../config/schema.js';
import type { LoginRequest, LoginResult, SessionUser } from '../services.js';

export class LoginService {
  private users: UserStore;
  private readonly throttle: LoginGate;
  private readonly authenticator = new Authenticator();
  private readonly activeSessions: (user: string) => number;
  private readonly places: SessionPlaces | undefined;

  constructor(users: UserStore, throttle: LoginGate, activeSessions: (user: string) => number, places?: SessionPlaces) {
    this.users = users;
    this.throttle = throttle;
    this.activeSessions = activeSessions;
    this.places = places;
  }

  /**
   * A reload: new users, and the new general.loginfailures limits for the same
   * throttle, so counts and lockouts survive (auth/login-throttle.ts configure()).
   */
  configure(users: UserStore, loginfailures: LoginFailuresConfig): void {
    this.users = users;
    this.throttle.configure(loginfailures);
  }

  async login(req: LoginRequest): Promise<LoginResult> {
    const out = await this.authenticator.login({
      username: req.username, secret: req.secret, key: req.key, challenge: req.challenge, digest: req.digest,
      remoteAddress: req.conn.remoteAddress, tls: req.conn.tls,
      activeSessions: (rec) => this.activeSessions(rec.name),
      acquireSession: this.places ? (rec, limit) => this.places!.acquire(req.sessionId, rec, limit) : undefined,
    }, this.users, this.throttle);
    // Every refusal but the session limit answers `Authentication failed` (manager.c), 'cluster-unavailable' included.
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

  /**
   * S10: a user that may not log in again is told so at Challenge already,
   * counting its sessions on every instance when they are shared. When the
   * shared count is unknown the Challenge goes ahead: Login decides.
   */
  challengeAllowed(username: string | undefined): boolean | Promise<boolean> {
    if (!username) return true;
    const rec = this.users.get(username);
    if (!rec || rec.allowMultipleLogin) return true;
    if (this.activeSessions(rec.name) > 0) return false;
    if (!this.places) return true;
    return this.places.count(rec.name).then((n) => n === 'unavailable' || n === 0, () => true);
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
