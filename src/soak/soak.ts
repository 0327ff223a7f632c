// The soak run (issue 6 item 6): many clients with colliding ActionIDs, an
// event generator, client churn and periodic upstream outages against the
// simulated Asterisk, all through one amigate, in this process. The outages
// alternate: a graceful restart (Event: Shutdown, like `core restart now`) and
// an abrupt kill (every socket dropped without a word, the port closed for a
// while, like a crash). It counts what matters for a proxy that must never lose
// or misroute a reply: actions sent, answered, misrouted, hung, cut by our own
// churn, clients dropped by the proxy and why, and the RSS trend.
//
// A reply is misrouted when it is not the answer to the client's oldest
// outstanding action: a wrong ActionID, or the right ActionID with content
// that does not fit the action. Every client owns a global variable SOAK_C<n>
// and reads it back, so a swap between two clients waiting on the same
// ActionID shows up in the Getvar reply's Variable header.

import net from 'node:net';
import pino from 'pino';
import { stringify } from 'yaml';
import { AmiParser } from '../protocol/parser.js';
import type { AmiMessage } from '../protocol/message.js';
import { startSim } from '../sim/server.js';
import { mulberry32 } from '../sim/generator.js';
import { parseConfig } from '../config/load.js';
import { createProxy } from '../proxy.js';
import type { SessionObservation } from '../downstream/session.js';

export interface SoakOptions {
  seconds: number;
  clients?: number;
  /** Restart the upstream this often (seconds). @default 60 */
  restartEvery?: number;
  eventsPerSecond?: number;
  seed?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface SoakReport {
  seconds: number;
  clients: number;
  sent: number;
  answered: number;
  answeredOk: number;
  answeredError: number;
  misrouted: number;
  hung: number;
  cutByChurn: number;
  /** Unanswered when amigate closed the client (slow consumer and the like). */
  cutByDrop: number;
  droppedByProxy: number;
  /** Sessions closed, by the proxy's close cause (client-closed is our own churn). */
  closeCauses: Record<string, number>;
  /** Upstream outages: graceful restarts plus kills. */
  restarts: number;
  /** Of those, abrupt kills (no Shutdown). */
  kills: number;
  /** The first few misrouted replies, for the report. */
  misroutedSamples: string[];
  eventsReceived: number;
  rssMiB: number[];
}

const UPSTREAM = { name: 'amigate', secret: 'soak-upstream', read: 'all', write: 'all' };
interface SoakAction {
  text(variable: string): string;
  list?: true;
  /** Does a Success reply fit this action? (`variable` is the client's own.) */
  fits(m: AmiMessage, variable: string, value: string): boolean;
  /** Answered by amigate itself, so never an outage error. */
  local?: true;
}
const ACTIONS: readonly SoakAction[] = [
  { text: () => 'Action: CoreStatus\r\n', fits: (m) => m.has('CoreCurrentCalls') },
  { text: () => 'Action: Ping\r\n', fits: (m) => m.get('Ping') === 'Pong', local: true },
  { text: () => 'Action: Command\r\nCommand: core show version\r\n', fits: (m) => m.get('Message') === 'Command output follows' },
  { text: () => 'Action: Getvar\r\nVariable: EPOCH\r\n', fits: (m) => m.get('Variable') === 'EPOCH' },
  { text: () => 'Action: CoreShowChannels\r\n', list: true, fits: (m) => m.get('EventList') === 'start' },
  // A restart forgets globals, so the value may be empty; never another client's.
  { text: (v) => `Action: Getvar\r\nVariable: ${v}\r\n`, fits: (m, v, value) => m.get('Variable') === v && (m.get('Value') === value || m.get('Value') === '') },
];
/** What an action bound for Asterisk may get during an outage (docs/reliability.md). */
const OUTAGE_ERROR = /^(Upstream .* is not available|Upstream connection lost|Action timed out|Too many pending actions)$/;
/** How long the end of the run waits for the last replies: the action timeout (5 s) plus slack. */
const HUNG_MS = 8000;

interface Outstanding { id: string; action: SoakAction; sentAt: number; gotResponse: boolean }

class SoakClient {
  private readonly socket: net.Socket;
  private queue: Outstanding[] = [];
  private ready = false;
  closedByUs = false;
  closed = false;
  events = 0;

  private readonly variable: string;
  private readonly value: string;

  constructor(port: number, private readonly r: SoakReport, private readonly rnd: () => number, index: number) {
    this.variable = `SOAK_C${index}`;
    this.value = `v${index}`;
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.setNoDelay(true);
    const parser = new AmiParser({ onMessage: (m) => this.message(m), onBanner: () => this.login() }, { banner: true, maxLineBytes: 1 << 20, maxLines: 1e5, emitEmpty: false });
    this.socket.on('data', (d: Buffer) => parser.write(d));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
      const unanswered = this.queue.filter((o) => !o.gotResponse).length;
      if (this.closedByUs) this.r.cutByChurn += unanswered;
      else { this.r.droppedByProxy++; this.r.cutByDrop += unanswered; }
      this.onClosed?.();
    });
  }

  onClosed: (() => void) | undefined;

  private login(): void {
    // Login, then set this client's own variable (it may fail during an outage; the Getvar check allows an empty value).
    this.socket.write('Action: Login\r\nUsername: soak\r\nSecret: soak-pw\r\nActionID: login\r\n\r\n'
      + `Action: Setvar\r\nVariable: ${this.variable}\r\nValue: ${this.value}\r\nActionID: setvar\r\n\r\n`);
  }

  private misrouted(why: string, m: AmiMessage): void {
    this.r.misrouted++;
    if (this.r.misroutedSamples.length < 5) this.r.misroutedSamples.push(`${why}: ${JSON.stringify(m.lines.slice(0, 4))}`);
  }

  private message(m: AmiMessage): void {
    const id = m.get('ActionID');
    if (!this.ready) {
      if (m.isResponse && id === 'setvar') { this.ready = true; this.burst(); }
      return;
    }
    if (m.isEvent) {
      if (id === undefined) { this.events++; return; }
      // A list item or Complete event: must belong to the oldest outstanding list action.
      const head = this.queue[0];
      if (!head || !head.action.list || head.id !== id || !head.gotResponse) { this.misrouted('list event outside its list', m); return; }
      if (m.get('EventList')?.toLowerCase() === 'complete') this.finish();
      return;
    }
    if (!m.isResponse) return;
    const head = this.queue[0];
    if (head && head.action.list && head.gotResponse && head.id === id && m.get('Response') === 'Error') {
      // A list cut by an upstream loss ends with an error response (docs/reliability.md).
      this.finish();
      return;
    }
    if (!head || head.gotResponse || head.id !== id) { this.misrouted('unexpected ActionID', m); return; }
    head.gotResponse = true;
    const ok = m.get('Response') !== 'Error';
    if (ok ? !head.action.fits(m, this.variable, this.value) : head.action.local || !OUTAGE_ERROR.test(m.get('Message') ?? '')) {
      this.misrouted('a reply that does not fit its action', m);
    }
    if (ok) this.r.answeredOk++; else this.r.answeredError++;
    this.r.answered++;
    // A list that failed has no items; one that started ends with its Complete event.
    if (!head.action.list || !ok || m.get('EventList')?.toLowerCase() !== 'start') this.finish();
  }

  private finish(): void {
    this.queue.shift();
    if (this.queue.length === 0 && !this.stopping) this.burst();
  }

  /** Send no more bursts (the end of the run). */
  stopping = false;
  get idle(): boolean { return this.queue.length === 0; }

  /** 1-3 actions at once with ActionIDs "1".."3": the same IDs every client uses. */
  private burst(): void {
    if (this.closed || this.closedByUs) return;
    const k = 1 + Math.floor(this.rnd() * 3);
    let out = '';
    for (let i = 1; i <= k; i++) {
      const a = ACTIONS[Math.floor(this.rnd() * ACTIONS.length)]!;
      this.queue.push({ id: String(i), action: a, sentAt: Date.now(), gotResponse: false });
      out += `${a.text(this.variable)}ActionID: ${i}\r\n\r\n`;
    }
    this.r.sent += k;
    this.socket.write(out);
  }

  /** Actions still without a final reply. */
  get outstanding(): number { return this.queue.length; }

  close(): void {
    this.closedByUs = true;
    this.socket.destroy();
  }
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const log = opts.log ?? (() => {});
  const n = opts.clients ?? 200;
  const rnd = mulberry32(opts.seed ?? 1); // seeded, so runs with one seed churn alike
  const r: SoakReport = {
    seconds: opts.seconds, clients: n, sent: 0, answered: 0, answeredOk: 0, answeredError: 0, misrouted: 0, hung: 0,
    cutByChurn: 0, cutByDrop: 0, droppedByProxy: 0, closeCauses: {}, restarts: 0, kills: 0, misroutedSamples: [], eventsReceived: 0, rssMiB: [],
  };
  const sim = await startSim({ users: [UPSTREAM], eventsPerSecond: opts.eventsPerSecond ?? 200, seed: opts.seed ?? 1, authLimit: 100000 });
  const doc = {
    general: { authlimit: 100000, authlimitperip: 100000, maxconnectionsperip: 100000, maxconnections: 100000, actiontimeout: 5000, upstreamwait: 0 },
    listeners: [{ name: 'soak', bindaddr: '127.0.0.1', port: 0 }],
    upstreams: [{ name: 'pbx1', host: '127.0.0.1', port: sim.port, username: UPSTREAM.name, secret: UPSTREAM.secret, connections: 2, keepalive: 2, keepalivemisses: 2 }],
    log: { level: 'silent' },
    users: { soak: { secret: 'soak-pw', read: 'all', write: 'all', writetimeout: 2000 } },
  };
  const { config } = await parseConfig(stringify(doc), '<soak>', {});
  const proxy = await createProxy(config, { logger: pino({ level: 'silent' }), drainTimeoutMs: 200 });
  const port = proxy.listeners[0]!.address.port;
  // Why the proxy closed each session (the soak's logger is silent; the session tells the proxy).
  const observe = proxy.observe.bind(proxy);
  let counting = true; // not the closes of the run's end
  proxy.observe = (ev: SessionObservation) => {
    if (counting && ev.type === 'closed') r.closeCauses[ev.cause] = (r.closeCauses[ev.cause] ?? 0) + 1;
    observe(ev);
  };
  const deadline = Date.now() + 10000;
  while (!proxy.cluster.isReady('pbx1') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));

  const clients = new Set<SoakClient>();
  let opened = 0;
  const open = () => {
    const c = new SoakClient(port, r, rnd, opened++);
    c.onClosed = () => { clients.delete(c); r.eventsReceived += c.events; };
    clients.add(c);
  };
  for (let i = 0; i < n; i++) open();

  const started = Date.now();
  const end = started + opts.seconds * 1000;
  const restartEvery = (opts.restartEvery ?? 60) * 1000;
  let nextRestart = started + restartEvery;
  let nextRss = started;
  let restarting: Promise<void> | undefined;
  while (Date.now() < end) {
    await new Promise((res) => setTimeout(res, 250));
    const now = Date.now();
    // Churn: about 2% of the clients per second leave; as many new ones arrive.
    for (const c of [...clients]) if (rnd() < 0.005) { c.close(); open(); }
    while (clients.size < n) open();
    if (now >= nextRestart && !restarting) {
      nextRestart += restartEvery;
      r.restarts++;
      // Alternate: odd outages are graceful restarts, even ones abrupt kills.
      const kill = r.restarts % 2 === 0;
      if (kill) r.kills++;
      log(`${((now - started) / 1000).toFixed(0)} s: ${kill ? 'killing' : 'restarting'} the upstream`);
      restarting = (kill ? sim.kill(500) : sim.restart(500)).finally(() => { restarting = undefined; });
    }
    if (now >= nextRss) {
      nextRss += 10000;
      r.rssMiB.push(Math.round(process.memoryUsage().rss / (1 << 20)));
      log(`${((now - started) / 1000).toFixed(0)} s: sent ${r.sent}, answered ${r.answered}, misrouted ${r.misrouted}, clients ${clients.size}, rss ${r.rssMiB.at(-1)} MiB`);
    }
  }
  await restarting;
  // No new bursts; every action in flight must end within the action timeout
  // (plus slack). What is still waiting then is hung.
  for (const c of clients) c.stopping = true;
  const settle = Date.now() + HUNG_MS;
  while ([...clients].some((c) => !c.idle) && Date.now() < settle) await new Promise((res) => setTimeout(res, 50));
  r.hung = [...clients].reduce((sum, c) => sum + c.outstanding, 0);
  counting = false;
  for (const c of [...clients]) { c.stopping = true; c.close(); }
  r.rssMiB.push(Math.round(process.memoryUsage().rss / (1 << 20)));
  await proxy.close('soak-end');
  await sim.close();
  return r;
}

export function formatReport(r: SoakReport): string {
  return [
    `soak: ${r.seconds} s, ${r.clients} clients, ${r.restarts} upstream outages (${r.restarts - r.kills} graceful restarts, ${r.kills} kills)`,
    `actions sent         ${r.sent}`,
    `answered             ${r.answered} (${r.answeredOk} success, ${r.answeredError} error: outages, timeouts)`,
    `cut by client churn  ${r.cutByChurn}`,
    `cut by a drop        ${r.cutByDrop}`,
    `misrouted            ${r.misrouted}   (must be 0: wrong ActionID, or content that does not fit the action or the client)`,
    ...r.misroutedSamples.map((x) => `  ${x}`),
    `hung                 ${r.hung}   (must be 0)`,
    `clients dropped by amigate for cause  ${r.droppedByProxy}${formatCauses(r.closeCauses)}`,
    `sessions closed by cause  ${Object.entries(r.closeCauses).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    `events received      ${r.eventsReceived}`,
    `RSS MiB              ${r.rssMiB.join(' -> ')}`,
  ].join('\n');
}

/** Causes other than our own churn (client-closed, and socket-error from a reset while we close). */
function formatCauses(causes: Record<string, number>): string {
  const own = new Set(['client-closed', 'socket-error']);
  const rest = Object.entries(causes).filter(([k]) => !own.has(k));
  return rest.length === 0 ? '' : ` (${rest.map(([k, v]) => `${k} ${v}`).join(', ')})`;
}
