import t from 'tap';
import { ScopeRegistry } from '../../../src/scope/compile.js';
import { EventScoper } from '../../../src/scope/event-scope.js';
import { OwnershipTracker } from '../../../src/scope/ownership.js';
import { chan, event, msg, users } from './helpers.js';

function setup(maxChannels?: number) {
  const reg = new ScopeRegistry(users());
  const tracker = new OwnershipTracker(reg, maxChannels);
  const scoper = new EventScoper(reg);
  const acme = reg.forUser('acme-crm')!.id;
  const globex = reg.forUser('GLOBEX-CRM')!.id;
  const see = (m: ReturnType<typeof msg>) => {
    const v = scoper.view(m, tracker.server('pbx1'), true);
    return [v.allows(acme), v.allows(globex)];
  };
  return { reg, tracker, scoper, acme, globex, see };
}

t.test('a call is owned by the tenant whose channel matches at creation, with every leg of the same Linkedid', async (t) => {
  const { see, tracker } = setup();
  const a = chan('PJSIP/acme-100-00000001', '1.1', '1.1', 'acme-internal');
  const trunk = chan('PJSIP/trunk-00000002', '1.2', '1.1', 'from-trunk');
  t.same(see(event('Newchannel', a)), [true, false], 'by name and context');
  t.same(see(event('Newchannel', trunk)), [true, false], 'the trunk leg of the outbound call');
  t.same(see(event('DialBegin', a, chan('PJSIP/trunk-00000002', '1.2', '1.1', 'from-trunk', '', 'Dest'))), [true, false]);
  t.same(see(event('Newstate', trunk)), [true, false]);
  const b = chan('PJSIP/globex-200-00000003', '1.3', '1.3', 'globex-internal');
  t.same(see(event('Newchannel', b)), [false, true]);
  t.same(see(event('Newexten', b)), [false, true]);
  t.equal(tracker.server('pbx1').callCount, 2);
});

t.test('account code alone makes ownership; a Local pair follows its ;1 half', async (t) => {
  const { see } = setup();
  t.same(see(event('Newchannel', chan('SIP/x-1', '2.1', '2.1', 'default', 'globex'))), [false, true]);
  const one = chan('Local/100@acme-queues-0000000a;1', '2.2', '2.2', 'acme-queues');
  const two = chan('Local/100@acme-queues-0000000a;2', '2.3', '2.2', 'acme-queues');
  t.same(see(event('Newchannel', one)), [true, false]);
  t.same(see(event('Newchannel', two)), [true, false]);
  t.same(see(event('LocalBridge', chan('Local/100@acme-queues-0000000a;1', '2.2', '2.2', 'acme-queues', '', 'LocalOne'),
    chan('Local/100@acme-queues-0000000a;2', '2.3', '2.2', 'acme-queues', '', 'LocalTwo'))), [true, false]);
});

t.test('fail closed: a channel never seen and not matching is nobody\'s; mixed events need every channel owned', async (t) => {
  const { see } = setup();
  t.same(see(event('VarSet', chan('PJSIP/other-1', '3.1', '3.1', 'default'))), [false, false]);
  t.same(see(msg([['Event', 'Hold'], ['Channel', 'PJSIP/nobody-knows']])), [false, false], 'a channel name without its Uniqueid');
  t.same(see(msg([['Event', 'Cdr'], ['Uniqueid', '9.9']])), [false, false]);
  see(event('Newchannel', chan('PJSIP/acme-1', '3.2', '3.2', 'acme-internal')));
  see(event('Newchannel', chan('PJSIP/globex-1', '3.3', '3.3', 'globex-internal')));
  // A cross-tenant event (two different calls): nobody sees it, since each tenant owns only one of the channels.
  t.same(see(event('DialBegin', chan('PJSIP/acme-1', '3.2', '3.2', 'acme-internal'), chan('PJSIP/globex-1', '3.3', '3.3', 'globex-internal', '', 'Dest'))), [false, false]);
  t.same(see(msg([['Event', 'Hold'], ['Channel', 'pjsip/ACME-1']])), [true, false], 'by name, case-insensitive as Asterisk');
});

t.test('Hangup: decided first, then cleaned up; late events of the call still resolve; memory bounded', async (t) => {
  const { see, tracker } = setup(3);
  const a = chan('PJSIP/acme-5', '4.1', '4.1', 'acme-internal');
  see(event('Newchannel', a));
  t.same(see(event('Hangup', a)), [true, false], 'the Hangup itself is delivered');
  t.equal(tracker.server('pbx1').channelCount, 0);
  t.equal(tracker.server('pbx1').callCount, 0);
  t.same(see(msg([['Event', 'Cdr'], ['Privilege', 'cdr,all'], ['Uniqueid', '4.1'], ['Linkedid', '4.1']])), [true, false], 'after Hangup');
  t.same(see(msg([['Event', 'Hold'], ['Channel', 'PJSIP/acme-5']])), [false, false], 'the name is not live any more');
  see(event('Newchannel', chan('PJSIP/acme-6', '5.a', '5.a', 'acme-internal')));
  const trunk = chan('PJSIP/trunk-9', '5.b', '5.a', 'from-trunk');
  t.same(see(event('Newchannel', trunk)), [true, false]);
  for (let i = 0; i < 10; i++) see(event('Newchannel', chan(`PJSIP/acme-x${i}`, `5.${i}`, `5.${i}`, 'acme-internal')));
  t.equal(tracker.server('pbx1').channelCount, 3, 'maxChannels');
  t.same(see(event('Newstate', trunk)), [false, false], 'an evicted trunk leg is unknown again and matches nothing: withheld');
});

t.test('bridges, queues, devices, contexts and other', async (t) => {
  const { see } = setup();
  const a = chan('PJSIP/acme-7', '6.1', '6.1', 'acme-internal');
  see(event('Newchannel', a));
  t.same(see(msg([['Event', 'BridgeCreate'], ['BridgeUniqueid', 'b1']])), [false, false], 'unknown bridge');
  t.same(see(msg([['Event', 'BridgeEnter'], ['BridgeUniqueid', 'b1'], ...a])), [true, false]);
  t.same(see(msg([['Event', 'BridgeLeave'], ['BridgeUniqueid', 'b1'], ...a])), [true, false]);
  t.same(see(msg([['Event', 'BridgeDestroy'], ['BridgeUniqueid', 'b1']])), [true, false]);
  t.same(see(msg([['Event', 'BridgeDestroy'], ['BridgeUniqueid', 'b1']])), [false, false], 'forgotten after BridgeDestroy');
  t.same(see(msg([['Event', 'QueueMemberStatus'], ['Queue', 'ACME-support'], ['Interface', 'Local/600@x']])), [true, false]);
  t.same(see(msg([['Event', 'QueueParams'], ['Queue', 'globex-sales']])), [false, true]);
  t.same(see(msg([['Event', 'DeviceStateChange'], ['Device', 'PJSIP/acme-100'], ['State', 'INUSE']])), [true, false]);
  t.same(see(msg([['Event', 'DeviceStateChange'], ['Device', 'PJSIP/trunk'], ['State', 'INUSE']])), [false, false]);
  t.same(see(msg([['Event', 'ExtensionStatus'], ['Exten', '100'], ['Context', 'acme-internal'], ['Hint', ''], ['Status', '0']])), [true, false]);
  t.same(see(msg([['Event', 'ExtensionStatus'], ['Exten', '200'], ['Context', 'x'], ['Hint', 'PJSIP/globex-200'], ['Status', '0']])), [false, true]);
  t.same(see(msg([['Event', 'Reload'], ['Privilege', 'system,all'], ['Module', 'All']])), [false, true], 'other: deny / allow');
  t.same(see(msg([['Event', 'OriginateResponse'], ['Response', 'Failure'], ['Channel', 'PJSIP/acme-9'], ['Uniqueid', '<unknown>']])), [false, false], 'not the originator: unknown channel');
});

t.test('rescope on reload works ownership out again from live channels', async (t) => {
  const { tracker, scoper, acme, globex } = setup();
  const ev = event('Newchannel', chan('PJSIP/acme-8', '7.1', '7.1', 'acme-internal'));
  scoper.view(ev, tracker.server('pbx1'), true);
  const reg2 = new ScopeRegistry(users({ 'acme-crm': { ...users().users['globex-crm']!.scope!, channels: ['PJSIP/nothing-*'], contexts: [] , accountcodes: [] } }));
  tracker.rescope(reg2);
  const v = new EventScoper(reg2).view(event('Newstate', chan('PJSIP/acme-8', '7.1', '7.1', 'acme-internal')), tracker.server('pbx1'), true);
  t.notOk(v.allows(reg2.forUser('acme-crm')!.id), 'acme no longer matches');
  t.equal(acme, 0);
  t.equal(globex, 1);
});

t.test('servers are separate: a unique id on one upstream says nothing about another', async (t) => {
  const { tracker, scoper, acme } = setup();
  scoper.view(event('Newchannel', chan('PJSIP/acme-1', '8.1', '8.1', 'acme-internal')), tracker.server('pbx1'), true);
  t.notOk(scoper.view(msg([['Event', 'Hold'], ['Uniqueid', '8.1']]), tracker.server('pbx2'), true).allows(acme));
  t.ok(scoper.view(msg([['Event', 'Hold'], ['Uniqueid', '8.1']]), tracker.server('pbx1'), true).allows(acme));
});
