// Property-based fuzzing of whole sessions through the real proxy against the
// simulated Asterisk (issue 6): three clients (two `full`, one `limited`) log
// in, each sets its own global variable FUZZ_C<n>, then all pipeline random
// action sequences at once (allowed, denied, unknown, local, lists, async
// Originate, reads of their own variable; with colliding, own and no
// ActionIDs). Used by the fixed-seed CI test
// (test/integration/hostile/session-fuzz.test.ts) and `npm run fuzz`.
//
// What must hold, per client:
//   - exactly one Response per action, in order, with the action's ActionID
//     (none when it sent none), and nothing else answered;
//   - each Response is the one for that action and that user: Ping -> Pong,
//     an unknown action -> Asterisk's Invalid/unknown text, a denied one -> Permission denied,
//     Getvar FUZZ_C<n> -> this client's own value (a reply swapped between two
//     clients that both wait on ActionID "1" is caught here, not by IDs);
//   - between a list's `EventList: start` and its Complete event, only that
//     list's items, with its ActionID (no broadcast inside a list, S26);
//   - no event with an ActionID outside a list, except the client's own
//     OriginateResponse; the session stays open.
//
// A developer tool and test support: never loaded by the proxy.

import net from 'node:net';
import pino from 'pino';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { AmiParser } from '../protocol/parser.js';
import type { AmiMessage } from '../protocol/message.js';
import { unknownActionMessage } from '../protocol/unknown-action.js';
import { startSim } from '../sim/server.js';
import { parseConfig } from '../config/load.js';
import { createProxy } from '../proxy.js';
import type { CheckParams } from './codec-properties.js';

type User = 'full' | 'limited';

/** Who a client is: its user and the global variable only it sets. */
interface Me { index: number; user: User; variable: string; value: string }

interface FuzzAction {
  readonly name: string;
  text(me: Me): string;
  /** Name of the event that ends the list this action starts. */
  readonly complete?: string;
  /** Why `reply` is not this action's answer for `me`, or undefined when it is. */
  check(reply: AmiMessage, me: Me): string | undefined;
}

const DENIED = 'Permission denied';

function expect(reply: AmiMessage, response: string, message?: string, headers: Record<string, string> = {}): string | undefined {
  if (reply.get('Response') !== response) return `Response ${reply.get('Response')}, want ${response}`;
  if (message !== undefined && reply.get('Message') !== message) return `Message ${JSON.stringify(reply.get('Message'))}, want ${JSON.stringify(message)}`;
  for (const [k, v] of Object.entries(headers)) {
    if (reply.get(k) !== v) return `${k}: ${JSON.stringify(reply.get(k))}, want ${JSON.stringify(v)}`;
  }
  return undefined;
}

/** full: read=all write=all; limited: read=call write=call,reporting. */
export const SESSION_FUZZ_USERS = {
  full: { secret: 'pw', read: 'all', write: 'all' },
  limited: { secret: 'pw', read: 'call', write: 'call,reporting' },
} as const;

export const ACTIONS: readonly FuzzAction[] = [
  { name: 'Ping', text: () => 'Action: Ping\r\n', check: (r) => expect(r, 'Success', undefined, { Ping: 'Pong' }) },
  {
    name: 'CoreStatus', text: () => 'Action: CoreStatus\r\n',
    check: (r) => expect(r, 'Success') ?? (r.has('CoreCurrentCalls') ? undefined : 'no CoreCurrentCalls'),
  },
  {
    name: 'Command', text: () => 'Action: Command\r\nCommand: core show version\r\n',
    check: (r, me) => me.user === 'full' ? expect(r, 'Success', 'Command output follows') : expect(r, 'Error', DENIED),
  },
  { name: 'CoreShowChannels', text: () => 'Action: CoreShowChannels\r\n', complete: 'CoreShowChannelsComplete', check: (r) => expect(r, 'Success', 'Channels will follow', { EventList: 'start' }) },
  { name: 'QueueStatus', text: () => 'Action: QueueStatus\r\n', complete: 'QueueStatusComplete', check: (r) => expect(r, 'Success', 'Queue status will follow', { EventList: 'start' }) },
  { name: 'Getvar EPOCH', text: () => 'Action: Getvar\r\nVariable: EPOCH\r\n', check: (r) => expect(r, 'Success', undefined, { Variable: 'EPOCH' }) },
  {
    name: 'Originate', text: () => 'Action: Originate\r\nChannel: Local/100@test\r\nContext: test\r\nExten: 100\r\nPriority: 1\r\nAsync: true\r\n',
    check: (r, me) => me.user === 'full' ? expect(r, 'Success', 'Originate successfully queued') : expect(r, 'Error', DENIED),
  },
  {
    name: 'UpdateConfig', text: () => 'Action: UpdateConfig\r\n',
    // full reaches Asterisk, which refuses the empty request; limited lacks `config`.
    check: (r, me) => me.user === 'full' ? (expect(r, 'Error') ?? (r.get('Message') === DENIED ? 'denied for full' : undefined)) : expect(r, 'Error', DENIED),
  },
  { name: 'FooBar', text: () => 'Action: FooBar\r\n', check: (r) => expect(r, 'Error', unknownActionMessage('FooBar')) },
  { name: 'Events', text: () => 'Action: Events\r\nEventMask: call\r\n', check: (r) => expect(r, 'Success', undefined, { Events: 'On' }) },
  {
    name: 'Getvar SHELL', text: () => 'Action: Getvar\r\nVariable: SHELL(id)\r\n',
    // manager.c action_getvar(): functions that run shell commands need `system` (S13).
    check: (r, me) => me.user === 'full' ? expect(r, 'Success', undefined, { Variable: 'SHELL(id)' }) : expect(r, 'Error', 'GetVar Access Forbidden: Variable'),
  },
  {
    name: 'Getvar own', text: (me) => `Action: Getvar\r\nVariable: ${me.variable}\r\n`,
    check: (r, me) => expect(r, 'Success', undefined, { Variable: me.variable, Value: me.value }),
  },
  {
    name: 'Setvar own', text: (me) => `Action: Setvar\r\nVariable: ${me.variable}\r\nValue: ${me.value}\r\n`,
    check: (r) => expect(r, 'Success', 'Variable Set'),
  },
];

export type Step = readonly [action: number, id: string | undefined];

// A few shared IDs so that clients collide, plus the client's own and none at all.
const idArb = (me: string) => fc.oneof(fc.constantFrom('1', '2', 'x'), fc.constant(`${me}-own`), fc.constant(undefined));
export const stepsArb = (me: string): fc.Arbitrary<Step[]> =>
  fc.array(fc.tuple(fc.integer({ min: 0, max: ACTIONS.length - 1 }), idArb(me)), { minLength: 1, maxLength: 25 });

/** Check what one client received after its pipeline against what it sent. */
export function verify(msgs: readonly AmiMessage[], steps: readonly Step[], me: Me): { done: boolean; error?: string } {
  const originateIds = new Set(steps.filter(([a]) => ACTIONS[a]!.name === 'Originate').map(([, id]) => id));
  let k = 0;
  let list: { id: string | undefined; complete: string } | undefined;
  for (const m of msgs) {
    const id = m.get('ActionID');
    if (list !== undefined) {
      if (m.isEvent && id === list.id) {
        if (m.get('Event') === list.complete && m.get('EventList')?.toLowerCase() === 'complete') list = undefined;
        continue;
      }
      return { done: false, error: `inside the list of ActionID ${JSON.stringify(list.id)}: ${JSON.stringify(m.lines.slice(0, 3))}` };
    }
    if (m.isResponse) {
      const want = steps[k];
      if (want === undefined) return { done: false, error: `an extra response: ${JSON.stringify(m.lines.slice(0, 3))}` };
      const action = ACTIONS[want[0]]!;
      if (id !== want[1]) return { done: false, error: `response ${k + 1} (${action.name}) has ActionID ${JSON.stringify(id)}, want ${JSON.stringify(want[1])}` };
      const why = action.check(m, me);
      if (why !== undefined) return { done: false, error: `response ${k + 1} (${action.name}, ActionID ${JSON.stringify(id)}): ${why}; got ${JSON.stringify(m.toString())}` };
      k++;
      if (action.complete !== undefined && m.get('Response') === 'Success') list = { id, complete: action.complete };
      continue;
    }
    if (m.isEvent && id !== undefined && !(m.get('Event') === 'OriginateResponse' && originateIds.has(id))) {
      return { done: false, error: `an event with ActionID ${JSON.stringify(id)} outside any list: ${JSON.stringify(m.lines.slice(0, 3))}` };
    }
  }
  return { done: k === steps.length && list === undefined };
}

/** A minimal AMI client over TCP that records every packet. */
export class FuzzClient {
  readonly received: AmiMessage[] = [];
  closed = false;
  private readonly socket: net.Socket;
  private bannerSeen: (() => void) | undefined;

  private constructor(port: number) {
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.setNoDelay(true);
    const parser = new AmiParser(
      { onMessage: (m) => this.received.push(m), onBanner: () => this.bannerSeen?.() },
      { banner: true, maxLineBytes: 1 << 20, maxLines: 1e5, emitEmpty: false },
    );
    this.socket.on('data', (d: Buffer) => parser.write(d));
    this.socket.on('error', () => {});
    this.socket.on('close', () => { this.closed = true; });
  }

  static async connect(port: number, ms = 5000): Promise<FuzzClient> {
    const c = new FuzzClient(port);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no banner')), ms);
      c.bannerSeen = () => { clearTimeout(timer); resolve(); };
    });
    return c;
  }

  write(text: string): void { this.socket.write(text); }

  /** Send one action and wait for the response with its ActionID. */
  async action(text: string, id: string, ms = 5000): Promise<AmiMessage> {
    const from = this.received.length;
    this.write(`${text}ActionID: ${id}\r\n\r\n`);
    const end = Date.now() + ms;
    for (;;) {
      const r = this.received.slice(from).find((m) => m.isResponse && m.get('ActionID') === id);
      if (r) return r;
      if (this.closed || Date.now() > end) throw new Error(`no response to ActionID ${id}`);
      await sleep(5);
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => { this.socket.once('close', () => resolve()); this.socket.destroy(); });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const USERS: readonly User[] = ['full', 'limited', 'full'];

/** One case: three clients, their pipelines at once; throws on any violation. */
export async function runSessionCase(port: number, seqs: ReadonlyArray<readonly Step[]>, caseNo: number, timeoutMs = 10_000): Promise<void> {
  const clients = await Promise.all(USERS.map(() => FuzzClient.connect(port)));
  try {
    const mes: Me[] = USERS.map((user, index) => ({ index, user, variable: `FUZZ_C${index}`, value: `c${index}.${caseNo}` }));
    await Promise.all(clients.map(async (c, i) => {
      const login = await c.action(`Action: Login\r\nUsername: ${mes[i]!.user}\r\nSecret: pw\r\n`, 'login');
      if (login.get('Message') !== 'Authentication accepted') throw new Error(`client ${i}: login ${login.get('Message')}`);
      const set = await c.action(ACTIONS.find((a) => a.name === 'Setvar own')!.text(mes[i]!), 'setvar');
      if (set.get('Response') !== 'Success') throw new Error(`client ${i}: Setvar ${set.get('Message')}`);
    }));
    const marks = clients.map((c) => c.received.length);
    clients.forEach((c, i) => {
      let text = '';
      for (const [a, id] of seqs[i]!) text += ACTIONS[a]!.text(mes[i]!) + (id === undefined ? '' : `ActionID: ${id}\r\n`) + '\r\n';
      c.write(text);
    });
    const state = (i: number) => verify(clients[i]!.received.slice(marks[i]), seqs[i]!, mes[i]!);
    const end = Date.now() + timeoutMs;
    for (;;) {
      const states = clients.map((_, i) => state(i));
      const bad = states.findIndex((s) => s.error !== undefined);
      if (bad >= 0) throw new Error(`client ${bad} (${USERS[bad]}): ${states[bad]!.error}`);
      if (states.every((s) => s.done)) break;
      if (Date.now() > end) {
        const i = states.findIndex((s) => !s.done);
        throw new Error(`client ${i} (${USERS[i]}): not every action was answered within ${timeoutMs} ms`);
      }
      const closed = clients.findIndex((c) => c.closed);
      if (closed >= 0) throw new Error(`client ${closed} was closed`);
      await sleep(10);
    }
    await sleep(30); // anything extra would show now
    clients.forEach((c, i) => {
      const s = state(i);
      if (s.error !== undefined || !s.done) throw new Error(`client ${i} (${USERS[i]}): ${s.error ?? 'incomplete'}`);
      if (c.closed) throw new Error(`client ${i} was closed`);
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** The property over a proxy listening on `port`; `onCase` counts the cases tried. */
export function sessionProperty(port: number, onCase: () => void = () => {}) {
  let caseNo = 0;
  return fc.asyncProperty(stepsArb('a'), stepsArb('b'), stepsArb('c'), async (...seqs) => {
    onCase();
    await runSessionCase(port, seqs, ++caseNo);
  });
}

/** A sim and a proxy in this process, with the fuzz users, for the campaign. */
export async function startSessionTarget(): Promise<{ port: number; close(): Promise<void> }> {
  const upstream = { name: 'amigate', secret: 'fuzz-upstream', read: 'all', write: 'all' };
  const sim = await startSim({ users: [upstream] });
  const doc = {
    general: { authlimit: 1000, maxconnectionsperip: 1000 },
    listeners: [{ name: 'fuzz', bindaddr: '127.0.0.1', port: 0 }],
    upstreams: [{ name: 'pbx1', host: '127.0.0.1', port: sim.port, username: upstream.name, secret: upstream.secret, connections: 2 }],
    log: { level: 'silent' },
    users: SESSION_FUZZ_USERS,
  };
  const { config } = await parseConfig(stringify(doc), '<fuzz>', {});
  const proxy = await createProxy(config, { logger: pino({ level: 'silent' }), drainTimeoutMs: 200 });
  const end = Date.now() + 10_000;
  while (!proxy.cluster.isReady('pbx1') && Date.now() < end) await sleep(20);
  return {
    port: proxy.listeners[0]!.address.port,
    close: async () => { await proxy.close('fuzz-end'); await sim.close(); },
  };
}

/** Run the session property on `port` (fast-check parameters as for the codec properties). */
export async function checkSessions(port: number, params: CheckParams): Promise<fc.RunDetails<unknown> & { tried: number }> {
  let tried = 0;
  const out = await fc.check(sessionProperty(port, () => { tried++; }), {
    seed: params.seed, numRuns: params.numRuns,
    ...(params.path !== undefined ? { path: params.path } : {}),
    ...(params.interruptAfterTimeLimit !== undefined ? { interruptAfterTimeLimit: params.interruptAfterTimeLimit } : {}),
  });
  // numRuns counts passed cases only; report what was actually tried.
  return Object.assign(out as fc.RunDetails<unknown>, { tried });
}
