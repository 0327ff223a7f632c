// ActionID routing under load: 50 clients all use the ActionIDs 1, 2, 3... at
// once while events flow; every response, list item and Complete reaches its
// own client with its own ActionID, counted exactly; no proxy ID ever leaks.

import t from 'tap';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

t.test('50 clients with colliding ActionIDs while events flow', async (t) => {
  const h = await startProxy(t, {
    users: { app: { secret: 'apppw', read: 'all', write: 'all' } },
    sim: { eventsPerSecond: 500, seed: 7 },
  });
  const N = 50;
  const clients = await Promise.all(Array.from({ length: N }, async () => {
    const c = await TestClient.connect({ port: h.port });
    t.teardown(() => c.close());
    await c.login('app', 'apppw');
    return c;
  }));
  const ROUNDS = 4;
  await Promise.all(clients.map(async (c, i) => {
    for (let r = 0; r < ROUNDS; r++) {
      // Pipelined: a Ping, a list, a Command and a Ping without ActionID, in one write.
      const base = r * 3;
      const from = c.received.length;
      c.write(
        `Action: Ping\r\nActionID: ${base + 1}\r\n\r\n` +
        `Action: CoreShowChannels\r\nActionID: ${base + 2}\r\n\r\n` +
        `Action: Command\r\nActionID: ${base + 3}\r\nCommand: core show version\r\n\r\n` +
        `Action: Ping\r\n\r\n`);
      await c.waitFor((m) => m.isResponse && !m.has('ActionID') && m.get('Ping') === 'Pong', 10000, from);
      const got = c.received.slice(from).filter((m) => m.isResponse || m.has('ActionID'));
      const responses = got.filter((m) => m.isResponse);
      t.same(responses.map((m) => m.get('ActionID') ?? '-'), [`${base + 1}`, `${base + 2}`, `${base + 3}`, '-'], `client ${i} round ${r}: responses in request order`);
      const complete = got.find((m) => m.get('EventList')?.toLowerCase() === 'complete');
      t.equal(complete?.get('ActionID'), `${base + 2}`);
      const items = got.filter((m) => m.isEvent && m.get('ActionID') === `${base + 2}` && m !== complete);
      t.equal(String(items.length), complete?.get('ListItems'), 'item count matches ListItems');
    }
  }));
  for (const c of clients) {
    const text = c.received.map((m) => m.toString()).join('');
    if (/amg\./.test(text)) t.fail('a proxy ActionID leaked to a client');
    const foreign = c.received.filter((m) => m.has('ActionID') && !/^(\d+|t[a-z0-9]+)$/.test(m.get('ActionID')!));
    t.equal(foreign.length, 0, 'no foreign ActionIDs');
  }
  const events = clients.map((c) => c.received.filter((m) => m.isEvent && !m.has('ActionID')).length);
  t.ok(events.every((n) => n > 0), 'every client received broadcast events meanwhile');
});
