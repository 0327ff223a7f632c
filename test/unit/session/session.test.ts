// The session core (src/session/session.ts) driven without sockets: an
// in-memory Transport records every call, fake services answer forwarded
// actions when the test says so. The TCP front end keeps its real-socket
// tests (test/integration/proxy/*); this file proves what every transport
// relies on: FIFO actions, held events, one handler per local action, a
// transport that collects exactly one action's packets (as HTTP will), and
// cleanup when the transport goes away.

import t from 'tap';
import { readdir } from 'node:fs/promises';
import { AmiSession } from '../../../src/session/session.js';
import { LOCAL_ACTIONS } from '../../../src/session/actions/index.js';
import type { Transport, TransportSession } from '../../../src/session/context.js';
import type { SessionObservation, SessionServices, SessionUser } from '../../../src/session/services.js';
import { AmiMessage } from '../../../src/protocol/message.js';
import { OutboundEvent } from '../../../src/protocol/outbound-event.js';
import type { ReplyHandler } from '../../../src/router/router.js';

const USER: SessionUser = {
  name: 'crm', readMask: 0x7fffffff, writeMask: 0x7fffffff, servers: undefined, serverHeader: false, writeTimeoutMs: 1000, record: null,
};

/** Every call the core makes, in order: `send <first line>`, `event <first line>`, `done`, ... */
class MemoryTransport implements Transport {
  readonly calls: string[] = [];
  readonly packets: AmiMessage[] = [];
  session!: TransportSession;
  queuedBytes = 0;
  highWater = 0;
  eventsQueued = 0;
  constructor(readonly pollsEvents = false) {}
  attach(s: TransportSession): void { this.session = s; }
  banner(line: string): void { this.calls.push('banner ' + line); }
  send(msg: AmiMessage): void { this.packets.push(msg); this.calls.push('send ' + msg.lines[0]); }
  event(ev: OutboundEvent): void { this.packets.push(ev.message); this.calls.push('event ' + ev.message.lines[0]); }
  actionDone(): void { this.calls.push('done'); }
  flush(): void {}
  loggedIn(): void { this.calls.push('logged-in'); }
  pause(): void { this.calls.push('pause'); }
  resume(): void { this.calls.push('resume'); }
  end(): void { this.calls.push('end'); }
  destroy(): void { this.calls.push('destroy'); }
}

/**
 * A transport that answers one request per action, as the HTTP transport will:
 * it collects the packets between request() and the core's actionDone().
 */
class CollectingTransport extends MemoryTransport {
  private collecting: { packets: AmiMessage[]; resolve: (p: AmiMessage[]) => void } | undefined;
  constructor() { super(true); }
  request(msg: AmiMessage): Promise<AmiMessage[]> {
    return new Promise((resolve) => {
      this.collecting = { packets: [], resolve };
      this.session.receive(msg);
    });
  }
  override send(msg: AmiMessage): void { super.send(msg); this.collecting?.packets.push(msg); }
  override event(ev: OutboundEvent): void { super.event(ev); this.collecting?.packets.push(ev.message); }
  override actionDone(): void {
    super.actionDone();
    const c = this.collecting;
    this.collecting = undefined;
    c?.resolve(c.packets);
  }
}

interface Rig { session: AmiSession; transport: MemoryTransport; observed: SessionObservation[]; pending: Array<{ msg: AmiMessage; handler: ReplyHandler }> }

function rig(transport: MemoryTransport = new MemoryTransport(), opts: { maxQueueBytes?: number; booted?: boolean } = {}): Rig {
  const observed: SessionObservation[] = [];
  const pending: Rig['pending'] = [];
  const services: SessionServices = {
    banner: () => 'Asterisk Call Manager/11.0.0',
    authTimeoutMs: 60_000,
    maxQueueBytes: opts.maxQueueBytes ?? 1 << 20,
    maxPendingActions: 8,
    login: async (req) => (req.secret === 'x' ? { ok: true, user: USER } : { ok: false, reason: 'bad-secret', reply: 'Authentication failed' }),
    challengeAllowed: () => true,
    decide: () => ({ allow: true }),
    compileFilters: (_u, extra) => ({ size: extra.length, passes: (name) => extra.every((f) => typeof f !== 'string' || !f.startsWith('!') || f.slice(1) !== 'Event: ' + name) }),
    checkFilter: () => {},
    forward: (_s, msg, _servers, handler) => { pending.push({ msg, handler }); },
    // Keeps only the Ping line: proves the response went through the ListCommands filter.
    filterListCommands: (_u, r) => new AmiMessage(r.lines.filter((l) => !l.startsWith('Originate:'))),
    serversFor: () => ['pbx1'],
    fullyBooted: () => (opts.booted ? { uptime: 5, lastReload: 5 } : undefined),
    observe: (ev) => { observed.push(ev); },
  };
  const session = new AmiSession(1, services, { remoteAddress: '127.0.0.1', remotePort: 1, listener: 'test' }, transport);
  session.start();
  t.teardown(() => session.destroy('test-end'));
  return { session, transport, observed, pending };
}

const msg = (...pairs: Array<[string, string]>) => AmiMessage.from(pairs);
const event = (name: string) => msg(['Event', name], ['Privilege', 'call,all']);
const tick = () => new Promise((r) => setImmediate(r));
async function until(pred: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 3000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
async function login(r: Rig): Promise<void> {
  r.transport.session.receive(msg(['Action', 'Login'], ['Username', 'crm'], ['Secret', 'x']));
  await until(() => r.session.status === 'ready', 'login');
  await tick();
  r.transport.calls.length = 0;
  r.transport.packets.length = 0;
}
const answer = (p: Rig['pending'][number], lines: string[]) => {
  p.handler.packet(new AmiMessage(lines));
  p.handler.done('success', { upstream: 'pbx1', upstreamMs: 1 });
};

t.test('actions run one at a time, in arrival order (S26)', async (t) => {
  const r = rig();
  await login(r);
  for (const id of ['a', 'b', 'c']) r.transport.session.receive(msg(['Action', 'Status'], ['ActionID', id]));
  t.equal(r.pending.length, 1, 'only the first action is forwarded while it is in flight');
  answer(r.pending[0]!, ['Response: Success', 'ActionID: a']);
  t.equal(r.pending.length, 2, 'the second follows once the first has ended');
  r.transport.session.receive(msg(['Action', 'Ping'], ['ActionID', 'p']));
  answer(r.pending[1]!, ['Response: Success', 'ActionID: b']);
  answer(r.pending[2]!, ['Response: Success', 'ActionID: c']);
  t.same(r.pending.map((p) => p.msg.get('ActionID')), ['a', 'b', 'c']);
  t.same(r.transport.packets.map((p) => p.get('ActionID')), ['a', 'b', 'c', 'p'], 'replies in request order, the local Ping after the forwarded ones');
  t.same(r.transport.calls.filter((c) => c === 'done').length, 4, 'one actionDone per action');
});

t.test('events during an action are held and flushed after its last packet', async (t) => {
  const r = rig();
  await login(r);
  r.transport.session.receive(msg(['Action', 'CoreShowChannels'], ['ActionID', 'l']));
  const p = r.pending[0]!;
  p.handler.packet(new AmiMessage(['Response: Success', 'ActionID: l', 'EventList: start']));
  r.session.deliverEvent(event('Newchannel').toBuffer());
  p.handler.packet(new AmiMessage(['Event: CoreShowChannel', 'ActionID: l']));
  r.session.deliverEvent(event('Hangup').toBuffer());
  t.equal(r.session.queuedBytes, event('Newchannel').toBuffer().length + event('Hangup').toBuffer().length, 'held events count as queued');
  p.handler.packet(new AmiMessage(['Event: CoreShowChannelsComplete', 'ActionID: l', 'EventList: Complete']));
  p.handler.done('success', { upstream: 'pbx1', upstreamMs: 1 });
  t.same(r.transport.calls, [
    'send Response: Success', 'send Event: CoreShowChannel', 'send Event: CoreShowChannelsComplete',
    'event Event: Newchannel', 'event Event: Hangup', 'done',
  ], 'no event inside the list');
  r.session.deliverEvent(event('Idle').toBuffer());
  t.equal(r.transport.calls.at(-1), 'event Event: Idle', 'between actions an event goes straight out');
});

t.test('one handler per local action, one file each, found by its name', async (t) => {
  const files = (await readdir(new URL('../../../src/session/actions/', import.meta.url))).filter((f) => f !== 'index.ts').sort();
  const kebab = (n: string) => n.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase() + '.ts';
  t.same([...LOCAL_ACTIONS.values()].map((a) => kebab(a.name)).sort(), files, 'every file is one action named after it');
  t.same([...LOCAL_ACTIONS.keys()].sort(), ['challenge', 'events', 'filter', 'listcommands', 'login', 'logoff', 'ping', 'waitevent']);
  for (const [key, a] of LOCAL_ACTIONS) {
    t.equal(key, a.name.toLowerCase());
    const module = await import(`../../../src/session/actions/${kebab(a.name).replace('.ts', '.js')}`) as Record<string, unknown>;
    t.ok(Object.values(module).includes(a), `${a.name} lives in ${kebab(a.name)}`);
  }

  const r = rig();
  const s = r.transport.session;
  s.receive(msg(['Action', 'Ping'], ['ActionID', '0']));
  s.receive(msg(['Action', 'challenge'], ['AuthType', 'md5'], ['ActionID', '1']));
  await login(r);
  s.receive(msg(['Action', 'PING'], ['ActionID', '2']));
  s.receive(msg(['Action', 'Events'], ['EventMask', 'off'], ['ActionID', '3']));
  s.receive(msg(['Action', 'Filter'], ['Operation', 'Add'], ['Filter', '!Event: Noise'], ['ActionID', '4']));
  s.receive(msg(['Action', 'Login'], ['Username', 'crm'], ['Secret', 'x'], ['ActionID', '5']));
  s.receive(msg(['Action', 'ListCommands'], ['ActionID', '6']));
  t.equal(r.pending.length, 1, 'ListCommands is forwarded');
  r.pending[0]!.handler.packet(new AmiMessage(['Response: Success', 'ActionID: 6', 'Ping: Keepalive command.  (Priv: <none>)', 'Originate: Originate a call.  (Priv: originate,all)']));
  r.pending[0]!.handler.done('success', { upstream: 'pbx1', upstreamMs: 1 });
  t.equal(r.session.sendMask, 0, 'Events: off is this session\'s mask');
  t.same(r.transport.packets.map((p) => p.toString()), [
    'Response: Success\r\nActionID: 2\r\nPing: Pong\r\nTimestamp: ' + r.transport.packets[0]!.get('Timestamp') + '\r\n\r\n',
    'Response: Success\r\nActionID: 3\r\nEvents: Off\r\n\r\n',
    'Response: Success\r\nActionID: 4\r\nMessage: Success\r\n\r\n',
    'Response: Success\r\nActionID: 5\r\nMessage: Already authenticated\r\n\r\n',
    'Response: Success\r\nActionID: 6\r\nPing: Keepalive command.  (Priv: <none>)\r\n\r\n',
  ]);
  t.match(r.observed.filter((o) => o.type === 'action').map((o) => (o as { action: string }).action), ['challenge', 'PING', 'Events', 'Filter', 'Login', 'ListCommands']);
  s.receive(msg(['Action', 'Logoff'], ['ActionID', '7']));
  t.equal(r.transport.packets.at(-1)!.toString(), 'Response: Goodbye\r\nActionID: 7\r\nMessage: Thanks for all the fish.\r\n\r\n');
  t.same(r.transport.calls.slice(-2), ['send Response: Goodbye', 'end'], 'Logoff ends the transport after its reply');
  t.equal(r.session.status, 'closing');
});

t.test('before login, only Login, Challenge and Logoff are answered (S7)', async (t) => {
  const r = rig();
  r.transport.session.receive(msg(['Action', 'Ping'], ['ActionID', '0']));
  r.transport.session.receive(msg(['Action', 'Events'], ['EventMask', 'on']));
  t.same(r.transport.packets.map((p) => p.toString()), [
    'Response: Error\r\nActionID: 0\r\nMessage: Permission denied\r\n\r\n',
    'Response: Error\r\nMessage: Permission denied\r\n\r\n',
  ]);
  t.equal(r.pending.length, 0);
});

t.test('a transport that collects one action per request and polls for events (as HTTP)', async (t) => {
  const transport = new CollectingTransport();
  const r = rig(transport, { booted: true, maxQueueBytes: 200 });
  const loginPackets = await transport.request(msg(['Action', 'Login'], ['Username', 'crm'], ['Secret', 'x'], ['ActionID', 'L']));
  t.same(loginPackets.map((p) => p.lines[0]), ['Response: Success', 'Event: FullyBooted'], 'Login: the reply and FullyBooted, as /rawman gives');

  r.session.deliverEvent(event('Early').toBuffer());
  t.same(transport.calls.filter((c) => c.startsWith('event')), [], 'events wait for WaitEvent, even between actions');

  const list = transport.request(msg(['Action', 'QueueStatus'], ['ActionID', 'q']));
  const p = r.pending[0]!;
  p.handler.packet(new AmiMessage(['Response: Success', 'ActionID: q', 'EventList: start']));
  r.session.deliverEvent(event('During').toBuffer());
  p.handler.packet(new AmiMessage(['Event: QueueStatusComplete', 'ActionID: q', 'EventList: Complete']));
  p.handler.done('success', { upstream: 'pbx1', upstreamMs: 1 });
  t.same((await list).map((m) => m.lines[0]), ['Response: Success', 'Event: QueueStatusComplete'], 'exactly the packets of that action');

  const wait = await transport.request(msg(['Action', 'WaitEvent'], ['Timeout', '30'], ['ActionID', 'w']));
  t.same(wait.map((m) => m.lines[0]), ['Response: Success', 'Event: Early', 'Event: During', 'Event: WaitEventComplete'], 'WaitEvent returns at once with what was pending');

  const second = transport.request(msg(['Action', 'WaitEvent'], ['Timeout', '30'], ['ActionID', 'w2']));
  await tick();
  t.ok(r.session.abortWait(), 'a pending WaitEvent can be ended without a word (HTTP: a second waitevent)');
  t.same(await second, [], 'nothing written for it');
  t.notOk(r.session.abortWait(), 'and only once');

  const big = msg(['Event', 'Big'], ['Privilege', 'call,all'], ['Data', 'x'.repeat(80)]).toBuffer();
  for (let i = 0; i < 5; i++) r.session.deliverEvent(big);
  const dropped = r.observed.filter((o) => o.type === 'events-dropped') as Array<Extract<SessionObservation, { type: 'events-dropped' }>>;
  t.ok(dropped.length > 0 && r.session.status === 'ready', 'an overflowing poll queue drops events, not the session');
  t.equal(dropped.reduce((n, d) => n + d.count, 0), 5 - Math.floor(200 / big.length), 'the oldest events over maxqueuebytes, counted');
  t.ok(r.session.queuedBytes <= 200);
});

t.test('the transport goes away: the session cleans up and counts what was lost', async (t) => {
  const r = rig();
  await login(r);
  r.transport.session.receive(msg(['Action', 'Status'], ['ActionID', 's']));
  r.transport.session.receive(msg(['Action', 'Ping'], ['ActionID', 'queued']));
  r.session.deliverEvent(event('A').toBuffer());
  r.session.deliverEvent(event('B').toBuffer());
  r.transport.eventsQueued = 3;
  r.transport.session.destroy('client-closed');
  t.equal(r.session.status, 'closed');
  const closed = r.observed.find((o) => o.type === 'closed') as Extract<SessionObservation, { type: 'closed' }>;
  t.match(closed, { cause: 'client-closed', eventsDropped: 5, dropReason: 'session-closed' }, 'held and still-queued events, counted');
  t.equal(r.session.queuedBytes, 0, 'held events released');
  t.equal(r.transport.calls.at(-1), 'destroy');
  const before = r.transport.calls.length;
  answer(r.pending[0]!, ['Response: Success', 'ActionID: s']);
  r.session.deliverEvent(event('Late').toBuffer());
  t.equal(r.transport.calls.length, before, 'a late reply or event writes nothing');
  t.equal(r.pending.length, 1, 'the queued Ping was never run');
  r.transport.session.destroy('again');
  t.equal(r.observed.filter((o) => o.type === 'closed').length, 1, 'closed once');

  // A WaitEvent in progress: its timer goes with the session.
  const w = rig();
  await login(w);
  w.transport.session.receive(msg(['Action', 'WaitEvent'], ['Timeout', '1']));
  w.transport.session.destroy('client-closed');
  await new Promise((res) => setTimeout(res, 1200));
  t.same(w.transport.calls, ['destroy'], 'no WaitEvent reply after close');
});

t.test('client input ends a WaitEvent, as on an AMI socket', async (t) => {
  const r = rig();
  await login(r);
  r.transport.session.receive(msg(['Action', 'WaitEvent'], ['Timeout', '30'], ['ActionID', 'w']));
  r.transport.session.receive(msg(['Action', 'Ping'], ['ActionID', 'p']));
  t.same(r.transport.calls, [], 'the Ping waits behind the WaitEvent');
  r.transport.session.input();
  await until(() => r.transport.packets.length === 3, 'the WaitEvent reply and the Ping');
  t.same(r.transport.packets.map((p) => [p.lines[0], p.get('ActionID')]), [
    ['Response: Success', 'w'], ['Event: WaitEventComplete', 'w'], ['Response: Success', 'p'],
  ]);
});

t.test('a forwarded action\'s answer leaves before its audit record and metrics are made; held events still go with it', async (t) => {
  class FlushTransport extends MemoryTransport {
    override flush(): void { this.calls.push('flush'); }
  }
  const r = rig(new FlushTransport());
  await login(r);
  const services = r.session.services as { observe: SessionServices['observe'] };
  const observe = services.observe;
  services.observe = (ev) => { r.transport.calls.push('observe ' + ev.type); observe(ev); };
  r.transport.session.receive(msg(['Action', 'Status'], ['ActionID', 'a']));
  answer(r.pending[0]!, ['Response: Success', 'ActionID: a']);
  t.same(r.transport.calls, ['send Response: Success', 'flush', 'observe action', 'done'], 'flushed, then observed');
  // With an event held during the action, the answer and the event go out in one batch: no early flush.
  r.transport.calls.length = 0;
  r.transport.session.receive(msg(['Action', 'Status'], ['ActionID', 'b']));
  r.session.deliverEvent(event('Newchannel').toBuffer());
  answer(r.pending[1]!, ['Response: Success', 'ActionID: b']);
  t.same(r.transport.calls, ['send Response: Success', 'observe action', 'event Event: Newchannel', 'done'], 'no flush between the answer and the held event');
});
