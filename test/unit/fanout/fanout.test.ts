import t from 'tap';
import { AmiMessage } from '../../../src/protocol/message.js';
import { Fanout, type EventSink } from '../../../src/fanout/fanout.js';
import { parsePermString } from '../../../src/protocol/privileges.js';

function sink(id: number, read: string, opts: Partial<{ send: number; servers: Set<string>; tag: boolean; filter: (n: string, text: string) => boolean }> = {}) {
  const got: string[] = [];
  const s: EventSink = {
    id,
    receivingEvents: true,
    readMask: parsePermString(read),
    sendMask: opts.send ?? 0x7fffffff,
    servers: opts.servers,
    serverHeader: opts.tag ?? false,
    passesFilters: (name, _e, text) => (opts.filter ? opts.filter(name, text()) : true),
    deliverEvent: (b) => got.push(b.toString('latin1')),
  };
  return { s, got };
}
const ev = (s: string) => new AmiMessage(s.split('\r\n'));

t.test('read classes are all-of, send mask too (S17)', async (t) => {
  const f = new Fanout();
  const callOnly = sink(1, 'call');
  const callSystem = sink(2, 'call,system');
  const off = sink(3, 'all', { send: 0 });
  [callOnly, callSystem, off].forEach((x) => f.add(x.s));
  f.publish(ev('Event: Newchannel\r\nPrivilege: call,all\r\nChannel: a'), 'pbx1', undefined);
  f.publish(ev('Event: Reload\r\nPrivilege: system,all\r\nModule: All'), 'pbx1', undefined);
  f.publish(ev('Event: Mixed\r\nPrivilege: system,call,all'), 'pbx1', undefined);
  t.equal(callOnly.got.length, 1);
  t.equal(callSystem.got.length, 3);
  t.equal(off.got.length, 0);
  t.same(f.stats, { received: 3, delivered: 4, filtered: 0, unknownPrivilege: 0 });
});

t.test('one serialization shared by every receiver', async (t) => {
  const f = new Fanout();
  const bufs: Buffer[] = [];
  for (let i = 0; i < 5; i++) f.add({ ...sink(i, 'all').s, deliverEvent: (b: Buffer) => bufs.push(b) });
  f.publish(ev('Event: Newchannel\r\nPrivilege: call,all'), 'pbx1', undefined);
  t.equal(bufs.length, 5);
  t.ok(bufs.every((b) => b === bufs[0]), 'same Buffer object');
});

t.test('OriginateResponse: originator gets its ActionID, others none', async (t) => {
  const f = new Fanout();
  const a = sink(1, 'call');
  const b = sink(2, 'call');
  const c = sink(3, 'call');
  [a, b, c].forEach((x) => f.add(x.s));
  f.publish(ev('Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: amg.1.5\r\nResponse: Success'), 'pbx1', { session: 1, actionId: 'orig-8' });
  f.publish(ev('Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: amg.3.6\r\nResponse: Success'), 'pbx1', { session: 3, actionId: undefined });
  t.same(a.got, ['Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: orig-8\r\nResponse: Success\r\n\r\n', 'Event: OriginateResponse\r\nPrivilege: call,all\r\nResponse: Success\r\n\r\n']);
  t.same(b.got[0], 'Event: OriginateResponse\r\nPrivilege: call,all\r\nResponse: Success\r\n\r\n');
  t.same(c.got[1], 'Event: OriginateResponse\r\nPrivilege: call,all\r\nResponse: Success\r\n\r\n');
  t.notMatch(a.got.join('') + b.got.join('') + c.got.join(''), /amg\./, 'no proxy id ever leaks');
});

t.test('server binding, Server: tag and filters', async (t) => {
  const f = new Fanout();
  const only2 = sink(1, 'all', { servers: new Set(['pbx2']) });
  const tagged = sink(2, 'all', { tag: true });
  const filtered = sink(3, 'all', { filter: (n) => n === 'Hangup' });
  [only2, tagged, filtered].forEach((x) => f.add(x.s));
  f.publish(ev('Event: Newchannel\r\nPrivilege: call,all\r\nChannel: a'), 'pbx1', undefined);
  f.publish(ev('Event: Hangup\r\nPrivilege: call,all\r\nChannel: a'), 'pbx2', undefined);
  t.equal(only2.got.length, 1);
  t.same(tagged.got, ['Event: Newchannel\r\nPrivilege: call,all\r\nServer: pbx1\r\nChannel: a\r\n\r\n', 'Event: Hangup\r\nPrivilege: call,all\r\nServer: pbx2\r\nChannel: a\r\n\r\n']);
  t.same(filtered.got, ['Event: Hangup\r\nPrivilege: call,all\r\nChannel: a\r\n\r\n']);
  t.equal(f.stats.filtered, 1);
});

t.test('an event whose Privilege names no known class reaches read: all users only (fail closed)', async (t) => {
  const f = new Fanout();
  const all = sink(1, 'all');
  const everyClass = sink(2, 'system,call,log,verbose,command,agent,user,config,dtmf,reporting,cdr,dialplan,originate,agi,cc,aoc,test,security,message');
  const none = sink(3, '');
  const allCallOnly = sink(4, 'all', { send: parsePermString('call') });
  [all, everyClass, none, allCallOnly].forEach((x) => f.add(x.s));
  const shapes = ['Event: A\r\nX: missing', 'Event: B\r\nPrivilege: ', 'Event: C\r\nPrivilege: <none>', 'Event: D\r\nPrivilege: all',
    'Event: E\r\nPrivilege: futureclass,all', 'Event: F\r\nPrivilege: call,futureclass,all'];
  for (const s of shapes) f.publish(ev(s), 'pbx1', undefined);
  t.equal(all.got.length, shapes.length, 'read: all gets every one');
  t.equal(everyClass.got.length, 0, 'every named class is not all');
  t.equal(none.got.length, 0, 'no read class: nothing');
  t.equal(allCallOnly.got.length, 0, 'an Events mask narrower than all: nothing');
  t.equal(f.stats.unknownPrivilege, shapes.length);
  f.publish(ev('Event: Newchannel\r\nPrivilege: call,all'), 'pbx1', undefined);
  t.equal(f.stats.unknownPrivilege, shapes.length, 'a known class is not counted');
  t.equal(everyClass.got.length, 1);
});
