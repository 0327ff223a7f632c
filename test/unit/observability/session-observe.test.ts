// The audit and metrics hooks of a downstream Session, over stream.duplexPair()
// with fake services: every action is observed, including those amigate answers
// itself (issue 5: Ping had neither an audit record nor a count), and events a
// session never got are counted one by one, with the reason it lost them.

import t from 'tap';
import { duplexPair, type Duplex } from 'node:stream';
import { Session, type SessionServices, type SessionUser, type SessionObservation } from '../../../src/downstream/session.js';
import { AmiMessage } from '../../../src/protocol/message.js';
import type { ReplyHandler } from '../../../src/router/router.js';

const USER: SessionUser = {
  name: 'crm', readMask: 0x7fffffff, writeMask: 0x7fffffff, servers: undefined, serverHeader: false, writeTimeoutMs: 10_000, record: null,
};

interface Rig { session: Session; client: Duplex; observed: SessionObservation[]; out: () => string; pending: ReplyHandler[] }

function rig(opts: { maxQueueBytes?: number; read?: boolean } = {}): Rig {
  const observed: SessionObservation[] = [];
  const pending: ReplyHandler[] = [];
  const services: SessionServices = {
    banner: () => 'Asterisk Call Manager/11.0.0',
    authTimeoutMs: 60_000,
    maxQueueBytes: opts.maxQueueBytes ?? 1 << 24,
    maxPendingActions: 8,
    login: async () => ({ ok: true, user: USER }),
    challengeAllowed: () => true,
    decide: () => ({ allow: true }),
    compileFilters: () => ({ size: 0, passes: () => true }),
    checkFilter: () => {},
    forward: (_s, _msg, _servers, handler) => { pending.push(handler); }, // never answered unless the test does
    filterListCommands: (_u, r) => r,
    serversFor: () => ['pbx1'],
    fullyBooted: () => undefined,
    observe: (ev) => { observed.push(ev); },
  };
  const [client, server] = duplexPair() as [Duplex, Duplex];
  client.on('error', () => {});
  let text = '';
  if (opts.read ?? true) client.on('data', (b: Buffer) => { text += b.toString('latin1'); });
  const session = new Session(1, server, services, { remoteAddress: '127.0.0.1', remotePort: 1, listener: 'test' });
  session.start();
  t.teardown(() => { session.destroy('test-end'); client.destroy(); });
  return { session, client, observed, out: () => text, pending };
}

async function until(pred: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 3000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const send = (c: Duplex, pairs: Array<[string, string]>) => c.write(AmiMessage.from(pairs).toBuffer());
const actions = (r: Rig) => r.observed.filter((o): o is Extract<SessionObservation, { type: 'action' }> => o.type === 'action');

t.test('actions answered locally are observed: Challenge, Ping, a second Login, WaitEvent, Logoff', async (t) => {
  const r = rig();
  send(r.client, [['Action', 'Challenge'], ['AuthType', 'MD5'], ['ActionID', 'c1']]);
  await until(() => actions(r).length === 1, 'the Challenge before login');
  t.match(actions(r)[0], { action: 'Challenge', result: 'success' }, 'a Challenge before login is an action record');
  send(r.client, [['Action', 'Challenge'], ['ActionID', 'c2']]);
  await until(() => actions(r).length === 2, 'a Challenge without AuthType');
  t.match(actions(r)[1], { action: 'Challenge', result: 'error' }, 'Must specify AuthType is an error');
  send(r.client, [['Action', 'Login'], ['Username', 'crm'], ['Secret', 'x']]);
  await until(() => r.observed.some((o) => o.type === 'login-ok'), 'login');
  t.equal(actions(r).length, 2, 'the Login itself is a login record, not an action');

  send(r.client, [['Action', 'Ping'], ['ActionID', 'p1']]);
  send(r.client, [['Action', 'Login'], ['Username', 'crm'], ['Secret', 'x'], ['ActionID', 'l2']]);
  send(r.client, [['Action', 'WaitEvent'], ['Timeout', '5'], ['ActionID', 'w1']]);
  await until(() => actions(r).length === 4, 'Ping and Login');
  t.equal(actions(r).length, 4, 'WaitEvent is observed when it completes, not before');
  r.session.deliverEvent(AmiMessage.from([['Event', 'Wake'], ['Privilege', 'call,all']]).toBuffer());
  await until(() => actions(r).length === 5, 'WaitEvent');
  send(r.client, [['Action', 'Logoff'], ['ActionID', 'bye']]);
  await until(() => actions(r).length === 6, 'Logoff');
  t.same(actions(r).slice(2).map((a) => [a.action, a.result, a.msg.get('ActionID'), a.upstream]), [
    ['Ping', 'success', 'p1', undefined],
    ['Login', 'success', 'l2', undefined],
    ['WaitEvent', 'success', 'w1', undefined],
    ['Logoff', 'success', 'bye', undefined],
  ], 'each with its result, its request, and no upstream');
  for (const a of actions(r)) t.ok(a.latencyMs >= 0 && a.latencyMs < 10_000, `${a.action}: a latency`);
  t.match(r.out(), /Event: WaitEventComplete/);
});

t.test('events still queued when a session closes are counted one by one (session-closed)', async (t) => {
  const r = rig({ read: false }); // the client never reads: duplexPair holds 16 KiB, the rest stays queued
  send(r.client, [['Action', 'Login'], ['Username', 'crm'], ['Secret', 'x']]);
  await until(() => r.observed.some((o) => o.type === 'login-ok'), 'login');
  await new Promise((res) => setImmediate(res));
  const event = AmiMessage.from([['Event', 'Big'], ['Privilege', 'call,all'], ['Data', 'x'.repeat(1000)]]).toBuffer();
  for (let i = 0; i < 100; i++) r.session.deliverEvent(event);
  await new Promise((res) => setTimeout(res, 20));
  r.client.end(); // the client hangs up: the session sees 'end'
  await until(() => r.observed.some((o) => o.type === 'closed'), 'close');
  const closed = r.observed.find((o) => o.type === 'closed') as Extract<SessionObservation, { type: 'closed' }>;
  t.equal(closed.dropReason, 'session-closed');
  // 16 KiB of 1 KiB events reached the client's buffer; the rest never left amigate.
  t.ok(closed.eventsDropped >= 80 && closed.eventsDropped < 100, `${closed.eventsDropped} of 100 events dropped`);
});

t.test('events held during an action past maxqueuebytes: every held event is counted (held-events)', async (t) => {
  const r = rig({ maxQueueBytes: 10_000 });
  send(r.client, [['Action', 'Login'], ['Username', 'crm'], ['Secret', 'x']]);
  await until(() => r.observed.some((o) => o.type === 'login-ok'), 'login');
  send(r.client, [['Action', 'CoreShowChannels'], ['ActionID', 'slow']]);
  await until(() => r.pending.length === 1, 'the action in flight');
  const event = AmiMessage.from([['Event', 'Big'], ['Privilege', 'call,all'], ['Data', 'x'.repeat(1000)]]).toBuffer();
  for (let i = 0; i < 20 && r.session.status === 'ready'; i++) r.session.deliverEvent(event);
  const slow = r.observed.find((o) => o.type === 'slow-consumer') as Extract<SessionObservation, { type: 'slow-consumer' }>;
  t.equal(slow.reason, 'held-events');
  const closed = r.observed.find((o) => o.type === 'closed') as Extract<SessionObservation, { type: 'closed' }>;
  t.equal(closed.dropReason, 'held-events');
  t.equal(closed.eventsDropped, Math.ceil(10_000 / event.length) + (10_000 % event.length === 0 ? 1 : 0), 'every held event, the one over the limit included');
});
