// Broadcasts that echo the action's ActionID (issue 11 item 1), through the
// real proxy in front of the simulated Asterisk: `Action: UserEvent` makes
// manager.c action_userevent() copy every header, amigate's routing ActionID
// included, into `Event: UserEvent` (Privilege: user,all), which the sim
// broadcasts on amigate's event connection while the response comes back on
// the action connection. Every reader with `user` sees the event once; the
// sender sees its own ActionID, nobody sees a proxy ActionID or another
// client's.

import t from 'tap';
import { startProxy, waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('UserEvent sent through amigate reaches every user reader, the sender with its own ActionID', async (t) => {
  const h = await startProxy(t, {
    users: {
      admin: { secret: 'a', read: 'all', write: 'all' },
      listener: { secret: 'l', read: 'user', write: '' },
      caller: { secret: 'c', read: 'call', write: '' },
      nobody: { secret: 'n', read: '', write: '' },
    },
  });
  const mk = async (u: string, s: string, extra: Array<[string, string]> = []) => {
    const c = await TestClient.connect({ port: h.port });
    t.teardown(() => c.close());
    await c.login(u, s, extra);
    return c;
  };
  const sender = await mk('admin', 'a');
  const noId = await mk('admin', 'a');
  const listeners = await Promise.all([mk('listener', 'l'), mk('listener', 'l'), mk('admin', 'a')]);
  const caller = await mk('caller', 'c');
  const nobody = await mk('nobody', 'n');
  const all = [sender, noId, ...listeners, caller, nobody];
  const marks = all.map((c) => c.received.length);

  const N = 20;
  for (let i = 0; i < N; i++) {
    const r = await sender.action([['Action', 'UserEvent'], ['UserEvent', 'Hello'], ['Seq', String(i)]], { id: `ue-${i}` });
    t.equal(r.toString(), `Response: Success\r\nActionID: ue-${i}\r\nMessage: Event Sent\r\n\r\n`);
  }
  const r = await noId.action([['Action', 'UserEvent'], ['UserEvent', 'Hello'], ['Seq', 'no-id']], { noId: true });
  t.equal(r.toString(), 'Response: Success\r\nMessage: Event Sent\r\n\r\n', 'a client without ActionID gets none back');

  const hello = (c: TestClient, i: number) => c.received.slice(marks[i]).filter((m) => m.get('Event') === 'UserEvent' && m.get('UserEvent') === 'Hello');
  for (const [i, c] of all.entries()) {
    if (c === caller || c === nobody) continue;
    await c.waitFor((m) => m.get('Event') === 'UserEvent' && m.get('Seq') === 'no-id', 5000, marks[i]);
  }
  await sleep(200);

  const mine = hello(sender, 0);
  t.equal(mine.length, N + 1, 'the sender gets every one of its events, and the other client\'s');
  for (let i = 0; i < N; i++) {
    const e = mine.find((m) => m.get('Seq') === String(i));
    t.ok(e, `sender got Seq ${i}`);
    t.equal(e?.toString(), `Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Hello\r\nSeq: ${i}\r\nActionID: ue-${i}\r\n\r\n`,
      'byte-exact as Asterisk writes it, with the sender\'s own ActionID in the place of amigate\'s');
  }
  t.notOk(mine.find((m) => m.get('Seq') === 'no-id')?.has('ActionID'), 'another client\'s event comes without its ActionID');
  t.equal(hello(noId, 1).find((m) => m.get('Seq') === 'no-id')?.has('ActionID'), false, 'a sender without ActionID gets none');
  for (const [k, c] of listeners.entries()) {
    const got = hello(c, 2 + k);
    t.equal(got.length, N + 1, `listener ${k} got every UserEvent exactly once`);
    t.ok(got.every((m) => !m.has('ActionID')), 'no ActionID for a reader that did not send it');
  }
  t.equal(hello(caller, 5).length, 0, 'a call-only reader does not get user events');
  t.equal(hello(nobody, 6).length, 0, 'a user with no read class gets nothing');
  for (const c of all) t.notOk(c.received.some((m) => /^amg\./.test(m.get('ActionID') ?? '')), 'a proxy ActionID never reaches a client');
});

t.test('a UserEvent that arrives in the middle of a list is held until the list is complete', async (t) => {
  // Two upstreams: the list runs on pbx1, whose sim writes the items 150 ms
  // after the ack (listWriteDelayMs); the UserEvent is sent to pbx2 meanwhile,
  // so its broadcast reaches amigate while the list is open (S26).
  const h = await startProxy(t, {
    users: { admin: { secret: 'a', read: 'all', write: 'all' } },
    sim: { listWriteDelayMs: 150, preloadChannels: 2 },
    moreUpstreams: 1,
  });
  const a = await TestClient.connect({ port: h.port });
  t.teardown(() => a.close());
  await a.login('admin', 'a');
  const b = await TestClient.connect({ port: h.port });
  t.teardown(() => b.close());
  await b.login('admin', 'a');
  const from = a.received.length;
  const list = a.list([['Action', 'CoreShowChannels'], ['Server', 'pbx1']], 'csc');
  await waitUntil(() => a.received.slice(from).some((m) => m.isResponse && m.get('ActionID') === 'csc'), 5000, 'the list ack');
  const bFrom = b.received.length;
  await b.action([['Action', 'UserEvent'], ['UserEvent', 'Mid'], ['Server', 'pbx2']], { id: 'b1' });
  const { items, complete } = await list;
  t.equal(items.length, 2, 'both channels listed');
  const ev = await a.waitFor((m) => m.get('UserEvent') === 'Mid', 5000, from);
  const seq = a.received.slice(from);
  t.ok(seq.indexOf(ev) > seq.indexOf(complete), 'the broadcast is written after the list\'s Complete event, never inside the list');
  t.notOk(ev.has('ActionID'), 'not the sender: no ActionID');
  const own = await b.waitFor((m) => m.get('UserEvent') === 'Mid', 5000, bFrom);
  t.equal(own.get('ActionID'), 'b1', 'the sender gets its own ActionID');
});
