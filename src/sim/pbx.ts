// The simulated Asterisk's shared state, independent of sockets: users,
// sessions, channels, the queue, global variables, timers, and the event bus.
//
//   emit(name, classes, body) ─▶ makeEvent() once ─▶ every session.offer(event)
//                                                     (read classes, Events mask, filters)
//
// Every timer goes through after() so that close()/restart() can stop all calls.

import type { AmiMessage } from '../protocol/message.js';
import { ChannelRegistry, type Timer } from './channels.js';
import { makeEvent, type SimEvent } from './events.js';
import { SimQueue } from './queue.js';
import { compileUser, type CompiledUser, type SimUser } from './users.js';

/** What a session needs from the pbx to deliver events (implemented by session.ts). */
export interface EventSink {
  readonly username: string | undefined;
  readonly authenticated: boolean;
  offer(ev: SimEvent): void;
  /** Flush what is queued now (shutdown), then close without further text. */
  closeAfterFlush(): void;
  /** Destroy the socket at once. */
  destroy(): void;
  pause(): void;
  resume(): void;
}

export interface ReceivedAction {
  user: string | undefined;
  action: string;
  msg: AmiMessage;
  at: number;
}

export interface PbxSettings {
  systemName: string | undefined;
  legacyCommand: boolean;
  authTimeoutMs: number;
  authLimit: number;
  loginFailureDelayMs: number;
  amiVersion: string;
  /** See SimOptions.listWriteDelayMs. @default 0 */
  listWriteDelayMs?: number;
  /** See SimOptions.withoutActions (lower-case names). */
  withoutActions?: ReadonlySet<string>;
}

export class SimPbx {
  readonly settings: PbxSettings;
  readonly userList: readonly SimUser[];
  private readonly users = new Map<string, CompiledUser>();
  readonly sessions = new Set<EventSink>();
  readonly channels = new ChannelRegistry();
  readonly queue: SimQueue;
  readonly globals = new Map<string, string>();
  readonly received: ReceivedAction[] = [];
  startTime = Date.now();
  lastReload = Date.now();
  /** TCP port in use (GetConfig manager.conf, SuccessfulAuth LocalAddress). */
  port = 0;
  /** hang(true): sessions stop reading and writing; timers keep running. */
  hung = false;
  shuttingDown = false;
  /** AST_OPT_FLAG_FULLY_BOOTED: false during SimOptions.fullyBootedDelayMs after a start or restart. */
  fullyBooted = true;
  private readonly timers = new Set<Timer>();

  constructor(settings: PbxSettings, users: readonly SimUser[]) {
    this.settings = settings;
    this.userList = users;
    for (const u of users) this.users.set(u.name.toLowerCase(), compileUser(u));
    this.queue = new SimQueue(this);
  }

  get systemName(): string | undefined { return this.settings.systemName; }

  /** Log an action; the oldest half is forgotten past RECEIVED_LIMIT so long demos stay bounded. */
  record(r: ReceivedAction): void {
    if (this.received.length >= RECEIVED_LIMIT) this.received.splice(0, RECEIVED_LIMIT / 2);
    this.received.push(r);
  }

  /** get_manager_by_name_locked(): case-insensitive. */
  user(name: string): CompiledUser | undefined { return this.users.get(name.toLowerCase()); }

  /** check_manager_session_inuse(). */
  userInUse(name: string): boolean {
    const n = name.toLowerCase();
    for (const s of this.sessions) if (s.authenticated && s.username?.toLowerCase() === n) return true;
    return false;
  }

  unauthenticatedSessions(): number {
    let n = 0;
    for (const s of this.sessions) if (!s.authenticated) n++;
    return n;
  }

  /** Build an event once and offer it to every session (S17/S20 checks are per session). */
  emit(name: string, category: number, body: string): SimEvent {
    const ev = makeEvent(name, category, body, this.settings.systemName);
    this.broadcast(ev);
    return ev;
  }

  broadcast(ev: SimEvent): void {
    for (const s of this.sessions) s.offer(ev);
  }

  after(ms: number, fn: () => void): Timer {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  cancel(t: Timer): void {
    clearTimeout(t);
    this.timers.delete(t);
  }

  /** Stop every call and timer; `forget` also resets counters and statistics (restart). */
  stopCalls(forget: boolean): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (forget) {
      this.channels.reset();
      this.queue.reset();
      this.globals.clear();
    } else {
      this.channels.clear();
    }
  }

  /**
   * ast_module_reload(): modules the simulator knows reload and publish a
   * Reload event; undefined/empty reloads everything (`Module: All`).
   */
  reload(module: string | undefined): boolean {
    if (module !== undefined && module !== '' && !KNOWN_MODULES.has(module.replace(/\.so$/, '').toLowerCase())) return false;
    this.lastReload = Date.now();
    this.emit('Reload', 1 /* system */, `Module: ${module ? module : 'All'}\r\nStatus: 0\r\n`);
    return true;
  }
}

const RECEIVED_LIMIT = 100_000;

const KNOWN_MODULES = new Set([
  'manager', 'app_queue', 'chan_local', 'core_local', 'pbx_config', 'app_dial', 'app_userevent', 'res_http', 'http',
  'cdr', 'cel', 'logger', 'features', 'dnsmgr', 'udptl', 'acl', 'extconfig', 'indications', 'dsp', 'rtp',
]);
