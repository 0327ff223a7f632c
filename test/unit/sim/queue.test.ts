// testq bookkeeping without the 12 s of the captured Queue() timeout.
import t from 'tap';
import { SimPbx } from '../../../src/sim/pbx.js';
import { DEFAULT_USERS } from '../../../src/sim/users.js';
import { hangup, newPair } from '../../../src/sim/local-call.js';
import type { SimEvent } from '../../../src/sim/events.js';

function setup(): { pbx: SimPbx; events: SimEvent[] } {
  const pbx = new SimPbx({ systemName: undefined, legacyCommand: false, authTimeoutMs: 30000, authLimit: 50, loginFailureDelayMs: 1000, amiVersion: '11.0.0' }, DEFAULT_USERS);
  const events: SimEvent[] = [];
  pbx.sessions.add({ username: 'x', authenticated: true, offer: (e) => events.push(e), closeAfterFlush() {}, destroy() {}, pause() {}, resume() {} });
  t.teardown(() => pbx.stopCalls(true));
  return { pbx, events };
}

t.test('a caller joins, the member rings, the timeout sends the caller on', async (t) => {
  const { pbx, events } = setup();
  const { two: caller } = newPair(pbx, '300@test', 'test', '300', undefined);
  caller.state = 6;
  caller.priority = 3;
  let resumed = false;
  events.length = 0;
  pbx.queue.join(caller, 'testq,r,,,1', () => { resumed = true; });
  t.equal(pbx.queue.callers.length, 1);
  t.equal(pbx.queue.memberStatus(pbx.queue.members[0]!), 2, 'the ringing member is in use');
  t.same(events.map((e) => e.name).slice(0, 8), ['QueueCallerJoin', 'Newchannel', 'Newchannel', 'NewCallerid', 'NewConnectedLine', 'Newexten', 'LocalBridge', 'AgentCalled']);
  const member = pbx.channels.list().find((c) => c.name.startsWith('Local/600@test-') && c.name.endsWith(';1'))!;
  t.equal(member.state, 5, 'Ringing() on ;2 shows as Ringing on ;1');
  t.equal(member.exten, '300', 'the outgoing half keeps the caller location');
  t.equal(member.cidNum, '300');
  t.equal(member.linkedid, caller.linkedid);
  await new Promise((r) => setTimeout(r, 1100));
  t.ok(resumed, 'the dialplan continues after the timeout');
  t.equal(pbx.queue.callers.length, 0);
  t.equal(pbx.queue.abandoned, 0);
  t.ok(events.some((e) => e.name === 'QueueCallerLeave'));
  t.match(events.find((e) => e.name === 'DialEnd')!.text, /DialStatus: NOANSWER\r\n/);
  t.equal(pbx.queue.memberStatus(pbx.queue.members[0]!), 1, 'the member is free again');
});

t.test('a caller that hangs up while waiting is counted as abandoned', async (t) => {
  const { pbx, events } = setup();
  const { one, two } = newPair(pbx, '300@test', 'test', '300', undefined);
  pbx.queue.join(two, 'testq,r,,,12', () => t.fail('no resume after hangup'));
  hangup(pbx, one, false, 0);
  t.equal(pbx.queue.abandoned, 1);
  t.equal(pbx.queue.callers.length, 0);
  t.match(events.find((e) => e.name === 'QueueCallerAbandon')!.text, /Queue: testq\r\nPosition: 1\r\nOriginalPosition: 1\r\nHoldTime: 0\r\n/);
  t.equal(pbx.channels.size, 0, 'the member call is gone too');
  // Queue() on a queue that does not exist returns at once (apps/app_queue.c queue_exec()).
  let continued = false;
  pbx.queue.join(two, 'otherq', () => { continued = true; });
  t.ok(continued, 'an unknown queue continues at once');
});
