// Backpressure (issue 12, goal 5): a client that stops reading gets nothing
// more read. Like an Asterisk session thread blocked in write(), amigate
// stops reading a session whose output is over its high-water mark, so the
// client's queued actions are not forwarded (the sim sees only the ones that
// fit in the socket buffers); the other clients are answered meanwhile; and
// when the client reads again, every action it sent is answered, in order.

import t from 'tap';
import net from 'node:net';
import { startProxy, waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const SENT = 3000;

t.test('a stalled client is not read while its output is congested, and loses nothing once it reads again', async (t) => {
  // writetimeout and maxqueuebytes out of the way: this is about reading, not dropping.
  const h = await startProxy(t, {
    general: { maxqueuebytes: 256 << 20, maxpendingactions: 100_000 },
    users: { stall: { secret: 's', read: 'all', write: 'all', writetimeout: 120000 }, other: { secret: 'o', read: 'all', write: 'all' } },
  });
  const raw = net.connect({ host: '127.0.0.1', port: h.port });
  t.teardown(() => raw.destroy());
  // Chunks kept as they come (tens of MB by the end), searched with a small overlap.
  const chunks: string[] = [];
  let tail = '';
  let loggedIn = false;
  let lastSeen = false;
  raw.setEncoding('latin1');
  raw.on('data', (d: string) => {
    chunks.push(d);
    const s = tail + d;
    loggedIn ||= s.includes('Authentication accepted');
    lastSeen ||= s.includes(`ActionID: L${SENT - 1}\r\n`);
    tail = s.slice(-40);
  });
  await new Promise((r) => raw.once('connect', r));
  raw.write('Action: Login\r\nUsername: stall\r\nSecret: s\r\nEvents: off\r\n\r\n');
  await waitUntil(() => loggedIn, 5000, 'login');
  // Stop reading, then send many large-answer actions at once.
  raw.pause();
  const before = h.sim.received.filter((r) => r.action === 'ListCommands').length;
  let out = '';
  for (let i = 0; i < SENT; i++) out += `Action: ListCommands\r\nActionID: L${i}\r\n\r\n`;
  raw.write(out);
  // Let amigate run until nothing moves.
  let seen = -1;
  for (let i = 0; i < 100; i++) {
    await delay(100);
    const n = h.sim.received.filter((r) => r.action === 'ListCommands').length;
    if (n === seen) break;
    seen = n;
  }
  const forwarded = seen - before;
  t.ok(forwarded < SENT / 2, `while stalled, ${forwarded} of ${SENT} ListCommands were forwarded (the rest wait unread)`);
  t.ok(forwarded > 0, 'what fits in the socket buffers was answered');

  // Another client is answered meanwhile.
  const other = await TestClient.connect({ port: h.port });
  t.teardown(() => other.close());
  t.equal((await other.login('other', 'o')).get('Message'), 'Authentication accepted');
  t.equal((await other.action([['Action', 'CoreStatus']], { id: 'c1' })).get('Response'), 'Success');

  // The client reads again: every action is answered, in order.
  raw.resume();
  await waitUntil(() => lastSeen, 60000, 'the last answer');
  const ids = [...chunks.join('').matchAll(/^ActionID: (L\d+)\r$/gm)].map((m) => m[1]);
  t.equal(ids.length, SENT, 'one answer per action');
  t.same(ids.slice(0, 5), ['L0', 'L1', 'L2', 'L3', 'L4']);
  t.ok(ids.every((id, i) => id === `L${i}`), 'in the order sent');
});
