import t from 'tap';
import { AmiMessage } from '../../../src/protocol/message.js';
import { InFlight, blockingHoldMs } from '../../../src/upstream/in-flight.js';

t.test('each Response ends the oldest entry; internal ones are not counted as pending', async (t) => {
  const q = new InFlight();
  q.push('amg.1.1', false, 0, 0);
  q.push('amigate-int-1', true, 0, 0);
  q.push('amg.1.2', false, 0, 0);
  t.equal(q.pending, 2);
  t.equal(q.size, 3);
  q.answered('amg.1.1', 1);
  t.equal(q.pending, 1);
  q.answered(undefined, 2);
  t.equal(q.pending, 1, 'a Response without ActionID ends the head (the internal Ping)');
  q.answered('amg.1.2', 3);
  t.equal(q.size, 0);
  q.answered('late', 4);
  t.equal(q.pending, 0, 'an answer to nothing is ignored');
});

t.test('a Response naming a later entry ends those before it (never answered)', async (t) => {
  const q = new InFlight();
  for (let i = 1; i <= 4; i++) q.push(`amg.1.${i}`, false, 0, 0);
  q.answered('amg.1.3', 1);
  t.equal(q.pending, 1);
  q.answered('unknown', 2);
  t.equal(q.pending, 0, 'unknown ActionID ends the head');
});

t.test('long queues compact without losing order', async (t) => {
  const q = new InFlight();
  for (let i = 0; i < 5000; i++) q.push(String(i), false, 0, 0);
  for (let i = 0; i < 4000; i++) q.answered(String(i), 0);
  t.equal(q.pending, 1000);
  q.answered('4999', 0);
  t.equal(q.pending, 0);
  q.push('x', false, 0, 0);
  q.clear();
  t.equal(q.pending, 0);
  t.equal(q.size, 0);
});

t.test('headMayBlock: only while the head is within its hold, counted from when it became the head', async (t) => {
  const q = new InFlight();
  q.push('ping', true, 0, 0);
  q.push('orig', false, 500, 0);
  t.notOk(q.headMayBlock(10), 'the head is a Ping');
  q.answered('ping', 100);
  t.ok(q.headMayBlock(550), 'the Originate started at 100');
  t.notOk(q.headMayBlock(601));
  t.notOk(new InFlight().headMayBlock(0));
});

t.test('blockingHoldMs: synchronous Originate only (action_originate)', async (t) => {
  const m = (...lines: string[]) => new AmiMessage(lines);
  t.equal(blockingHoldMs(m('Action: Originate', 'Channel: Local/100@test')), 31_000, 'default Timeout 30000 + slack');
  t.equal(blockingHoldMs(m('Action: originate', 'Timeout: 5000')), 6000);
  t.equal(blockingHoldMs(m('Action: Originate', 'Async: true', 'Timeout: 5000')), 0);
  t.equal(blockingHoldMs(m('Action: Originate', 'Async: yes')), 0);
  t.equal(blockingHoldMs(m('Action: Originate', 'Timeout: junk')), 31_000);
  t.equal(blockingHoldMs(m('Action: Ping')), 0);
  t.equal(blockingHoldMs(m('Action: OriginateX')), 0);
  t.equal(blockingHoldMs(m('ActionID: x')), 0);
});
