// Property-based fuzzing of whole sessions through the real proxy against the
// simulated Asterisk (issue 6 item 5): three clients pipeline random action
// sequences (allowed, denied, unknown, local, lists, async Originate; with,
// without and with colliding ActionIDs) at the same time. Every action must
// get exactly one Response, in order, carrying its own ActionID (or none when
// it sent none); nothing another client sent may show up; the proxy lives on.
// Fixed seed and few runs for CI; `npm run fuzz` runs the codec campaign.

import t from 'tap';
import fc from 'fast-check';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const ACTIONS = [
  'Action: Ping\r\n',
  'Action: CoreStatus\r\n',
  'Action: Command\r\nCommand: core show version\r\n',
  'Action: CoreShowChannels\r\n',
  'Action: QueueStatus\r\n',
  'Action: Getvar\r\nVariable: EPOCH\r\n',
  'Action: Originate\r\nChannel: Local/100@test\r\nContext: test\r\nExten: 100\r\nPriority: 1\r\nAsync: true\r\n',
  'Action: UpdateConfig\r\n',
  'Action: FooBar\r\n',
  'Action: Events\r\nEventMask: call\r\n',
  'Action: Getvar\r\nVariable: SHELL(id)\r\n',
];

// A few shared IDs so that clients collide, plus the client's own and none at all.
const idArb = (me: string) => fc.oneof(fc.constantFrom('1', '2', 'x'), fc.constant(`${me}-own`), fc.constant(undefined));
const seqArb = (me: string) => fc.array(fc.tuple(fc.integer({ min: 0, max: ACTIONS.length - 1 }), idArb(me)), { minLength: 1, maxLength: 25 });

t.test('random pipelined sessions: one reply per action, in order, never crossed', async (t) => {
  const h = await startProxy(t, {
    users: {
      full: { secret: 'pw', read: 'all', write: 'all' },
      limited: { secret: 'pw', read: 'call', write: 'call,reporting' },
    },
  });
  let cases = 0;
  await fc.assert(fc.asyncProperty(seqArb('a'), seqArb('b'), seqArb('c'), async (...seqs) => {
    cases++;
    const users = ['full', 'limited', 'full'];
    const clients = await Promise.all(users.map(async (u) => {
      const c = await TestClient.connect({ port: h.port });
      await c.login(u, 'pw');
      return c;
    }));
    try {
      const marks = clients.map((c) => c.received.length);
      clients.forEach((c, i) => {
        let text = '';
        for (const [a, id] of seqs[i]!) text += ACTIONS[a]! + (id === undefined ? '' : `ActionID: ${id}\r\n`) + '\r\n';
        c.write(text);
      });
      const responses = (i: number) => clients[i]!.received.slice(marks[i]).filter((m) => m.isResponse);
      const end = Date.now() + 10_000;
      while (clients.some((_, i) => responses(i).length < seqs[i]!.length) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 30)); // anything extra would show now
      clients.forEach((c, i) => {
        const got = responses(i).map((m) => m.get('ActionID'));
        const want = seqs[i]!.map(([, id]) => id);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          throw new Error(`client ${i}: replies ${JSON.stringify(got)} for actions ${JSON.stringify(want)}`);
        }
        if (c.closed) throw new Error(`client ${i} was closed`);
      });
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }), { seed: 4242, numRuns: 40 });
  t.comment(`${cases} cases`);
  const ping = await TestClient.connect({ port: h.port });
  t.teardown(() => ping.close());
  t.equal((await ping.login('full', 'pw')).get('Message'), 'Authentication accepted', 'the proxy is still fine');
});
