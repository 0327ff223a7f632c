// Packet shapes from Asterisk that the simulator never writes, through the
// real proxy over sockets (issue 11 items 2, 3 and 5), from a scripted
// Asterisk (test/helpers/scripted-asterisk.ts):
//   - list items without ActionID go to the one action whose list is open on
//     their upstream connection, never to other sessions; without such an
//     action they reach nobody and are counted;
//   - an event whose Privilege names no class amigate knows reaches read: all
//     users only, and is counted;
//   - a line longer than upstreams[].maxlinebytes is discarded whole.

import t, { type Test } from 'tap';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import { createProxy, type Proxy } from '../../../src/proxy.js';
import { captureLogger } from '../../helpers/log-capture.js';
import { waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { idLine, startScriptedAsterisk, type ScriptedAsterisk, type ScriptedSession } from '../../helpers/scripted-asterisk.js';
import type { AmiMessage } from '../../../src/protocol/message.js';

const USERS = {
  admin: { secret: 'a', read: 'all', write: 'all' },
  caller: { secret: 'c', read: 'call', write: '' },
  nobody: { secret: 'n', read: '', write: '' },
};

async function proxyOn(t: Test, fake: ScriptedAsterisk, upstream: Record<string, unknown> = {}): Promise<{ proxy: Proxy; port: number }> {
  const doc = {
    general: { authtimeout: 5 },
    listeners: [{ name: 'plain', bindaddr: '127.0.0.1', port: 0 }],
    upstreams: [{ name: 'pbx1', host: '127.0.0.1', port: fake.port, username: 'amigate', secret: 'x', connections: 1, keepalive: 0, ...upstream }],
    log: { level: 'warn' },
    users: USERS,
  };
  const { config } = await parseConfig(stringify(doc), '<test>', {});
  const proxy = await createProxy(config, { logger: captureLogger({ level: 'warn' }).logger, drainTimeoutMs: 200 });
  t.teardown(() => proxy.close('test-end'));
  await waitUntil(() => proxy.cluster.isReady('pbx1'), 5000, 'upstream ready');
  return { proxy, port: proxy.listeners[0]!.address.port };
}

async function clients(t: Test, port: number, who: Array<[string, Array<[string, string]>?]>): Promise<TestClient[]> {
  return Promise.all(who.map(async ([user, extra]) => {
    const c = await TestClient.connect({ port });
    t.teardown(() => c.close());
    await c.login(user, USERS[user as keyof typeof USERS].secret, extra ?? []);
    return c;
  }));
}

async function metric(proxy: Proxy, line: string): Promise<number> {
  const text = await proxy.metrics.text();
  const l = text.split('\n').find((x) => x.startsWith(line + ' '));
  return l === undefined ? NaN : Number(l.slice(line.length + 1));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const names = (ms: AmiMessage[]) => ms.map((m) => m.get('Event') ?? `Response:${m.get('Response')}`);

/** A module's list written like chan_dahdi's: items without ActionID, the Complete with it. */
function listWithoutIds(s: ScriptedSession, msg: AmiMessage, tag: string): string {
  void s;
  const id = idLine(msg);
  return `Response: Success\r\n${id}EventList: start\r\nMessage: Items will follow\r\n\r\n` +
    `Event: ThingItem\r\nThing: ${tag}-1\r\n\r\n` +
    `Event: ThingItem\r\nThing: ${tag}-2\r\n\r\n` +
    `Event: ThingListComplete\r\n${id}EventList: Complete\r\nListItems: 2\r\n\r\n`;
}

t.test('list items without ActionID reach only the action whose list is open on their connection', async (t) => {
  const fake = await startScriptedAsterisk(t, (s, msg) => {
    const a = msg.get('Action')!.toLowerCase();
    if (a === 'thinglist') return listWithoutIds(s, msg, msg.get('Tag') ?? 'x');
    return undefined;
  }, ['ThingList: List things.  (Priv: system,reporting,all)', 'Ping: Keepalive command.  (Priv: <none>)']);
  // One upstream connection: every action below is pipelined on it.
  const { proxy, port } = await proxyOn(t, fake);
  const [a, b, admin, caller, nobody] = await clients(t, port, [['admin'], ['admin'], ['admin'], ['caller'], ['nobody']]);
  const all = [a!, b!, admin!, caller!, nobody!];
  const marks = all.map((c) => c.received.length);
  const [la, lb] = await Promise.all([
    a!.list([['Action', 'ThingList'], ['Tag', 'A']], 'la'),
    b!.list([['Action', 'ThingList'], ['Tag', 'B']], 'lb'),
  ]);
  await sleep(100);
  const got = (c: TestClient, i: number) => c.received.slice(marks[i]);
  t.same(got(a!, 0).map((m) => m.toString()), [
    'Response: Success\r\nActionID: la\r\nEventList: start\r\nMessage: Items will follow\r\n\r\n',
    'Event: ThingItem\r\nThing: A-1\r\n\r\n',
    'Event: ThingItem\r\nThing: A-2\r\n\r\n',
    'Event: ThingListComplete\r\nActionID: la\r\nEventList: Complete\r\nListItems: 2\r\n\r\n',
  ], 'the requester gets its items in place, as Asterisk writes them');
  t.same(got(b!, 1).map((m) => m.get('Thing') ?? m.get('ActionID')), ['lb', 'B-1', 'B-2', 'lb'], 'the other pipelined list gets its own');
  t.equal(la.response.get('ActionID'), 'la');
  t.equal(lb.complete.get('ListItems'), '2');
  for (const [i, c] of [admin!, caller!, nobody!].entries()) t.same(names(got(c, i + 2)), [], 'no other session gets a list item');
  t.equal(await metric(proxy, 'amigate_upstream_packets_dropped_total{reason="no-owner"}'), 0);

  // Session-directed output nobody can own: no list is open on the connection.
  fake.broadcast('Event: ThingItem\r\nThing: orphan\r\n\r\n');
  fake.broadcast('Event: ThingItem\r\nActionID: someone-else\r\nThing: foreign\r\n\r\n');
  fake.broadcast('Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/1-1\r\n\r\n');
  await admin!.waitFor((m) => m.get('Event') === 'Newchannel', 5000, marks[2]);
  await caller!.waitFor((m) => m.get('Event') === 'Newchannel', 5000, marks[3]);
  await sleep(100);
  for (const [i, c] of all.entries()) t.notOk(got(c, i).some((m) => m.get('Thing') === 'orphan' || m.get('Thing') === 'foreign'), 'an orphan item reaches nobody');
  t.same(names(got(nobody!, 4)), [], 'a user with no read class gets nothing at all');
  t.equal(await metric(proxy, 'amigate_upstream_packets_dropped_total{reason="no-owner"}'), 1);
  t.equal(await metric(proxy, 'amigate_upstream_packets_dropped_total{reason="foreign"}'), 1);
});

t.test('an event whose Privilege names no known class reaches read: all users only', async (t) => {
  const fake = await startScriptedAsterisk(t);
  const { proxy, port } = await proxyOn(t, fake);
  const [admin, adminCallMask, caller, nobody] = await clients(t, port, [['admin'], ['admin', [['Events', 'call']]], ['caller'], ['nobody']]);
  const all = [admin!, adminCallMask!, caller!, nobody!];
  const marks = all.map((c) => c.received.length);
  const shapes = ['Privilege: ', 'Privilege: <none>', 'Privilege: all', 'Privilege: futureclass,all', 'Privilege: call,futureclass,all'];
  for (const [i, p] of shapes.entries()) fake.broadcast(`Event: Odd\r\n${p}\r\nN: ${i}\r\n\r\n`);
  fake.broadcast('Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/1-1\r\n\r\n');
  for (const [i, c] of [admin!, adminCallMask!, caller!].entries()) await c.waitFor((m) => m.get('Event') === 'Newchannel', 5000, marks[i]);
  await sleep(100);
  const odd = (c: TestClient, i: number) => c.received.slice(marks[i]).filter((m) => m.get('Event') === 'Odd').map((m) => m.get('N'));
  t.same(odd(admin!, 0), ['0', '1', '2', '3', '4'], 'read: all gets them, in order');
  t.same(odd(adminCallMask!, 1), [], 'read: all with Events: call does not');
  t.same(odd(caller!, 2), [], 'a call reader does not, even for call,futureclass');
  t.same(odd(nobody!, 3), [], 'a user with no read class does not');
  t.equal(nobody!.received.slice(marks[3]).length, 0, 'nothing at all reaches a user with no read class');
  t.equal(await metric(proxy, 'amigate_events_unknown_privilege_total'), shapes.length);
});

t.test('a line longer than maxlinebytes is discarded whole; the packet and the connection go on', async (t) => {
  const BIG = 3_000_000;
  const fake = await startScriptedAsterisk(t, (_s, msg) => {
    if (msg.get('Action')!.toLowerCase() === 'command') {
      return `Response: Success\r\n${idLine(msg)}Message: Command output follows\r\nOutput: ${'v'.repeat(BIG)}\r\nOutput: after\r\n\r\n`;
    }
    return undefined;
  });
  const { proxy, port } = await proxyOn(t, fake);
  const [admin] = await clients(t, port, [['admin']]);
  const from = admin!.received.length;
  // Sent in pieces, the way a socket delivers a big write.
  fake.broadcast(`Event: Big\r\nPrivilege: user,all\r\nData: ${'x'.repeat(BIG)}\r\nAfter: yes\r\n\r\n`);
  const ev = await admin!.waitFor((m) => m.get('Event') === 'Big', 10_000, from);
  t.same(ev.lines, ['Event: Big', 'Privilege: user,all', 'After: yes'], 'no Data line and no tail of it');
  const r = await admin!.action([['Action', 'Command'], ['Command', 'big']], { id: 'big', ms: 10_000 });
  t.same(r.lines, ['Response: Success', 'ActionID: big', 'Message: Command output follows', 'Output: after'], 'a response loses the line, keeps its ActionID');
  const ping = await admin!.action([['Action', 'CoreStatus']], { id: 'after' });
  t.equal(ping.get('Response'), 'Success', 'the upstream connection is still in use');
  t.equal(await metric(proxy, 'amigate_upstream_oversize_packets_total{upstream="pbx1",fault="line-too-long"}'), 2);
  t.ok(admin!.received.every((m) => m.lines.every((l) => l.length < 1000)), 'no client line is a piece of the long one');
});
