// Call paths that need no timers; the timed sequences are compared with the
// captures in test/integration/sim/conformance.test.ts.
import t from 'tap';
import { originate, type OriginateRequest } from '../../../src/sim/local-call.js';
import { parseCallerId } from '../../../src/sim/actions/originate.js';
import { SimPbx } from '../../../src/sim/pbx.js';
import { DEFAULT_USERS } from '../../../src/sim/users.js';
import type { SimEvent } from '../../../src/sim/events.js';

function setup(): { pbx: SimPbx; events: SimEvent[] } {
  const pbx = new SimPbx({ systemName: undefined, legacyCommand: false, authTimeoutMs: 30000, authLimit: 50, loginFailureDelayMs: 1000, amiVersion: '11.0.0' }, DEFAULT_USERS);
  const events: SimEvent[] = [];
  pbx.sessions.add({ username: 'x', authenticated: true, offer: (e) => events.push(e), closeAfterFlush() {}, destroy() {}, pause() {}, resume() {} });
  return { pbx, events };
}

const req = (over: Partial<OriginateRequest>): OriginateRequest => ({
  channel: 'Local/999@nosuchctx', app: 'Wait', appData: '1', context: '', exten: '', priority: 0, cidNum: undefined, cidName: undefined,
  variables: [], actionId: 'id-1', async: true, timeoutMs: 30000, account: '', ...over,
});

t.test('a missing context fails like capture 07c', async (t) => {
  const { pbx, events } = setup();
  t.equal(await originate(pbx, req({})), false);
  t.same(events.map((e) => e.name), ['Newchannel', 'Newchannel', 'Newexten', 'Hangup', 'Hangup', 'OriginateResponse', 'DeviceStateChange', 'DeviceStateChange']);
  t.equal(events[5]!.text, 'Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: id-1\r\nResponse: Failure\r\nChannel: Local/999@nosuchctx\r\n' +
    'Application: Wait\r\nData: 1\r\nReason: 0\r\nUniqueid: <unknown>\r\nCallerIDNum: <unknown>\r\nCallerIDName: <unknown>\r\n\r\n');
  t.match(events[6]!.text, /State: INVALID\r\n/);
  t.equal(pbx.channels.size, 0);
  pbx.stopCalls(true);
});

t.test('an unknown technology fails without channels; sync sends no OriginateResponse', async (t) => {
  const { pbx, events } = setup();
  t.equal(await originate(pbx, req({ channel: 'NoSuchTech/foo' })), false);
  t.same(events.map((e) => e.name), ['OriginateResponse']);
  events.length = 0;
  t.equal(await originate(pbx, req({ channel: 'NoSuchTech/foo', async: false })), false);
  t.same(events, []);
});

t.test('a sync Originate resolves once ;1 is answered, with ;1 already in the dialplan (07b)', async (t) => {
  const { pbx, events } = setup();
  t.equal(await originate(pbx, req({ channel: 'Local/100@test', app: undefined, context: 'test', exten: '100', priority: 1, async: false })), true);
  const names = events.map((e) => e.name);
  t.same(names.slice(names.indexOf('DialEnd')), ['DialEnd', 'Newexten', 'VarSet', 'Newexten', 'UserEvent', 'Newexten', 'DeviceStateChange', 'DeviceStateChange']);
  t.equal(pbx.channels.size, 2);
  pbx.stopCalls(true);
});

t.test('CallerID parsing', async (t) => {
  t.same(parseCallerId('"AMI Test" <5551234>'), ['AMI Test', '5551234']);
  t.same(parseCallerId('Bob <(555) 123-4567>'), ['Bob', '5551234567']);
  t.same(parseCallerId('5551234'), [undefined, '5551234']);
  t.same(parseCallerId('Alice'), ['Alice', undefined]);
  t.same(parseCallerId(''), [undefined, undefined]);
});
