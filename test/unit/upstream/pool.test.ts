import t, { type Test } from 'tap';
import pino from 'pino';
import { AmiMessage } from '../../../src/protocol/message.js';
import { classBit } from '../../../src/protocol/privileges.js';
import { Pool, parseListCommands, type PoolOptions } from '../../../src/upstream/pool.js';
import type { UpstreamConfig, UpstreamListener, UpstreamRef } from '../../../src/upstream/types.js';
import type { AmigateError } from '../../../src/errors.js';
import { UpstreamOverloadedError, UpstreamUnavailableError } from '../../../src/errors.js';
import { FakeAsterisk, LIST_COMMANDS, waitFor, type FakeOptions } from './fake-asterisk.js';

const silent = pino({ level: 'silent' });
const NEWCHANNEL = 'Event: Newchannel\r\nPrivilege: call,all\r\nChannel: Local/100@test-00000000;1\r\nUniqueid: 1795327115.0\r\n\r\n';

function recorder() {
  const messages: Array<{ msg: AmiMessage; ref: UpstreamRef }> = [];
  const downs: Array<{ ref: UpstreamRef; err: AmigateError }> = [];
  const states: boolean[] = [];
  const reasons: Array<string | undefined> = [];
  const listener: UpstreamListener = {
    message: (msg, ref) => { messages.push({ msg, ref }); },
    connectionDown: (ref, err) => { downs.push({ ref, err }); },
    serverState: (_s, ready, reason) => { states.push(ready); if (!ready) reasons.push(reason); },
  };
  const events = (name: string) => messages.filter((m) => m.msg.get('Event') === name);
  return { listener, messages, downs, states, reasons, events };
}

function harness(t: Test, n = 2, fakeOpts: FakeOptions = {}, cfg: Partial<UpstreamConfig> = {}, opts: Partial<PoolOptions> = {}) {
  const fake = new FakeAsterisk(fakeOpts);
  const rec = recorder();
  const pool = new Pool({
    config: { name: 'pbx1', host: '127.0.0.1', port: 5038, username: 'admin', secret: 'adminpw', connections: n, keepalive: 0, keepalivemisses: 3, ...cfg },
    listener: rec.listener, logger: silent, connector: fake.connector, retryDelay: () => 5, ...opts,
  });
  t.teardown(() => pool.close());
  return { fake, pool, ...rec };
}

const action = (id: string) => new AmiMessage(['Action: CoreStatus', `ActionID: ${id}`]);

t.test('parseListCommands: the captured (Priv: ...) lines', async (t) => {
  const reply = new AmiMessage(['Response: Success', 'ActionID: amigate-int-3', ...LIST_COMMANDS]);
  const map = parseListCommands(reply);
  t.equal(map.size, LIST_COMMANDS.length);
  t.same(map.get('originate'), { name: 'Originate', mask: classBit('originate') });
  t.same(map.get('coreshowchannels'), { name: 'CoreShowChannels', mask: classBit('system')! | classBit('reporting')! });
  t.same(map.get('ping'), { name: 'Ping', mask: 0 }, '<none> is 0');
  t.equal(map.get('sendtext')!.mask, classBit('call'), 'a synopsis with a tab and a dot');
  t.notOk(map.has('actionid'));
  t.notOk(map.has('response'));
});

t.test('two connections: one event connection, ready after FullyBooted and ListCommands', async (t) => {
  const h = harness(t);
  t.equal(h.pool.isReady(), false);
  t.throws(() => h.pool.send(action('amg.1.1')), UpstreamUnavailableError);
  h.pool.start();
  await waitFor(() => h.pool.isReady());
  t.same(h.states, [true]);
  const logins = h.fake.actions('login').map((r) => r.msg.get('Events'));
  t.same(logins.sort(), ['off', 'on'], 'exactly one logs in with events on');
  t.equal(h.fake.actions('listcommands').length, 1);
  t.equal(h.pool.actionPrivileges?.get('command')?.mask, classBit('command'));
  t.equal(h.pool.banner, 'Asterisk Call Manager/11.0.0');
  const st = h.pool.stats();
  t.equal(st.state, 'ready');
  t.equal(st.connectionsReady, 2);
  t.equal(st.connectionsTotal, 2);
  t.equal(st.connections.filter((c) => c.events).length, 1);
  t.equal(st.eventConnection, st.connections.find((c) => c.events)!.id);
  t.same(h.messages.map((m) => m.msg.get('Event')), ['FullyBooted']);
});

t.test('broadcast events arrive once; actions spread over connections', async (t) => {
  const h = harness(t, 3);
  h.pool.start();
  await waitFor(() => h.pool.isReady() && h.pool.stats().connectionsReady === 3);
  h.fake.emit(NEWCHANNEL);
  h.fake.emit(NEWCHANNEL);
  await waitFor(() => h.events('Newchannel').length >= 2);
  await new Promise((r) => setTimeout(r, 20));
  t.equal(h.events('Newchannel').length, 2, 'no duplicates with 3 connections');
  const refs = [1, 2, 3, 4, 5, 6].map((i) => h.pool.send(action(`amg.1.${i}`)));
  const ids = refs.map((r) => r.id);
  t.same(new Set(ids).size, 3, `all connections used: ${ids}`);
  t.equal(h.pool.pending, 6);
  await waitFor(() => h.pool.pending === 0);
  t.equal(h.messages.filter((m) => m.msg.isResponse).length, 6);
  for (const m of h.messages.filter((x) => x.msg.isResponse)) {
    const i = Number(m.msg.get('ActionID')!.split('.')[2]);
    t.same(m.ref, refs[i - 1], 'each response comes from the connection it was written on');
  }
});

t.test('idle actions prefer connections that do not carry the event stream', async (t) => {
  const h = harness(t, 2);
  h.pool.start();
  await waitFor(() => h.pool.isReady() && h.pool.stats().connectionsReady === 2);
  const eventConn = h.pool.stats().eventConnection;
  for (let i = 0; i < 3; i++) {
    const ref = h.pool.send(action(`amg.1.${i}`));
    t.not(ref.id, eventConn);
    await waitFor(() => h.pool.pending === 0);
  }
});

t.test('the event connection dies: another is promoted, events continue once, the returning one stays quiet', async (t) => {
  const h = harness(t, 2);
  h.pool.start();
  await waitFor(() => h.pool.isReady() && h.pool.stats().connectionsReady === 2);
  const before = h.pool.stats();
  const evIndex = before.eventConnection!;
  const evSession = h.fake.sessions.find((s) => s.eventsOn)!;
  evSession.close();
  await waitFor(() => h.pool.stats().eventConnection !== evIndex && h.pool.stats().eventConnection !== null);
  const promoted = h.fake.actions('events');
  t.equal(promoted.length, 1, 'Action: Events sent to the survivor');
  t.equal(promoted[0]!.msg.get('EventMask'), 'on');
  t.equal(h.downs.length, 1);
  t.same(h.downs[0]!.ref, { server: 'pbx1', id: evIndex, generation: 1 });
  t.equal(h.downs[0]!.err.code, 'AMIGATE_ERR_UPSTREAM_CLOSED');
  t.equal(h.downs[0]!.err.message, 'Upstream connection lost', 'what the client is told');
  t.match((h.downs[0]!.err.cause as Error).message, /closed by Asterisk/, 'the reason stays in the cause');
  await waitFor(() => h.pool.stats().connectionsReady === 2, 2000, 'dead one back');
  t.same(h.states, [true], 'the server never stopped being ready');
  const relogin = h.fake.actions('login').at(-1)!.msg;
  t.equal(relogin.get('Events'), 'off', 'the returning connection logs in with events off');
  t.equal(h.fake.open.filter((s) => s.eventsOn).length, 1);
  h.fake.emit(NEWCHANNEL);
  await waitFor(() => h.events('Newchannel').length >= 1);
  await new Promise((r) => setTimeout(r, 20));
  t.equal(h.events('Newchannel').length, 1);
  t.equal(h.events('Newchannel')[0]!.ref.id, h.pool.stats().eventConnection);
});

t.test('all connections lost: not ready, connectionDown per logged-in generation, back with a fresh ListCommands', async (t) => {
  const h = harness(t, 2);
  h.pool.start();
  await waitFor(() => h.pool.isReady() && h.pool.stats().connectionsReady === 2);
  const r1 = h.pool.send(action('amg.1.1'));
  await waitFor(() => h.pool.pending === 0);
  h.fake.refuse = true;
  h.fake.drop();
  await waitFor(() => h.states.length === 2);
  t.same(h.states, [true, false]);
  t.same(h.reasons, ['upstream connection closed by Asterisk']);
  t.equal(h.downs.length, 2);
  t.ok(h.downs.some((d) => d.ref === r1), 'the very ref handed to the router');
  t.throws(() => h.pool.send(action('amg.1.2')), UpstreamUnavailableError);
  t.equal(h.pool.stats().state, 'down');
  h.fake.refuse = false;
  await waitFor(() => h.states.length === 3, 2000, 'back');
  t.same(h.states, [true, false, true]);
  t.equal(h.fake.actions('listcommands').length, 2, 'ListCommands on each server (re)login');
  // Ready needs one connection; the other may still be on its way back.
  await waitFor(() => h.pool.stats().connectionsReady === 2, 2000, 'both connections back');
  t.ok(h.pool.stats().reconnects >= 2);
  t.equal(h.fake.open.filter((s) => s.eventsOn).length, 1);
});

t.test('Event: Shutdown makes the server unavailable at once; it comes back after the restart', async (t) => {
  const h = harness(t, 2);
  h.pool.start();
  await waitFor(() => h.pool.isReady() && h.pool.stats().connectionsReady === 2);
  h.fake.emit('Event: Shutdown\r\nPrivilege: system,all\r\nShutdown: Cleanly\r\nRestart: True\r\n\r\n');
  await waitFor(() => h.states.length === 2);
  t.same(h.states, [true, false]);
  t.same(h.reasons, ['Asterisk shutting down']);
  t.throws(() => h.pool.send(action('amg.1.1')), UpstreamUnavailableError);
  h.fake.drop();
  await waitFor(() => h.states.length === 3, 2000);
  t.equal(h.pool.isReady(), true);
});

t.test('maxpendingactions: fail fast with Too many pending actions', async (t) => {
  const h = harness(t, 2, { onAction: () => null }, { maxpendingactions: 3 });
  h.pool.start();
  await waitFor(() => h.pool.isReady());
  for (let i = 0; i < 3; i++) h.pool.send(action(`amg.1.${i}`));
  const err = t.throws(() => h.pool.send(action('amg.1.9'))) as unknown as AmigateError;
  t.type(err, UpstreamOverloadedError);
  t.equal(err.message, 'Too many pending actions');
  t.equal(err.code, 'AMIGATE_ERR_UPSTREAM_OVERLOADED');
  t.equal(h.pool.stats().pending, 3);
});

t.test('one connection: it is the event connection and takes the actions', async (t) => {
  const h = harness(t, 1);
  h.pool.start();
  await waitFor(() => h.pool.isReady());
  const ref = h.pool.send(action('amg.1.1'));
  t.equal(ref.id, 0);
  t.equal(h.pool.stats().eventConnection, 0);
});

t.test('ListCommands never answered: ready anyway after listCommandsTimeoutMs, table stays undefined', async (t) => {
  const h = harness(t, 1, { ignore: ['listcommands'] }, {}, { listCommandsTimeoutMs: 40 });
  h.pool.start();
  await waitFor(() => h.pool.isReady(), 2000);
  t.equal(h.pool.actionPrivileges, undefined);
  t.equal(h.fake.actions('listcommands').length, 1);
});

t.test('close(): serverState(false), Logoff on every connection', async (t) => {
  const h = harness(t, 2);
  h.pool.start();
  await waitFor(() => h.pool.isReady() && h.pool.stats().connectionsReady === 2);
  await h.pool.close();
  t.same(h.states, [true, false]);
  t.same(h.reasons, ['closed by amigate'], 'a deliberate close says so');
  t.equal(h.fake.actions('logoff').length, 2);
  t.equal(h.pool.stats().state, 'closed');
  t.ok(h.pool.stats().connections.every((c) => c.status === 'closed'));
});
