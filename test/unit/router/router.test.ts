import t from 'tap';
import { AmiMessage } from '../../../src/protocol/message.js';
import { Router, type ReplyHandler, type Originator } from '../../../src/router/router.js';
import { mintActionId, sessionOfActionId, MAX_ACTION_ID_LENGTH } from '../../../src/router/action-id.js';
import type { UpstreamRef } from '../../../src/upstream/types.js';

const msg = (text: string) => new AmiMessage(text.split('\r\n'));

function harness(timeoutMs = 5000) {
  const sent: Array<{ msg: AmiMessage; ref: UpstreamRef }> = [];
  const broadcasts: Array<{ event: string; server: string; originator: Originator | undefined }> = [];
  let conn = 0;
  const router = new Router({
    send(_servers, m) {
      const ref = { server: 'pbx1', id: conn++ % 2, generation: 1 };
      sent.push({ msg: m, ref });
      return ref;
    },
  }, { broadcast: (e, server, originator) => broadcasts.push({ event: e.toString(), server, originator }) }, { actionTimeoutMs: timeoutMs });
  return { router, sent, broadcasts };
}

function collector() {
  const packets: string[] = [];
  const done: Array<{ outcome: string; err?: string }> = [];
  const h: ReplyHandler = {
    packet: (m) => packets.push(m.toString()),
    done: (outcome, info) => done.push({ outcome, ...(info.err ? { err: info.err.message } : {}) }),
  };
  return { h, packets, done };
}

t.test('action ids are short, unique per session and parse back', async (t) => {
  const id = mintActionId(2 ** 40, 2 ** 50);
  t.ok(id.length <= MAX_ACTION_ID_LENGTH);
  t.equal(sessionOfActionId(id), 2 ** 40);
  t.equal(sessionOfActionId('1'), undefined);
  t.not(mintActionId(1, 12), mintActionId(11, 2));
});

t.test('response gets the client ActionID back, byte-exact with trailing blanks', async (t) => {
  const { router, sent } = harness();
  const c = collector();
  router.forward(1, msg('Action: Ping\r\nActionID: e10   '), ['pbx1'], c.h);
  const up = sent[0]!.msg;
  const proxyId = up.get('ActionID')!;
  t.match(proxyId, /^amg\./);
  t.equal(up.lines[0], 'Action: Ping', 'Action stays first');
  router.message(msg(`Response: Success\r\nActionID: ${proxyId}\r\nPing: Pong\r\nTimestamp: 1.000001`), sent[0]!.ref);
  t.same(c.packets, ['Response: Success\r\nActionID: e10   \r\nPing: Pong\r\nTimestamp: 1.000001\r\n\r\n']);
  t.same(c.done, [{ outcome: 'success' }]);
  t.equal(router.pendingCount, 0);
});

t.test('a client without ActionID gets none back, on the response and on list items', async (t) => {
  const { router, sent } = harness();
  const c = collector();
  router.forward(3, msg('Action: CoreShowChannels'), ['pbx1'], c.h);
  const id = sent[0]!.msg.get('ActionID')!;
  const ref = sent[0]!.ref;
  router.message(msg(`Response: Success\r\nActionID: ${id}\r\nEventList: start\r\nMessage: Channels will follow`), ref);
  router.message(msg(`Event: CoreShowChannel\r\nActionID: ${id}\r\nChannel: Local/1@x-1;1`), ref);
  t.same(c.done, [], 'list still open');
  router.message(msg(`Event: CoreShowChannelsComplete\r\nActionID: ${id}\r\nEventList: Complete\r\nListItems: 1`), ref);
  t.same(c.packets, [
    'Response: Success\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n',
    'Event: CoreShowChannel\r\nChannel: Local/1@x-1;1\r\n\r\n',
    'Event: CoreShowChannelsComplete\r\nEventList: Complete\r\nListItems: 1\r\n\r\n',
  ]);
  t.same(c.done, [{ outcome: 'success' }]);
});

t.test('two sessions with the same ActionID never cross', async (t) => {
  const { router, sent } = harness();
  const a = collector();
  const b = collector();
  router.forward(1, msg('Action: Ping\r\nActionID: 1'), ['pbx1'], a.h);
  router.forward(2, msg('Action: Ping\r\nActionID: 1'), ['pbx1'], b.h);
  const [ia, ib] = [sent[0]!.msg.get('ActionID')!, sent[1]!.msg.get('ActionID')!];
  t.not(ia, ib);
  router.message(msg(`Response: Success\r\nActionID: ${ib}\r\nMessage: for b`), sent[1]!.ref);
  router.message(msg(`Response: Success\r\nActionID: ${ia}\r\nMessage: for a`), sent[0]!.ref);
  t.same(a.packets, ['Response: Success\r\nActionID: 1\r\nMessage: for a\r\n\r\n']);
  t.same(b.packets, ['Response: Success\r\nActionID: 1\r\nMessage: for b\r\n\r\n']);
});

t.test('OriginateResponse is a broadcast naming its originator, even after the action completed', async (t) => {
  const { router, sent, broadcasts } = harness();
  const c = collector();
  router.forward(7, msg('Action: Originate\r\nActionID: orig-1\r\nChannel: Local/100@test\r\nAsync: true'), ['pbx1'], c.h);
  const id = sent[0]!.msg.get('ActionID')!;
  router.message(msg(`Response: Success\r\nActionID: ${id}\r\nMessage: Originate successfully queued`), sent[0]!.ref);
  router.message(msg(`Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: ${id}\r\nResponse: Success`), { server: 'pbx1', id: 0, generation: 1 });
  t.equal(broadcasts.length, 1);
  t.same(broadcasts[0]!.originator, { session: 7, actionId: 'orig-1' });
  // A second one for the same id (should not happen) has no originator any more.
  router.message(msg(`Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: ${id}\r\nResponse: Success`), { server: 'pbx1', id: 0, generation: 1 });
  t.equal(broadcasts[1]!.originator, undefined);
});

t.test('unsolicited events go to broadcast; stray responses are dropped', async (t) => {
  const { router, broadcasts } = harness();
  router.message(msg('Event: Newchannel\r\nPrivilege: call,all\r\nChannel: x'), { server: 'pbx1', id: 0, generation: 1 });
  router.message(msg('Response: Success\r\nActionID: amg.zz.1\r\nMessage: late'), { server: 'pbx1', id: 0, generation: 1 });
  router.message(msg('Response: Success\r\nActionID: someone-else'), { server: 'pbx1', id: 0, generation: 1 });
  t.equal(broadcasts.length, 1);
});

t.test('connection loss fails exactly the actions written on it', async (t) => {
  const { router, sent } = harness();
  const a = collector();
  const b = collector();
  router.forward(1, msg('Action: Command\r\nActionID: x\r\nCommand: core show version'), ['pbx1'], a.h);
  router.forward(2, msg('Action: Ping'), ['pbx1'], b.h);
  router.connectionDown(sent[0]!.ref, new (await import('../../../src/errors.js')).UpstreamClosedError());
  t.same(a.done, [{ outcome: 'upstream-lost', err: 'Upstream connection lost' }]);
  t.same(b.done, []);
  router.connectionDown(sent[0]!.ref, new (await import('../../../src/errors.js')).UpstreamClosedError());
  t.equal(a.done.length, 1, 'done only once');
});

t.test('timeouts end the action once and late replies are dropped', async (t) => {
  const { router, sent } = harness(20);
  const a = collector();
  router.forward(1, msg('Action: Ping\r\nActionID: slow'), ['pbx1'], a.h);
  await new Promise((r) => setTimeout(r, 60));
  t.same(a.done, [{ outcome: 'timeout', err: 'Action timed out' }]);
  router.message(msg(`Response: Success\r\nActionID: ${sent[0]!.msg.get('ActionID')}`), sent[0]!.ref);
  t.same(a.packets, []);
});

t.test('legacy Response: Follows passes its body through with the ActionID restored', async (t) => {
  const { router, sent } = harness();
  const a = collector();
  router.forward(1, msg('Action: Command\r\nActionID: c1\r\nCommand: core show version'), ['pbx1'], a.h);
  const id = sent[0]!.msg.get('ActionID')!;
  const m = new AmiMessage(['Response: Follows', 'Privilege: Command', 'ActionID: ' + id], 'Asterisk 13.1.0 built by x\nfoo: bar\n');
  router.message(m, sent[0]!.ref);
  t.same(a.packets, ['Response: Follows\r\nPrivilege: Command\r\nActionID: c1\r\nAsterisk 13.1.0 built by x\nfoo: bar\n--END COMMAND--\r\n\r\n']);
  t.same(a.done, [{ outcome: 'success' }]);
});

t.test('dropSession forgets pending actions', async (t) => {
  const { router, sent } = harness();
  const a = collector();
  router.forward(4, msg('Action: Ping'), ['pbx1'], a.h);
  router.dropSession(4);
  router.message(msg(`Response: Success\r\nActionID: ${sent[0]!.msg.get('ActionID')}`), sent[0]!.ref);
  t.same(a.packets, []);
  t.equal(router.pendingCount, 0);
});

t.test('a late list event of an ended action reaches nobody; a late OriginateResponse goes out without our ID', async (t) => {
  const { router, sent, broadcasts } = harness();
  const c = collector();
  router.forward(7, msg('Action: CoreShowChannels\r\nActionID: 1'), ['pbx1'], c.h);
  const ref = sent[0]!.ref;
  const id = sent[0]!.msg.get('ActionID')!;
  router.message(msg(`Response: Success\r\nActionID: ${id}\r\nEventList: start\r\nMessage: Channels will follow`), ref);
  router.connectionDown(ref, new Error('gone') as never);
  t.same(c.done.map((d) => d.outcome), ['upstream-lost']);
  // The upstream's last bytes arrive after the loss was handled (the soak found this).
  router.message(msg(`Event: CoreShowChannel\r\nActionID: ${id}\r\nChannel: Local/1@test-00000001;1`), ref);
  router.message(msg(`Event: CoreShowChannelsComplete\r\nActionID: ${id}\r\nEventList: Complete\r\nListItems: 1`), ref);
  t.same(broadcasts, [], 'nothing with a proxy ActionID is broadcast');
  t.equal(c.packets.length, 1, 'the requester got only the response before the loss');
  router.message(msg('Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: amg.zz.1\r\nResponse: Success'), ref);
  t.equal(broadcasts.length, 1);
  t.notMatch(broadcasts[0]!.event, /ActionID/, 'an orphan OriginateResponse loses the proxy ActionID');
});

// --- broadcast or session-directed: the Privilege rule (docs/protocol.md "Routing") ---

const EV = { server: 'pbx1', id: 9, generation: 1 }; // the event connection

t.test('a broadcast echoing our ActionID after the response (UserEvent) names its originator', async (t) => {
  const { router, sent, broadcasts } = harness();
  const c = collector();
  router.forward(5, msg('Action: UserEvent\r\nUserEvent: Hello\r\nActionID: mine'), ['pbx1'], c.h);
  const id = sent[0]!.msg.get('ActionID')!;
  router.message(msg(`Response: Success\r\nActionID: ${id}\r\nMessage: Event Sent`), sent[0]!.ref);
  t.same(c.done, [{ outcome: 'success' }]);
  router.message(msg(`Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Hello\r\nActionID: ${id}`), EV);
  t.equal(broadcasts.length, 1, 'broadcast, not dropped');
  t.same(broadcasts[0]!.originator, { session: 5, actionId: 'mine' });
  t.match(broadcasts[0]!.event, new RegExp(`ActionID: ${id.replace(/\./g, '\\.')}`), 'fan-out swaps the ID per receiver');
  t.same(router.stats.dropped, { 'no-owner': 0, foreign: 0 });
});

t.test('a broadcast echoing our ActionID before the response names the pending action', async (t) => {
  const { router, sent, broadcasts } = harness();
  const c = collector();
  router.forward(5, msg('Action: UserEvent\r\nUserEvent: Hello'), ['pbx1'], c.h);
  const id = sent[0]!.msg.get('ActionID')!;
  router.message(msg(`Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Hello\r\nActionID: ${id}`), EV);
  t.same(broadcasts[0]!.originator, { session: 5, actionId: undefined });
  t.same(c.packets, [], 'not a reply packet of the action');
});

t.test('a forgotten originator: the broadcast still goes out, without our ActionID', async (t) => {
  const router = new Router({ send: () => ({ server: 'pbx1', id: 0, generation: 1 }) }, {
    broadcast: (e, _s, o) => { seen.push({ event: e.toString(), o }); },
  }, { actionTimeoutMs: 5000, recentTtlMs: 1, maxRecent: 1 });
  const seen: Array<{ event: string; o: Originator | undefined }> = [];
  const c = collector();
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const m = msg('Action: UserEvent\r\nUserEvent: X');
    router.forward(3, m, ['pbx1'], c.h);
    ids.push(m.get('ActionID')!);
    router.message(msg(`Response: Success\r\nActionID: ${ids[i]}\r\nMessage: Event Sent`), { server: 'pbx1', id: 0, generation: 1 });
  }
  // maxRecent 1: the first was pushed out by the second.
  router.message(msg(`Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: X\r\nActionID: ${ids[0]}`), EV);
  t.equal(seen.length, 1);
  t.equal(seen[0]!.o, undefined);
  t.equal(seen[0]!.event, 'Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: X\r\n\r\n');
});

t.test('Status items carry Privilege: Call and are still items of the list open on their connection', async (t) => {
  const { router, sent, broadcasts } = harness();
  const c = collector();
  router.forward(2, msg('Action: Status\r\nActionID: st-1'), ['pbx1'], c.h);
  const id = sent[0]!.msg.get('ActionID')!;
  const ref = sent[0]!.ref;
  router.message(msg(`Response: Success\r\nActionID: ${id}\r\nEventList: start\r\nMessage: Channel status will follow`), ref);
  router.message(msg(`Event: Status\r\nPrivilege: Call\r\nChannel: Local/600@test-00000008;1\r\nActionID: ${id}`), { ...ref });
  router.message(msg(`Event: StatusComplete\r\nActionID: ${id}\r\nEventList: Complete\r\nListItems: 1\r\nItems: 1`), ref);
  t.same(broadcasts, []);
  t.same(c.packets.slice(1), [
    'Event: Status\r\nPrivilege: Call\r\nChannel: Local/600@test-00000008;1\r\nActionID: st-1\r\n\r\n',
    'Event: StatusComplete\r\nActionID: st-1\r\nEventList: Complete\r\nListItems: 1\r\nItems: 1\r\n\r\n',
  ]);
  t.same(c.done, [{ outcome: 'success' }]);
});

t.test('a broadcast with our ActionID from another connection while the list is open is a broadcast', async (t) => {
  const { router, sent, broadcasts } = harness();
  const c = collector();
  router.forward(2, msg('Action: CoreShowChannels\r\nActionID: l'), ['pbx1'], c.h);
  const id = sent[0]!.msg.get('ActionID')!;
  router.message(msg(`Response: Success\r\nActionID: ${id}\r\nEventList: start\r\nMessage: Channels will follow`), sent[0]!.ref);
  router.message(msg(`Event: UserEvent\r\nPrivilege: user,all\r\nActionID: ${id}`), EV);
  t.equal(broadcasts.length, 1);
  t.same(broadcasts[0]!.originator, { session: 2, actionId: 'l' });
  t.equal(c.packets.length, 1, 'not written into the list');
});

t.test('session-directed packets without an ActionID go to the one list open on their connection, or nowhere', async (t) => {
  const { router, sent, broadcasts } = harness();
  const a = collector();
  const b = collector();
  // No list open anywhere: a Privilege-less, ID-less item is nobody's.
  router.message(msg('Event: DAHDIShowChannels\r\nChannel: 1'), { server: 'pbx1', id: 0, generation: 1 });
  t.same(router.stats.dropped, { 'no-owner': 1, foreign: 0 });
  router.forward(1, msg('Action: CoreShowChannels\r\nActionID: a'), ['pbx1'], a.h); // connection 0
  router.forward(2, msg('Action: Ping\r\nActionID: b'), ['pbx1'], b.h); // connection 1
  const [sa, sb] = [sent[0]!, sent[1]!];
  router.message(msg(`Response: Success\r\nActionID: ${sa.msg.get('ActionID')}\r\nEventList: start\r\nMessage: Channels will follow`), sa.ref);
  router.message(msg('Event: CoreShowChannel\r\nChannel: x'), sa.ref);
  t.same(a.packets.slice(1), ['Event: CoreShowChannel\r\nChannel: x\r\n\r\n'], 'the item goes to the list open on its connection');
  router.message(msg('Event: CoreShowChannel\r\nChannel: y'), sb.ref);
  t.same(b.packets, [], 'never to an action on another connection');
  t.equal(a.packets.length, 2);
  router.message(msg('Event: CoreShowChannel\r\nChannel: z\r\nActionID: someone-else'), sa.ref);
  router.message(msg(`Event: CoreShowChannel\r\nChannel: z\r\nActionID: ${sb.msg.get('ActionID')}`), sa.ref);
  t.equal(a.packets.length, 2, 'a foreign or another action\'s ActionID is not taken for this list');
  t.same(router.stats.dropped, { 'no-owner': 3, foreign: 1 });
  router.message(msg(`Event: CoreShowChannelsComplete\r\nActionID: ${sa.msg.get('ActionID')}\r\nEventList: Complete\r\nListItems: 1`), sa.ref);
  t.same(a.done, [{ outcome: 'success' }]);
  router.message(msg('Event: CoreShowChannel\r\nChannel: late'), sa.ref);
  t.equal(a.packets.length, 3, 'after Complete the list is closed');
  t.same(broadcasts, [], 'no session-directed packet is ever broadcast');
  t.same(router.stats.dropped, { 'no-owner': 4, foreign: 1 });
});

t.test('two lists open on one connection: an ID-less item is ambiguous and dropped', async (t) => {
  const router = new Router({ send: () => ({ server: 'pbx1', id: 0, generation: 1 }) }, { broadcast: () => {} }, { actionTimeoutMs: 5000 });
  const a = collector();
  const b = collector();
  const ma = msg('Action: CoreShowChannels');
  const mb = msg('Action: QueueStatus');
  router.forward(1, ma, ['pbx1'], a.h);
  router.forward(2, mb, ['pbx1'], b.h);
  const ref = { server: 'pbx1', id: 0, generation: 1 };
  router.message(msg(`Response: Success\r\nActionID: ${ma.get('ActionID')}\r\nEventList: start\r\nMessage: Channels will follow`), ref);
  router.message(msg(`Response: Success\r\nActionID: ${mb.get('ActionID')}\r\nEventList: start\r\nMessage: Queue status will follow`), ref);
  router.message(msg('Event: QueueMember\r\nName: x'), ref);
  t.equal(a.packets.length + b.packets.length, 2, 'only the two responses');
  t.same(router.stats.dropped, { 'no-owner': 1, foreign: 0 });
  router.message(msg('Event: QueueMember\r\nName: x'), { server: 'pbx1', id: 0, generation: 2 });
  t.same(router.stats.dropped, { 'no-owner': 2, foreign: 0 }, 'a new generation of the connection has no list open');
});

t.test('responses that are not ours, or late, are counted', async (t) => {
  const { router } = harness();
  router.message(msg('Response: Success\r\nActionID: amg.zz.1\r\nMessage: late'), EV);
  router.message(msg('Response: Success\r\nActionID: someone-else'), EV);
  router.message(msg('Response: Success\r\nMessage: no id'), EV);
  router.message(msg('Garbage: yes'), EV);
  t.same(router.stats.dropped, { 'no-owner': 3, foreign: 1 });
});

t.test('the drop reasons are the metric\'s label values', async (t) => {
  const { ROUTER_DROP_REASONS } = await import('../../../src/router/router.js');
  const { UPSTREAM_DROP_REASONS } = await import('../../../src/observability/metrics.js');
  t.same([...ROUTER_DROP_REASONS], [...UPSTREAM_DROP_REASONS]);
});
