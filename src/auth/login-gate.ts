// What a login decision needs from the lockout and from the session count,
// as interfaces: auth/login-throttle.ts (this process alone) implements the
// lockout, cluster/shared-state.ts (Redis, several instances) both. The
// session layer (session/services/login.ts) and the cluster layer import them
// from here, so neither depends on the other.

import type { LoginFailuresConfig } from '../config/schema.js';
import type { UserRecord } from './user-store.js';

/**
 * The failed-login lockout as the decision sees it. lockedFor() may answer
 * 'unavailable': the shared state cannot be read and the configured policy is
 * to refuse (docs/shared-state.md).
 */
export interface LockoutGate {
  lockedFor(ip: string, user: string): number | 'unavailable' | Promise<number | 'unavailable'>;
  fail(ip: string, user?: string): void;
  succeed(ip: string, user: string): void;
}

/** A lockout a reload can give new limits (counts and lockouts are kept). */
export type LoginGate = LockoutGate & { configure(cfg: LoginFailuresConfig): void };

/** A place for one more session of a user: taken, the user is at its limit, or the shared count cannot be read. */
export type SlotResult = 'ok' | 'full' | 'unavailable';

/** Session places across instances; without it the limit is checked against this process's live sessions. */
export interface SessionPlaces {
  /** Take a place for session `sessionId` of `user` if it has fewer than `limit` (0 = unlimited). */
  acquire(sessionId: number, user: UserRecord, limit: number): Promise<SlotResult>;
  /** Sessions of `user` everywhere (S10 at Challenge); 'unavailable' when that cannot be known. */
  count(user: string): Promise<number | 'unavailable'>;
}
