import t from 'tap';
import { EVENTS_PER_CALL, LoadGenerator } from '../../../src/sim/generator.js';
import { SimPbx } from '../../../src/sim/pbx.js';
import { DEFAULT_USERS } from '../../../src/sim/users.js';
import type { SimEvent } from '../../../src/sim/events.js';

function setup(systemName?: string): { pbx: SimPbx; events: SimEvent[] } {
  const pbx = new SimPbx({ systemName, legacyCommand: false, authTimeoutMs: 30000, authLimit: 50, loginFailureDelayMs: 1000, amiVersion: '11.0.0' }, DEFAULT_USERS);
  const events: SimEvent[] = [];
  pbx.sessions.add({ username: 'x', authenticated: true, offer: (e) => events.push(e), closeAfterFlush() {}, destroy() {}, pause() {}, resume() {} });
  return { pbx, events };
}

const shape = (events: SimEvent[]): string[] => events.map((e) => e.text.replace(/\d{10}\.\d+/g, 'UID'));

t.test('one call is 23 events shaped like capture 07a', async (t) => {
  const { pbx, events } = setup('amiref');
  const g = new LoadGenerator(pbx, 1);
  for (let i = 0; i < EVENTS_PER_CALL; i++) g.next();
  t.same(events.map((e) => e.name), ['Newchannel', 'Newchannel', 'Newexten', 'VarSet', 'NewCallerid', 'LocalBridge', 'DialBegin',
    'Newexten', 'Newstate', 'Newstate', 'DialEnd', 'DeviceStateChange', 'Newexten', 'VarSet', 'Newexten', 'UserEvent', 'Newexten',
    'Newexten', 'SoftHangupRequest', 'HangupRequest', 'Hangup', 'Hangup', 'DeviceStateChange']);
  t.match(events[0]!.text, /^Event: Newchannel\r\nPrivilege: call,all\r\nSystemName: amiref\r\nChannel: Local\/\d{3}@test-00000000;1\r\nChannelState: 0\r\nChannelStateDesc: Down\r\n/);
  t.match(events[15]!.text, /^Event: UserEvent\r\nPrivilege: user,all\r\n/);
  t.match(events[20]!.text, /Cause: 16\r\nCause-txt: Normal Clearing\r\n\r\n$/);
  for (const e of events) t.ok(e.buf.equals(Buffer.from(e.text, 'latin1')), 'serialised once into the Buffer sessions write');
});

t.test('the same seed gives the same events; another seed does not', async (t) => {
  const a = setup();
  const b = setup();
  const c = setup();
  const ga = new LoadGenerator(a.pbx, 7);
  const gb = new LoadGenerator(b.pbx, 99);
  gb.set(0, 7);
  const gc = new LoadGenerator(c.pbx, 8);
  for (const g of [ga, gb, gc]) { g.set(20000); g.set(0); }
  for (let i = 0; i < 2000; i++) { ga.next(); gb.next(); gc.next(); }
  t.same(shape(a.events), shape(b.events));
  t.not(shape(a.events).join(''), shape(c.events).join(''));
  t.equal(ga.count, 2000);
});

t.test('cheap enough for 20,000 events/s on one core', async (t) => {
  const { pbx, events } = setup('amiref');
  const g = new LoadGenerator(pbx, 3);
  g.set(20000);
  g.set(0);
  const start = performance.now();
  for (let i = 0; i < 20000; i++) g.next();
  const ms = performance.now() - start;
  t.equal(events.length, 20000);
  // Idle this takes about a quarter of the second; the bound leaves room for a loaded CI (3 test jobs on 2 cores).
  t.ok(ms < 3000, `20,000 events built and offered in ${ms.toFixed(0)} ms`);
});
