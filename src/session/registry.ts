// Every live session, whatever its transport: by id, by user (allowmultiplelogin
// and maxsessions count TCP, TLS, HTTP and WebSocket sessions alike), and the
// number still unauthenticated that authlimit counts (S1: sessions on AMI
// sockets; HTTP sessions are bounded per listener by maxhttpsessions instead,
// so cookie-less web requests cannot lock TCP clients out). Fed by the sessions' own
// login-ok and closed notifications; proxy.ts adds what else follows them.

import type { SessionHandle, SessionObservation } from './services.js';

export interface RegistryHooks {
  /** A session logged in (fan-out starts delivering to it). */
  loggedIn(session: SessionHandle): void;
  /** A session is gone: drop everything still kept for it below. */
  closed(session: SessionHandle): void;
}

export class SessionRegistry {
  /** By id; read by the drain, reload, metrics scrapes and tests. */
  readonly sessions = new Map<number, SessionHandle>();
  private readonly byUser = new Map<string, Set<SessionHandle>>();
  /** Unauthenticated sessions that count for authlimit. */
  private readonly waiting = new Set<number>();
  private readonly hooks: RegistryHooks;

  constructor(hooks: RegistryHooks) {
    this.hooks = hooks;
  }

  get size(): number { return this.sessions.size; }
  get unauthenticated(): number { return this.waiting.size; }

  /** Sessions of a user now (its name as configured). */
  activeSessions(user: string): number { return this.byUser.get(user)?.size ?? 0; }

  values(): IterableIterator<SessionHandle> { return this.sessions.values(); }

  /** A new, unauthenticated session; `authLimited`: it counts for authlimit until it logs in or closes. */
  add(session: SessionHandle, authLimited = true): void {
    this.sessions.set(session.id, session);
    if (authLimited) this.waiting.add(session.id);
  }

  /** Keep the books from a session's own notifications. */
  track(ev: SessionObservation): void {
    const s = ev.session;
    if (ev.type === 'login-ok') {
      this.waiting.delete(s.id);
      const name = s.user!.name;
      let set = this.byUser.get(name);
      if (!set) this.byUser.set(name, (set = new Set()));
      set.add(s);
      this.hooks.loggedIn(s);
    } else if (ev.type === 'closed') {
      this.sessions.delete(s.id);
      this.waiting.delete(s.id);
      if (s.user) this.byUser.get(s.user.name)?.delete(s);
      this.hooks.closed(s);
    }
  }

  /** The largest output queue of any session now (scrape time only: one pass, nothing per event). */
  maxQueuedBytes(): number {
    let max = 0;
    for (const s of this.sessions.values()) max = Math.max(max, s.queuedBytes);
    return max;
  }
}
