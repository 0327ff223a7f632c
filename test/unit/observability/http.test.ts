import t, { type Test as Tap } from 'tap';
import http from 'node:http';
import net from 'node:net';
import { startAdminServer, type AdminServerOptions } from '../../../src/observability/http.js';
import { Metrics } from '../../../src/observability/metrics.js';

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }

function request(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function start(t: Tap, over: Partial<AdminServerOptions> = {}) {
  const metrics = new Metrics({ defaultMetrics: false });
  const state = { live: true, ready: false };
  const admin = await startAdminServer({
    port: 0,
    metrics,
    health: () => ({ live: state.live }),
    ready: () => ({ ready: state.ready, detail: { upstreams: [{ name: 'pbx1', ready: state.ready }] } }),
    ...over,
  });
  t.teardown(() => admin.close());
  return { admin, metrics, state };
}


t.test('/metrics serves the Prometheus text format', async (t) => {
  const { admin, metrics } = await start(t);
  t.equal(admin.host, '127.0.0.1', 'loopback by default');
  metrics.login('plain', 'success');
  const r = await request(admin.port, '/metrics');
  t.equal(r.status, 200);
  t.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  t.match(r.body, /^amigate_logins_total\{listener="plain",result="success"\} 1$/m);
  t.equal(r.headers['cache-control'], 'no-store');
  const q = await request(admin.port, '/metrics?x=1');
  t.equal(q.status, 200, 'query string ignored');
  const h = await request(admin.port, '/metrics', 'HEAD');
  t.equal(h.status, 200);
  t.equal(h.body, '');
});

t.test('/healthz and /readyz follow the callbacks', async (t) => {
  const { admin, state } = await start(t);
  let r = await request(admin.port, '/healthz');
  t.same([r.status, r.body], [200, 'ok\n']);
  r = await request(admin.port, '/readyz');
  t.equal(r.status, 503);
  t.match(r.headers['content-type'], /application\/json/);
  t.same(JSON.parse(r.body), { ready: false, upstreams: [{ name: 'pbx1', ready: false }] });
  state.ready = true;
  r = await request(admin.port, '/readyz');
  t.equal(r.status, 200);
  t.same(JSON.parse(r.body), { ready: true, upstreams: [{ name: 'pbx1', ready: true }] });
  state.live = false;
  r = await request(admin.port, '/healthz');
  t.equal(r.status, 503);
});

t.test('404 for other paths, 405 for other methods, 500 when a callback throws', async (t) => {
  const { admin } = await start(t, { ready: () => { throw new Error('stats exploded'); } });
  for (const p of ['/', '/metrics/', '/admin', '/healthz/../metrics-x']) {
    t.equal((await request(admin.port, p)).status, 404, p);
  }
  const post = await request(admin.port, '/metrics', 'POST');
  t.equal(post.status, 405);
  t.equal(post.headers['allow'], 'GET, HEAD');
  const r = await request(admin.port, '/readyz');
  t.equal(r.status, 500);
  t.match(r.body, /stats exploded/);
});

t.test('close() ends idle keep-alive connections and is idempotent', async (t) => {
  const { admin } = await start(t);
  const sock = net.connect(admin.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => sock.once('data', r));
  const closed = new Promise((r) => sock.once('close', r));
  const started = Date.now();
  await Promise.all([admin.close(), admin.close()]);
  await closed;
  t.ok(Date.now() - started < 1000, 'did not wait for keep-alive timeout');
  await t.rejects(request(admin.port, '/healthz'), { code: 'ECONNREFUSED' });
});

t.test('listen errors are reported', async (t) => {
  const { admin } = await start(t);
  await t.rejects(startAdminServer({ port: admin.port, metrics: new Metrics({ defaultMetrics: false }), health: () => ({ live: true }), ready: () => ({ ready: true }) }), { code: 'EADDRINUSE' });
});
