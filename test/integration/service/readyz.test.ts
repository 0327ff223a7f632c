// /readyz through the real proxy follows the upstream (docs/operations.md):
// 200 while an upstream is ready, 503 with the per-upstream state while
// Asterisk restarts, 200 again once amigate has logged back in. /healthz stays
// 200 throughout: an upstream outage is not a reason to restart amigate.

import t from 'tap';
import { httpGet as get } from '../../helpers/http-get.js';
import { startProxy } from '../../helpers/start-proxy.js';


async function pollStatus(port: number, path: string, want: number, ms: number): Promise<{ status: number; body: string }> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await get(port, path);
    if (r.status === want || Date.now() > end) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}

t.test('/readyz: 503 while the only upstream is down, 200 once it is back', async (t) => {
  const h = await startProxy(t, { users: {}, admin: true });
  const port = h.proxy.adminPort!;
  const up = await get(port, '/readyz');
  t.equal(up.status, 200, 'ready with the upstream logged in');
  t.same(JSON.parse(up.body), { ready: true, upstreams: [{ name: 'pbx1', ready: true }] });

  // Asterisk restarts and stays away for 1.5 s.
  const restarted = h.sim.restart(1500);
  const down = await pollStatus(port, '/readyz', 503, 5000);
  t.equal(down.status, 503, 'not ready while the upstream is down');
  t.same(JSON.parse(down.body), { ready: false, upstreams: [{ name: 'pbx1', ready: false }] }, 'the body names the upstream that is down');
  t.equal((await get(port, '/healthz')).status, 200, 'still live: an outage is not a reason to restart amigate');
  await restarted;

  // Reconnects back off (100 ms doubling, full jitter): allow a loaded machine plenty.
  const back = await pollStatus(port, '/readyz', 200, 30_000);
  t.equal(back.status, 200, 'ready again once amigate has logged back in');
  t.same(JSON.parse(back.body), { ready: true, upstreams: [{ name: 'pbx1', ready: true }] });
});
