// 1,000 concurrent HTTP sessions: 1,000 cookie sessions logged in, then 1,000
// long polls pending at once, one broadcast event answering all of them. Heap
// growth per session stays bounded (numbers in docs/benchmarks.md), and the
// sessions are all gone once they log off.

import t from 'tap';
import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startProxy, waitUntil } from '../../helpers/start-proxy.js';
import { HttpAmiClient } from '../../helpers/http-ami-client.js';

const N = 1000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function inBatches<T>(n: number, size: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += size) out.push(...await Promise.all(Array.from({ length: Math.min(size, n - i) }, (_, j) => fn(i + j))));
  return out;
}

t.test(`${N} concurrent HTTP sessions with long polls, bounded memory`, { timeout: 240_000 }, async (t) => {
  const h = await startProxy(t, {
    general: { maxconnectionsperip: 5000, maxconnections: 5000 },
    users: { ops: { secret: 'o', read: 'all', write: 'all' } },
    listeners: [{ name: 'web', protocol: 'http', maxhttpsessions: 2000 }],
  });
  const port = h.portOf('web');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  t.teardown(() => agent.destroy());
  const before = heapAfterGc();
  const started = Date.now();
  const clients = await inBatches(N, 50, async () => {
    const c = new HttpAmiClient({ port, agent });
    const r = await c.login('ops', 'o');
    if (!r.body.includes('Authentication accepted')) throw new Error(r.body);
    return c;
  });
  const loginMs = Date.now() - started;
  t.equal(h.proxy.amiHttp.get('web')!.sessions.size, N, `${N} sessions`);
  const loggedIn = heapAfterGc();

  // Every session long-polls at once, each on its own connection.
  const polls = clients.map((c) => c.get('/rawman', { action: 'waitevent', timeout: '40' }));
  await new Promise((r) => setTimeout(r, 3000));
  const polling = heapAfterGc();
  const rss = process.memoryUsage().rss;
  const t0 = Date.now();
  h.sim.emitEvent('UserEvent', 'user', [['UserEvent', 'ToAll']]);
  const answers = await Promise.all(polls);
  const fanMs = Date.now() - t0;
  t.equal(answers.filter((a) => a.status === 200 && a.body.includes('UserEvent: ToAll')).length, N, 'one event answers every pending poll');

  const perSession = (loggedIn - before) / N;
  const perPoll = (polling - before) / N;
  t.comment(`logins: ${N} in ${loginMs} ms; heap per logged-in session ${(perSession / 1024).toFixed(1)} KiB, ` +
    `with a pending long poll ${(perPoll / 1024).toFixed(1)} KiB (client side included); rss ${(rss / 1048576).toFixed(0)} MiB; ` +
    `${N} polls answered ${fanMs} ms after the event`);
  t.ok(perSession < 48 * 1024, `heap per logged-in session < 48 KiB (${(perSession / 1024).toFixed(1)} KiB)`);
  t.ok(perPoll < 96 * 1024, `heap per session with a pending poll < 96 KiB (${(perPoll / 1024).toFixed(1)} KiB)`);

  await inBatches(N, 50, (i) => clients[i]!.get('/rawman', { action: 'logoff' }));
  await waitUntil(() => h.proxy.amiHttp.get('web')!.sessions.size === 0, 10_000, 'every session gone');
  t.pass('every session ended on Logoff');
});
