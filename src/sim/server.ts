// startSim(): a simulated Asterisk 22 AMI server on TCP, faithful to the
// captures in ../shared/ami-transcripts, plus the controls tests, the demo and
// the benchmarks use (hang, drop, restart, injected and generated events, and
// the log of every action received). Never imported by the proxy's layers.

import net from 'node:net';
import { classBit } from '../protocol/privileges.js';
import { headerLine } from '../protocol/message.js';
import { UsageError } from '../errors.js';
import { EVENT, makeEvent } from './events.js';
import { LoadGenerator } from './generator.js';
import { parkedChannel } from './channels.js';
import { SimPbx, type ReceivedAction } from './pbx.js';
import { SimSession } from './session.js';
import { SimHttpServer } from './http.js';
import { DEFAULT_USERS, type SimUser } from './users.js';
import { AMI_VERSION } from './version.js';

export type { SimUser } from './users.js';
export type { ReceivedAction } from './pbx.js';

export interface SimOptions {
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** manager.conf users; replaces the defaults (admin, reader, limited of the captures). */
  users?: SimUser[];
  /** asterisk.conf systemname: adds `SystemName:` to events and prefixes unique ids. 'amiref' reproduces the captures. @default none */
  systemName?: string;
  /** Generated call events per second (see generator.ts). @default 0 */
  eventsPerSecond?: number;
  /** Seed of the generator's PRNG. @default 1 */
  seed?: number;
  /** Answer Command like Asterisk <= 13: `Response: Follows` ... `--END COMMAND--` (S24). @default false */
  legacyCommand?: boolean;
  /** authtimeout: unauthenticated sockets are closed silently after this long (S7). @default 30000 */
  authTimeoutMs?: number;
  /** authlimit: connections beyond this many unauthenticated sessions are dropped without a banner (S1). @default 50 */
  authLimit?: number;
  /** The sleep before `Authentication failed` and `Login Already In Use` (S8, S10). @default 1000 */
  loginFailureDelayMs?: number;
  /**
   * Asterisk still loading modules: for this long after every start and restart,
   * logins get no inline FullyBooted; then `Event: FullyBooted` is broadcast to
   * system readers (asterisk.c: manager_event once AST_OPT_FLAG_FULLY_BOOTED is set). @default 0
   */
  fullyBootedDelayMs?: number;
  /** AMI_VERSION in the banner. @default '11.0.0' (Asterisk 22) */
  amiVersion?: string;
  /** Long-lived channels present from the start (`PJSIP/parked-<n>`, no events), so CoreShowChannels and Status lists are not empty; a restart forgets them like any channel. @default 0 */
  preloadChannels?: number;
  /**
   * Write a list's `EventList: start` ack, then the items and Complete this many
   * ms later, like a session thread writing a long list to a slow socket. The
   * session's own events stay queued meanwhile (S26) while other sessions get
   * theirs, so a proxy with an event connection and an action connection sees
   * broadcast events arrive in the middle of a list. @default 0 (one write)
   */
  listWriteDelayMs?: number;
  /**
   * Also serve AMI over HTTP (/rawman, /mxml, /manager and the Digest variants
   * /arawman, /amxml, /amanager; http.ts) on this port; 0 picks a free port
   * (read it back from `sim.httpPort`). @default undefined (no HTTP)
   */
  httpPort?: number;
  /** manager.conf httptimeout in seconds: HTTP session idle lifetime and cookie Max-Age. @default 60 */
  httpTimeoutSec?: number;
  /**
   * Actions this server does not have, as if their module were not loaded
   * (chan_pjsip, app_queue...): left out of ListCommands and answered
   * `Invalid/unknown command: X. ...` like any unregistered action. Case-insensitive. @default none
   */
  withoutActions?: string[];
}

export interface Sim {
  readonly port: number;
  readonly host: string;
  /** The HTTP manager's port, when SimOptions.httpPort was given. */
  readonly httpPort: number | undefined;
  /** Every action received, in order (messages without an Action header are not actions). */
  readonly received: ReceivedAction[];
  /** Event: Shutdown to system readers, close every session, stop listening. */
  close(): Promise<void>;
  /** Broadcast an event of the given classes (`'call'`, `'system,call'`) to every session allowed to see it. */
  emitEvent(name: string, classes: string, headers: Array<[string, string]>): void;
  /** Start, re-rate or (0) stop the generated call events. */
  setGenerator(eventsPerSecond: number, seed?: number): void;
  /** Stop reading and answering (true) while keeping every socket open; false catches up. */
  hang(on: boolean): void;
  /** Destroy every session's socket, no text. */
  dropConnections(): void;
  /** Like `core restart now`: Event: Shutdown, close all, stop listening, then listen again on the same port after downMs. */
  restart(downMs?: number): Promise<void>;
  /** Like a crash (kill -9): every socket destroyed without a word, not listening for downMs, then listening again on the same port. */
  kill(downMs?: number): Promise<void>;
  /** TCP connections accepted since start (each connect attempt that reached the sim). */
  readonly accepted: number;
  sessionCount(): number;
}

export async function startSim(opts: SimOptions = {}): Promise<Sim> {
  const sim = new SimServer(opts);
  await sim.listen(opts.port ?? 0);
  if (opts.httpPort !== undefined) await sim.listenHttp(opts.httpPort, opts.httpTimeoutSec);
  if (opts.eventsPerSecond) sim.setGenerator(opts.eventsPerSecond, opts.seed);
  return sim;
}

class SimServer implements Sim {
  readonly host: string;
  private readonly pbx: SimPbx;
  private readonly generator: LoadGenerator;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private closed = false;
  private portNumber = 0;
  private readonly bootDelayMs: number;
  private bootTimer: NodeJS.Timeout | undefined;
  private down: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  accepted = 0;
  private http: SimHttpServer | undefined;

  constructor(opts: SimOptions) {
    this.bootDelayMs = opts.fullyBootedDelayMs ?? 0;
    this.host = opts.host ?? '127.0.0.1';
    this.pbx = new SimPbx({
      systemName: opts.systemName || undefined,
      legacyCommand: opts.legacyCommand ?? false,
      authTimeoutMs: opts.authTimeoutMs ?? 30000,
      authLimit: opts.authLimit ?? 50,
      loginFailureDelayMs: opts.loginFailureDelayMs ?? 1000,
      amiVersion: opts.amiVersion ?? AMI_VERSION,
      listWriteDelayMs: opts.listWriteDelayMs ?? 0,
      withoutActions: new Set((opts.withoutActions ?? []).map((a) => a.toLowerCase())),
    }, opts.users ?? DEFAULT_USERS);
    this.generator = new LoadGenerator(this.pbx, opts.seed ?? 1);
    for (let i = 0; i < (opts.preloadChannels ?? 0); i++) this.pbx.channels.add(parkedChannel(this.pbx.channels, i, this.pbx.systemName));
  }

  get port(): number { return this.portNumber; }
  get httpPort(): number | undefined { return this.http?.port; }

  async listenHttp(port: number, httpTimeoutSec: number | undefined): Promise<void> {
    const http = new SimHttpServer(this.pbx, { httpTimeoutSec });
    await http.listen(port, this.host);
    this.http = http;
  }
  get received(): ReceivedAction[] { return this.pbx.received; }

  listen(port: number): Promise<void> {
    const server = net.createServer({ noDelay: true }, (s) => this.accept(s));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        this.portNumber = (server.address() as net.AddressInfo).port;
        this.pbx.port = this.portNumber;
        this.boot();
        resolve();
      });
    });
  }

  /** SimOptions.fullyBootedDelayMs: not fully booted for a while after each start. */
  private boot(): void {
    clearTimeout(this.bootTimer);
    if (this.bootDelayMs <= 0) return;
    const pbx = this.pbx;
    pbx.fullyBooted = false;
    this.bootTimer = setTimeout(() => {
      pbx.fullyBooted = true;
      const now = Date.now();
      pbx.emit('FullyBooted', EVENT.SYSTEM,
        `Uptime: ${Math.floor((now - pbx.startTime) / 1000)}\r\nLastReload: ${Math.floor((now - pbx.lastReload) / 1000)}\r\nStatus: Fully Booted\r\n`);
    }, this.bootDelayMs);
    this.bootTimer.unref();
  }

  private accept(socket: net.Socket): void {
    this.accepted++;
    if (this.closed || this.pbx.shuttingDown || this.pbx.unauthenticatedSessions() >= this.pbx.settings.authLimit) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    this.pbx.sessions.add(new SimSession(this.pbx, socket));
  }

  emitEvent(name: string, classes: string, headers: Array<[string, string]>): void {
    let category = 0;
    for (const c of classes.split(',')) {
      const bit = classBit(c.trim());
      if (bit === undefined) throw new UsageError(`unknown event class ${JSON.stringify(c)}`);
      category |= bit;
    }
    let body = '';
    for (const [k, v] of headers) body += headerLine(k, v) + '\r\n';
    this.pbx.emit(name, category, body);
  }

  setGenerator(eventsPerSecond: number, seed?: number): void {
    this.generator.set(eventsPerSecond, seed);
  }

  hang(on: boolean): void {
    if (this.pbx.hung === on) return;
    this.pbx.hung = on;
    for (const s of [...this.pbx.sessions]) {
      if (on) s.pause();
      else s.resume();
    }
  }

  dropConnections(): void {
    for (const s of [...this.pbx.sessions]) s.destroy();
    for (const s of this.sockets) s.destroy();
  }

  sessionCount(): number { return this.pbx.sessions.size; }

  /** asterisk.c really_quit(): Event: Shutdown to every session that may read it, then every session closes. */
  private async shutdown(restart: boolean): Promise<void> {
    const pbx = this.pbx;
    pbx.shuttingDown = true;
    this.generator.pause();
    const ev = makeEvent('Shutdown', EVENT.SYSTEM,
      `Shutdown: ${pbx.channels.size > 0 ? 'Uncleanly' : 'Cleanly'}\r\nRestart: ${restart ? 'True' : 'False'}\r\n`, pbx.systemName);
    pbx.broadcast(ev);
    for (const s of [...pbx.sessions]) s.closeAfterFlush();
    pbx.stopCalls(restart);
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    // Peers that never close their end would keep server.close() waiting.
    const grace = setTimeout(() => { for (const s of this.sockets) s.destroy(); }, 200);
    await stopped;
    clearTimeout(grace);
  }

  async restart(downMs = 100): Promise<void> {
    if (this.closed) return;
    await this.shutdown(true);
    await new Promise((r) => setTimeout(r, downMs));
    if (this.closed) return;
    const pbx = this.pbx;
    pbx.startTime = pbx.lastReload = Date.now();
    pbx.shuttingDown = false;
    await this.listen(this.portNumber);
    this.generator.resume();
  }

  async kill(downMs = 100): Promise<void> {
    if (this.closed) return;
    const pbx = this.pbx;
    pbx.shuttingDown = true;
    clearTimeout(this.bootTimer);
    this.generator.pause();
    const server = this.server;
    this.server = undefined;
    const stopped = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    this.dropConnections();
    pbx.stopCalls(true);
    await stopped;
    // close() ends a long down time early, so a test's teardown need not wait for it.
    await new Promise<void>((resolve) => {
      this.down = { timer: setTimeout(resolve, downMs), resolve };
    });
    this.down = undefined;
    if (this.closed) return;
    pbx.startTime = pbx.lastReload = Date.now();
    pbx.shuttingDown = false;
    await this.listen(this.portNumber);
    this.generator.resume();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.bootTimer);
    if (this.down) { clearTimeout(this.down.timer); this.down.resolve(); }
    this.generator.set(0);
    await this.shutdown(false);
    await this.http?.close();
  }
}
