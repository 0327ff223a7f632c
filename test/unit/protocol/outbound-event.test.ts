// OutboundEvent: fan-out hands every receiver of a variant the same object, and
// a wire form other than AMI text is built once for all of them (the property
// the HTTP mxml and WebSocket JSON transports rely on).

import t from 'tap';
import { Fanout, type EventSink } from '../../../src/fanout/fanout.js';
import { AmiMessage } from '../../../src/protocol/message.js';
import { OutboundEvent, type WireForm } from '../../../src/protocol/outbound-event.js';

function sink(id: number, got: OutboundEvent[], tag = false): EventSink {
  return {
    id, receivingEvents: true, readMask: 0x7fffffff, sendMask: 0x7fffffff, servers: undefined, serverHeader: tag,
    passesFilters: () => true,
    deliverEvent: (wire, ev) => { t.equal(wire, ev.wire, 'the bytes given are the event\'s AMI text'); got.push(ev); },
  };
}

t.test('one OutboundEvent per variant, each extra wire form encoded once for all receivers', async (t) => {
  let encoded = 0;
  const json: WireForm = { name: 'json', encode: (m) => { encoded++; return Buffer.from(JSON.stringify(m.entries())); } };
  const f = new Fanout();
  const plain: OutboundEvent[] = [];
  const tagged: OutboundEvent[] = [];
  for (let i = 1; i <= 5; i++) f.add(sink(i, plain));
  for (let i = 6; i <= 8; i++) f.add(sink(i, tagged, true));
  f.publish(AmiMessage.from([['Event', 'Hangup'], ['Privilege', 'call,all'], ['Channel', 'a']]), 'pbx1', undefined);
  t.equal(plain.length, 5);
  t.ok(plain.every((e) => e === plain[0]), 'the same object for every plain receiver');
  t.ok(tagged.every((e) => e === tagged[0]) && tagged[0] !== plain[0], 'and one for the Server:-tagged variant');
  const out = [...plain, ...tagged].map((e) => e.as(json));
  t.equal(encoded, 2, 'one encoding per variant, not per receiver');
  t.ok(out.slice(0, 5).every((b) => b === out[0]), 'the same Buffer');
  t.same(JSON.parse(out[5]!.toString()), [['Event', 'Hangup'], ['Privilege', 'call,all'], ['Server', 'pbx1'], ['Channel', 'a']]);
});

t.test('an event given as bytes alone is parsed when a form needs its message', async (t) => {
  const wire = Buffer.from('Event: Newchannel\r\nPrivilege: call,all\r\nChannel: b\r\n\r\n', 'latin1');
  const ev = new OutboundEvent(wire);
  t.equal(ev.wire, wire);
  t.equal(ev.message.get('Channel'), 'b');
  t.equal(ev.message, ev.message, 'parsed once');
  t.equal(ev.message.toBuffer().toString('latin1'), wire.toString('latin1'));
});
