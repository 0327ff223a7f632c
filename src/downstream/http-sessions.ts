// The HTTP sessions of one HTTP listener: a `mansession_id` cookie or an HTTP
// Digest nonce leads to one session core (AmiSession on an HttpTransport).
//
//   cookie   unknown, expired or logged-off cookie -> a new session (Set-Cookie);
//            it logs in with Action: Login like a TCP client
//   digest   DigestAuth (http/digest.ts) checks the response; a valid one with
//            no session yet logs a new session in through the login service
//            (lockout, ACL on the real client address, certificate, session
//            limits counted with TCP sessions, audit, metrics); a wrong one is
//            a failed login (audit, lockout count) and a 401 with a new nonce
//
// Lifetime (HttpSessionStore): idle `httptimeout`, 5 s before login, never
// while a request runs on it. At expiry the core session is destroyed: its
// held events, filters and pending actions go, and the close is audited with
// cause http-timeout (http-evicted, shutdown).

import { DigestAuth, type DigestFailure, type DigestSecret } from '../http/digest.js';
import { unauthorizedPage, type ErrorPage, type HeadOptions } from '../http/response.js';
import { cookieSessionId, HttpSessionStore, type HttpSession } from '../http/session-store.js';
import type { AmiMessage } from '../protocol/message.js';
import type { TransportSession } from '../session/context.js';
import type { ConnectionInfo } from '../session/services.js';
import { HttpTransport, type HttpAnswer } from './http-transport.js';

export interface HttpSessionsOptions {
  /** The listener's name (Digest nonces are unknown to other listeners). */
  readonly listener: string;
  /** httptimeout in seconds. */
  readonly httpTimeoutSeconds: number;
  readonly maxSessions: number;
  /** Digest realm. */
  readonly realm: string;
  /** A new session core on `transport` (registered, observed, started). */
  readonly newSession: (conn: ConnectionInfo, transport: HttpTransport) => TransportSession;
  /** The user's secret as Digest needs it (session/services/login.ts digestSecret()). */
  readonly digestSecret: (username: string) => DigestSecret;
}

interface Entry {
  transport: HttpTransport;
  core: TransportSession;
}

export type LiveHttpSession = HttpSession<Entry>;

/** Digest answers that mean wrong credentials (a failed login), not a protocol slip or a stale nonce. */
const CREDENTIAL_FAILURES: ReadonlySet<DigestFailure> = new Set(['bad-response', 'unknown-user', 'hash-only', 'user-mismatch']);

export class HttpSessions {
  private readonly opts: HttpSessionsOptions;
  private readonly store: HttpSessionStore<Entry>;
  private readonly auth: DigestAuth;

  constructor(opts: HttpSessionsOptions) {
    this.opts = opts;
    this.store = new HttpSessionStore<Entry>({
      idleTimeoutMs: opts.httpTimeoutSeconds * 1000,
      maxSessions: opts.maxSessions,
      onExpire: (s, reason) => {
        if (reason === 'idle') s.value.core.destroy('http-timeout');
        else if (reason === 'evicted') s.value.core.destroy('http-evicted');
        else s.value.core.destroy('shutdown');
      },
    });
    this.auth = new DigestAuth({ listenerId: opts.listener, realm: opts.realm });
  }

  get size(): number { return this.store.size; }
  get maxAgeSeconds(): number { return this.store.maxAgeSeconds; }

  /** The session a cookie names, or a new one; undefined when the listener is full (503). */
  cookie(header: string | string[] | undefined, conn: ConnectionInfo): LiveHttpSession | undefined {
    return this.store.get(cookieSessionId(header), 'cookie') ?? this.create('cookie', conn);
  }

  /**
   * The Digest session of a request. `ok: false` carries the 401 to send;
   * `session` undefined means the listener is full (503).
   */
  async digest(method: string, target: string, authorization: string | undefined, conn: ConnectionInfo):
    Promise<{ ok: true; session: LiveHttpSession | undefined } | { ok: false; page: (head: HeadOptions) => ErrorPage }> {
    const r = this.auth.verify({ method, target, authorization, secretOf: (u) => this.opts.digestSecret(u) });
    if (!r.ok) {
      if (CREDENTIAL_FAILURES.has(r.reason)) await this.failedLogin(r.username ?? '', conn);
      return { ok: false, page: (head) => unauthorizedPage(r.wwwAuthenticate, head) };
    }
    const known = r.sessionId === undefined ? undefined : this.store.get(r.sessionId, 'digest');
    if (known !== undefined) return { ok: true, session: known };
    const s = this.create('digest', conn);
    if (s === undefined) return { ok: true, session: undefined };
    this.store.hold(s);
    const ok = await s.value.core.authenticate(r.username, true);
    this.store.release(s);
    if (!ok) {
      const challenge = this.auth.challenge().wwwAuthenticate;
      return { ok: false, page: (head) => unauthorizedPage(challenge, head) };
    }
    this.store.markAuthenticated(s);
    this.auth.bindSession(r.nonce, s.id);
    return { ok: true, session: s };
  }

  /** Run one action on a session; the session cannot expire meanwhile. */
  run(s: LiveHttpSession, msg: AmiMessage): { answer: Promise<HttpAnswer>; abandon: () => void } {
    this.store.hold(s);
    const { answer, abandon } = s.value.transport.request(msg);
    return {
      answer: answer.then((a) => {
        this.store.release(s);
        if (s.value.core.status === 'ready' && !s.authenticated) this.store.markAuthenticated(s);
        return a;
      }),
      abandon,
    };
  }

  /** Every session ends (graceful stop). */
  close(): void {
    this.store.close();
  }

  private create(kind: 'cookie' | 'digest', conn: ConnectionInfo): LiveHttpSession | undefined {
    const entry = {} as Entry;
    const s = this.store.create(kind, entry);
    if (s === undefined) return undefined;
    entry.transport = new HttpTransport({
      maxWaitSeconds: this.opts.httpTimeoutSeconds - 10,
      onClose: () => {
        this.store.end(s);
        this.auth.forgetSession(s.id);
      },
    });
    entry.core = this.opts.newSession(conn, entry.transport);
    return s;
  }

  /** Wrong Digest credentials: a login failure like any other (audit, metrics, lockout count), on a session that ends at once. */
  private async failedLogin(username: string, conn: ConnectionInfo): Promise<void> {
    const transport = new HttpTransport({ maxWaitSeconds: 0, onClose: () => undefined });
    await this.opts.newSession(conn, transport).authenticate(username, false);
  }
}
