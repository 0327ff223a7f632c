// general.authlimitperip (issue 11 item 9), through the real proxy: one source
// address cannot hold every pre-authentication slot. Its connections past the
// limit are closed without a banner (as Asterisk treats authlimit), audited with
// the address and counted; other addresses still get in; a login gives the slot
// back; and on a TLS listener the slot is taken at TCP accept, so sockets that
// never finish (or start) the handshake count too.

import t, { type Test } from 'tap';
import net from 'node:net';
import { readFile } from 'node:fs/promises';
import { startProxy, waitUntil, type ProxyHarness } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { makeTestCerts } from '../../helpers/certs.js';

const BANNER = 'Asterisk Call Manager/11.0.0';

/** A connection that never logs in; resolves once it has its banner. */
async function idle(t: Test, port: number, localAddress: string): Promise<TestClient> {
  const c = await TestClient.connect({ port, localAddress });
  t.teardown(() => c.close());
  return c;
}

/** Does a new plaintext connection from `localAddress` get a banner, or is it closed without one? */
async function bannerOrClosed(t: Test, port: number, localAddress: string): Promise<string> {
  const c = await idle(t, port, localAddress);
  const r = await Promise.race([c.waitBanner(4000).catch(() => 'no banner'), c.closedPromise.then(() => 'closed')]);
  if (r === 'closed' && c.banner === undefined) return 'closed without a banner';
  return r;
}

const rejections = (h: ProxyHarness) => h.logs().filter((l) => l['audit'] === 'connectionRejected').map((l) => `${String(l['listener'])} ${String(l['remote'])} ${String(l['reason'])}`);

t.test('one address past authlimitperip is closed without a banner; others are not', async (t) => {
  const h = await startProxy(t, {
    users: { ops: { secret: 'opspw', read: 'call' } },
    general: { authlimit: 8, authlimitperip: 3 },
  });
  const held = [];
  for (let i = 0; i < 3; i++) {
    held.push(await idle(t, h.port, '127.0.0.9'));
    t.equal(await held[i]!.waitBanner(), BANNER, `idle connection ${i + 1} from 127.0.0.9 has its banner`);
  }
  t.equal(await bannerOrClosed(t, h.port, '127.0.0.9'), 'closed without a banner', 'the 4th from 127.0.0.9 is refused');
  t.equal(await bannerOrClosed(t, h.port, '127.0.0.10'), BANNER, 'another address still gets in');
  t.same(rejections(h), ['plain 127.0.0.9 authlimitperip'], 'audited once, with the address and the reason');
  t.match(await h.proxy.metrics.text(), /amigate_downstream_connections_rejected_total\{listener="plain",reason="authlimitperip"\} 1\n/, 'counted');

  // A login gives its slot back at once: the address may open another connection.
  t.equal((await held[0]!.login('ops', 'opspw')).get('Message'), 'Authentication accepted');
  t.equal(await bannerOrClosed(t, h.port, '127.0.0.9'), BANNER, 'a slot is free again after a login');
  t.equal(await bannerOrClosed(t, h.port, '127.0.0.9'), 'closed without a banner', 'and only one');
  // So is a close.
  await held[1]!.close();
  await waitUntil(() => h.logs().filter((l) => l['audit'] === 'sessionClosed').length >= 1, 3000, 'the close');
  t.equal(await bannerOrClosed(t, h.port, '127.0.0.9'), BANNER, 'a slot is free again after a close');
});

t.test('the default (10) is well below authlimit (50)', async (t) => {
  const h = await startProxy(t, { users: {} });
  for (let i = 0; i < 10; i++) t.equal(await (await idle(t, h.port, '127.0.0.20')).waitBanner(), BANNER);
  t.equal(await bannerOrClosed(t, h.port, '127.0.0.20'), 'closed without a banner', 'the 11th from one address is refused');
  t.equal(await bannerOrClosed(t, h.port, '127.0.0.21'), BANNER);
});

t.test('TLS: the slot is taken at TCP accept, before the handshake', async (t) => {
  const certs = await makeTestCerts(t);
  const h = await startProxy(t, {
    users: { ops: { secret: 'opspw', read: 'call' } },
    general: { authlimit: 8, authlimitperip: 3 },
    tls: { certfile: certs.paths.server, privatekey: certs.paths.serverKey },
  });
  const ca = await readFile(certs.paths.ca);
  const port = h.tlsPort!;
  // Three TCP connections that never send a ClientHello.
  for (let i = 0; i < 3; i++) {
    const s = await new Promise<net.Socket>((resolve, reject) => {
      const c = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.30' }, () => resolve(c));
      c.once('error', reject);
    });
    s.on('error', () => {});
    t.teardown(() => { s.destroy(); });
  }
  await waitUntil(() => h.proxy.listeners[1]!.connections === 3, 3000, 'three held');
  const refused = await TestClient.connect({ port, localAddress: '127.0.0.30', tls: { ca } }).then(
    async (c) => { await c.close(); return 'handshake completed'; },
    (err: Error) => `refused (${err.message})`,
  );
  t.match(refused, /^refused/, 'a TLS client from the same address is refused before its handshake');
  const other = await TestClient.connect({ port, localAddress: '127.0.0.31', tls: { ca } });
  t.teardown(() => other.close());
  t.equal((await other.login('ops', 'opspw')).get('Message'), 'Authentication accepted', 'another address logs in over TLS');
  t.same(rejections(h), ['tls 127.0.0.30 authlimitperip']);
  // A logged-in TLS session holds no slot: three more handshakes from 127.0.0.31 fit beside it.
  const more = await Promise.all([1, 2, 3].map(() => TestClient.connect({ port, localAddress: '127.0.0.31', tls: { ca } })));
  t.teardown(() => Promise.all(more.map((c) => c.close())));
  for (const c of more) t.equal(await c.waitBanner(), BANNER);
});
