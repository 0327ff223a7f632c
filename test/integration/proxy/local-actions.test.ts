// Actions the proxy answers itself because they change the state of the
// shared upstream session (S14): WaitEvent as main/manager.c action_waitevent()
// answers it (the response when the wait ends, the events that ended it, then
// `Event: WaitEventComplete` with the ActionID), its timeout, its early end on
// client input (ast_wait_for_input() in the wait loop), and proof from
// the sim's log of received actions that Events, Filter and WaitEvent never
// reach Asterisk.

import t from 'tap';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('WaitEvent, and Events/Filter/WaitEvent never reach the upstream', async (t) => {
  const h = await startProxy(t, { users: { app: { secret: 'apppw', read: 'all', write: 'all' } } });
  const c = await TestClient.connect({ port: h.port });
  t.teardown(() => c.close());
  await c.login('app', 'apppw');
  await c.waitFor((m) => m.get('Event') === 'FullyBooted', 5000, 0);
  const upstreamFrom = h.sim.received.length;

  await t.test('an event ends the wait: response, the event, WaitEventComplete', async (t) => {
    const from = c.received.length;
    const started = Date.now();
    c.write('Action: WaitEvent\r\nActionID: w 1 \r\nTimeout: 20\r\n\r\n');
    await sleep(300);
    t.equal(c.received.length, from, 'nothing is answered while waiting');
    h.sim.emitEvent('UserEvent', 'user', [['UserEvent', 'Wake']]);
    await c.waitFor((m) => m.get('Event') === 'WaitEventComplete', 5000, from);
    t.ok(Date.now() - started < 5000, 'ended by the event, not by the 20 s timeout');
    const got = c.received.slice(from);
    t.equal(got.length, 3, got.map((m) => m.toString()).join(''));
    t.equal(got[0]?.toString(), 'Response: Success\r\nActionID: w 1 \r\nMessage: Waiting for Event completed.\r\n\r\n');
    t.equal(got[1]?.get('Event'), 'UserEvent');
    t.equal(got[1]?.get('UserEvent'), 'Wake');
    t.equal(got[2]?.toString(), 'Event: WaitEventComplete\r\nActionID: w 1 \r\n\r\n');
    const p = await c.action([['Action', 'Ping']], { id: 'after' });
    t.equal(p.get('Ping'), 'Pong', 'the session takes actions again');
  });

  await t.test('timeout: no events, no ActionID', async (t) => {
    const from = c.received.length;
    const started = Date.now();
    c.write('Action: WaitEvent\r\nTimeout: 1\r\n\r\n');
    await c.waitFor((m) => m.get('Event') === 'WaitEventComplete', 5000, from);
    const took = Date.now() - started;
    t.ok(took >= 950, `waited the Timeout (${took} ms)`);
    t.same(c.received.slice(from).map((m) => m.toString()), [
      'Response: Success\r\nMessage: Waiting for Event completed.\r\n\r\n',
      'Event: WaitEventComplete\r\n\r\n',
    ]);
  });

  await t.test('client input ends the wait, then the new action is answered', async (t) => {
    const from = c.received.length;
    const started = Date.now();
    c.write('Action: WaitEvent\r\nActionID: w2\r\nTimeout: 20\r\n\r\n');
    await sleep(300);
    t.equal(c.received.length, from, 'nothing is answered while waiting');
    c.write('Action: Ping\r\nActionID: p2\r\n\r\n');
    await c.waitFor((m) => m.get('ActionID') === 'p2', 5000, from);
    t.ok(Date.now() - started < 5000, 'ended by the input, not by the 20 s timeout');
    const got = c.received.slice(from).filter((m) => !m.isEvent || m.get('Event') === 'WaitEventComplete');
    t.same(got.map((m) => [m.get('Response') ?? m.get('Event'), m.get('ActionID')]), [
      ['Success', 'w2'], ['WaitEventComplete', 'w2'], ['Success', 'p2'],
    ], 'the WaitEvent reply and its completion, then the Ping');
  });

  await t.test('Events and Filter are answered locally', async (t) => {
    const ev = await c.action([['Action', 'Events'], ['EventMask', 'call,user']], { id: 'e1' });
    t.equal(ev.toString(), 'Response: Success\r\nActionID: e1\r\nEvents: On\r\n\r\n');
    const off = await c.action([['Action', 'Events'], ['EventMask', 'off']], { id: 'e2' });
    t.equal(off.get('Events'), 'Off');
    const f = await c.action([['Action', 'Filter'], ['Operation', 'Add'], ['Filter', 'Event: UserEvent']], { id: 'f1' });
    t.equal(f.get('Response'), 'Success');
    // A forwarded action afterwards proves the upstream log is current.
    const cs = await c.action([['Action', 'CoreStatus']], { id: 'cs' });
    t.equal(cs.get('Response'), 'Success');
  });

  const local = h.sim.received.slice(upstreamFrom)
    // The proxy's own `Events: on` (it promotes an event connection that way) is not the client's.
    .filter((r) => ['waitevent', 'filter', 'events'].includes(r.action.toLowerCase()) && !(r.action.toLowerCase() === 'events' && r.msg.get('EventMask') === 'on'))
    .map((r) => r.msg.toString());
  t.same(local, [], 'no Events, Filter or WaitEvent reached the sim');
  t.ok(h.sim.received.slice(upstreamFrom).some((r) => r.action.toLowerCase() === 'corestatus'), 'while CoreStatus did');
});
