// Reload semantics in-process (issue 5 item 4): general.reloadsessions decides
// what happens to a changed user's live sessions; unchanged users are never
// touched; a changed ACL that no longer admits a live session ends it.

import t from 'tap';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

async function nextConfig(h: Awaited<ReturnType<typeof startProxy>>, users: Record<string, unknown>, general: Record<string, unknown>) {
  const c = h.proxy.config;
  const doc = {
    general: { authtimeout: 5, ...general },
    listeners: c.listeners.map((l) => ({ name: l.name, bindaddr: l.bindaddr, port: 0 })),
    upstreams: c.upstreams.map((u) => ({ name: u.name, host: u.host, port: u.port, username: u.username, secret: u.secret, connections: u.connections })),
    users,
  };
  return (await parseConfig(stringify(doc), '<reload>', {})).config;
}

const closedSoon = (c: TestClient) => Promise.race([c.closedPromise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1500).unref())]);

for (const mode of ['update', 'close'] as const) {
  t.test(`reloadsessions: ${mode}`, async (t) => {
    const users = {
      steady: { secret: 'pw', read: 'call' },
      changed: { secret: 'pw', read: 'call' },
      moved: { secret: 'pw', read: 'call' },
    };
    const h = await startProxy(t, { users, general: { reloadsessions: mode } });
    const cs: Record<string, TestClient> = {};
    for (const u of Object.keys(users)) {
      cs[u] = await TestClient.connect({ port: h.port });
      t.teardown(() => cs[u]!.close());
      await cs[u]!.login(u, 'pw');
    }
    await h.proxy.reload(await nextConfig(h, {
      steady: users.steady,
      changed: { secret: 'pw', read: 'call,system' },
      moved: { secret: 'pw', read: 'call', deny: ['0.0.0.0/0'], permit: ['10.0.0.0/8'] },
    }, { reloadsessions: mode }));
    const [steady, changed, moved] = await Promise.all([closedSoon(cs['steady']!), closedSoon(cs['changed']!), closedSoon(cs['moved']!)]);
    t.equal(steady, false, 'an unchanged user keeps its session');
    t.equal(changed, mode === 'close', mode === 'close' ? 'a changed user is closed' : 'a changed user keeps its session');
    t.equal(moved, true, 'a session its user may no longer open is closed');
    if (mode === 'update') {
      const mark = cs['changed']!.received.length;
      h.sim.emitEvent('AfterReload', 'system', []);
      t.equal((await cs['changed']!.waitFor((m) => m.get('Event') === 'AfterReload', 3000, mark)).get('Privilege'), 'system,all', 'new read classes at once');
    }
    const causes = h.logs().filter((l) => l['audit'] === 'sessionClosed').map((l) => l['cause']);
    t.ok(causes.every((c) => c === 'user-changed'), `closed with cause user-changed (${causes.join(',')})`);
  });
}
