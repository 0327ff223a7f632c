// The graceful stop, phase by phase (proxy.ts close() runs it). Behind a load
// balancer a stop must not drop an action, so the order matters:
//   1. not ready: /readyz answers 503 (draining: true) while every listener
//      still accepts and serves, for general.drainreadydelay seconds, because
//      the balancer keeps sending new connections until its checks notice;
//   2. stop accepting;
//   3. hold: sessions start no new action (what a client sends now is never
//      forwarded, so an unanswered action at Event: Shutdown was not run and
//      may be resent elsewhere), actions already forwarded finish, up to
//      general.draintimeout ms;
//   4. Event: Shutdown to system readers, close everything.
// A second request to stop (a second SIGTERM) cuts phase 1 short. Each phase is
// logged. proxy.ts hands the Drain the parts it stops.

import type pino from 'pino';
import { AmiMessage } from './protocol/message.js';
import type { SessionHandle } from './session/services.js';

export type DrainPhase = 'running' | 'not-ready' | 'stopping' | 'finishing' | 'closing' | 'stopped';

/** What a stop closes, as proxy.ts has it (read when each phase runs). */
export interface DrainTarget {
  readonly logger: pino.Logger;
  /** Seconds of phase 1 (read when the stop begins, so a reload applies). */
  readyDelaySeconds(): number;
  /** Milliseconds phase 3 may last. */
  drainTimeoutMs(): number;
  readonly listeners: ReadonlyArray<{ stopAccepting(): Promise<void>; destroyAll(): void }>;
  sessions(): Iterable<SessionHandle>;
  /** Actions forwarded upstream and not yet answered. */
  pendingActions(): number;
  httpFronts(): Iterable<{ close(): Promise<void> }>;
  /** Log off from every upstream. */
  closeUpstreams(): Promise<void>;
  /** The admin server goes last: /readyz answers 503 until the very end. */
  closeAdmin(): Promise<void>;
  /** After the last log line (write out a log file the proxy owns). */
  stopped(): Promise<void>;
}

// main/asterisk.c: Event: Shutdown (system class) to every session that may read it (S28).
const SHUTDOWN = AmiMessage.from([['Event', 'Shutdown'], ['Privilege', 'system,all'], ['Shutdown', 'Cleanly'], ['Restart', 'False']]);

/** Keeps the process alive: the stop finishes even when nothing else is left open. */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Drain {
  private current: DrainPhase = 'running';
  private done: Promise<void> | undefined;
  private skipWait: (() => void) | undefined;

  constructor(private readonly target: DrainTarget) {}

  get phase(): DrainPhase { return this.current; }
  /** /readyz answers 503 from the first moment of a stop. */
  get draining(): boolean { return this.current !== 'running'; }
  /** New connections are still taken (running, or phase 1 of a stop). */
  get accepting(): boolean { return this.current === 'running' || this.current === 'not-ready'; }

  /** Start the stop, or (already stopping) cut the ready delay short; resolves once everything is closed. */
  run(reason: string): Promise<void> {
    if (this.done) {
      if (this.skipWait) {
        this.target.logger.info({ reason }, 'drain: stop requested again; the ready delay is cut short');
        this.skipWait();
      }
      return this.done;
    }
    this.done = this.phases(reason);
    return this.done;
  }

  private async phases(reason: string): Promise<void> {
    const t = this.target;
    const delayMs = Math.max(0, t.readyDelaySeconds() * 1000);
    this.current = 'not-ready';
    t.logger.info({ reason, drainreadydelay: delayMs / 1000 }, 'drain: not ready (readyz 503), still accepting');
    if (delayMs > 0) {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.skipWait = resolve;
        timer = setTimeout(resolve, delayMs);
      });
      clearTimeout(timer);
      t.logger.info({ waitedMs: Date.now() - started }, 'drain: ready delay over');
    }
    this.skipWait = undefined;

    this.current = 'stopping';
    await Promise.all(t.listeners.map((l) => l.stopAccepting()));
    for (const s of t.sessions()) s.hold();
    t.logger.info('drain: stopped accepting; sessions start no new action');

    this.current = 'finishing';
    const start = Date.now();
    const deadline = start + t.drainTimeoutMs();
    while (t.pendingActions() > 0 && Date.now() < deadline) await sleep(20);
    const left = t.pendingActions();
    if (left > 0) t.logger.warn({ pending: left, waitedMs: Date.now() - start }, 'drain: draintimeout reached with actions in flight');
    else t.logger.info({ waitedMs: Date.now() - start }, 'drain: in-flight actions finished');

    this.current = 'closing';
    let told = 0;
    for (const s of t.sessions()) {
      const sees = s.status === 'ready' && (s.readMask & 1) === 1 && (s.sendMask & 1) === 1;
      if (sees) told++;
      s.shutdown(sees ? SHUTDOWN : undefined, 'shutdown');
    }
    t.logger.info({ told }, 'drain: Event: Shutdown sent; closing');
    await sleep(50);
    for (const f of t.httpFronts()) await f.close();
    for (const s of t.sessions()) s.destroy('shutdown');
    for (const l of t.listeners) l.destroyAll();
    await t.closeUpstreams();
    await t.closeAdmin();
    this.current = 'stopped';
    t.logger.info('stopped');
    t.logger.flush?.();
    await t.stopped();
  }
}
