// PROXY protocol refusals, straight to the listener (no balancer): a valid
// header from an address not in trustedproxies (a spoof), no header from a
// trusted one (a client talking AMI or TLS straight away, or saying nothing),
// a malformed header. Each is closed before a single byte is sent, audited and
// counted with its reason. And what a trusted header does: the limits count
// the client's address, not the balancer's; a LOCAL header is the balancer's own.

import t from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { startProxy, waitUntil, type ProxyHarness } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { makeTestCerts } from '../../helpers/certs.js';

const BANNER = 'Asterisk Call Manager/11.0.0';
const USERS = { front: { secret: 'frontpw', read: 'all', write: 'all', deny: ['0.0.0.0/0'], permit: ['127.0.0.5'] } };
const LOGIN = 'Action: Login\r\nActionID: L\r\nUsername: front\r\nSecret: frontpw\r\n\r\n';
const v1 = (client: string, port = 40000) => `PROXY TCP4 ${client} 127.0.0.1 ${port} 5038\r\n`;

/** Connect from `localAddress`, write `bytes`, and report what came back before the close (or after `ms`). */
async function exchange(port: number, localAddress: string, bytes: string | Buffer, ms = 8000): Promise<{ got: string; closed: boolean }> {
  const s = net.connect({ port, host: '127.0.0.1', localAddress });
  s.on('error', () => { /* a reset is a close here */ });
  let got = '';
  s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
  const closed = new Promise<boolean>((r) => s.once('close', () => r(true)));
  await new Promise<void>((r) => s.once('connect', () => r()));
  if (bytes.length > 0) s.write(bytes);
  const result = await Promise.race([closed, new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
  s.destroy();
  return { got, closed: result };
}

const rejections = (h: ProxyHarness) => h.logs().filter((l) => l['audit'] === 'connectionRejected')
  .map((l) => `${String(l['listener'])} ${String(l['remote'])} ${String(l['reason'])}${l['proxy'] !== undefined ? ` via ${String(l['proxy']).split(':')[0]}` : ''}`);
const metric = async (h: ProxyHarness, listener: string, reason: string) =>
  Number(new RegExp(`amigate_downstream_connections_rejected_total\\{listener="${listener}",reason="${reason}"\\} (\\d+)`).exec(await h.proxy.metrics.text())?.[1] ?? 0);

t.test('spoofed, missing and malformed headers are closed unanswered, audited and counted', async (t) => {
  const certs = await makeTestCerts(t);
  const ca = await readFile(certs.paths.ca);
  const h = await startProxy(t, {
    users: USERS,
    general: { authtimeout: 1 },
    listeners: [
      { name: 'pp', proxyprotocol: 'auto', trustedproxies: ['127.0.0.1', '127.0.0.2/31'] },
      { name: 'pp-tls', proxyprotocol: 'v2', trustedproxies: ['127.0.0.1'], tls: { certfile: certs.paths.server, privatekey: certs.paths.serverKey } },
    ],
  });
  const port = h.portOf('pp');

  // A client that claims a permitted address, from an address that is no balancer.
  const spoof = await exchange(port, '127.0.0.7', v1('127.0.0.5') + LOGIN);
  t.same(spoof, { got: '', closed: true }, 'spoofed header from 127.0.0.7: closed, no banner');
  // Trusted addresses: the one listed, and both of the /31.
  for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) {
    const c = await exchange(port, from, v1('127.0.0.5'), 300);
    t.equal(c.got, `${BANNER}\r\n`, `a header from ${from} (trusted) gets the banner`);
  }
  const missing = await exchange(port, '127.0.0.1', LOGIN);
  t.same(missing, { got: '', closed: true }, 'a trusted address talking AMI without a header: closed, no banner');
  const t0 = Date.now();
  const silent = await exchange(port, '127.0.0.1', '');
  t.same(silent, { got: '', closed: true }, 'nothing at all: closed after the handshake timeout (authtimeout)');
  t.ok(Date.now() - t0 >= 800, 'not before the timeout');
  const malformed = await exchange(port, '127.0.0.1', 'PROXY TCP4 127.0.0.300 127.0.0.1 1 2\r\n' + LOGIN);
  t.same(malformed, { got: '', closed: true }, 'a malformed header: closed, no banner');
  const oversize = await exchange(port, '127.0.0.1', 'PROXY TCP4 ' + '1'.repeat(200));
  t.same(oversize, { got: '', closed: true }, 'a v1 header past 107 bytes: closed');

  // TLS: the header comes before the ClientHello; a ClientHello without it is refused before any TLS byte is sent.
  const plainHello = await new Promise<{ err: string; got: number }>((resolve) => {
    let got = 0;
    const s = tls.connect({ port: h.portOf('pp-tls'), host: '127.0.0.1', ca, servername: 'localhost' });
    s.on('data', (d: Buffer) => { got += d.length; });
    s.once('error', (e: Error & { code?: string }) => resolve({ err: e.code ?? e.message, got }));
    s.once('secureConnect', () => resolve({ err: 'connected', got }));
  });
  t.not(plainHello.err, 'connected', `TLS without a header fails (${plainHello.err})`);
  const tlsSpoof = await exchange(h.portOf('pp-tls'), '127.0.0.8', v1('127.0.0.5'));
  t.same(tlsSpoof, { got: '', closed: true }, 'TLS listener, untrusted address: closed before any TLS byte');

  await waitUntil(() => rejections(h).length >= 7, 5000, 'seven refusals');
  t.same(rejections(h), [
    'pp 127.0.0.7 proxy-untrusted',
    'pp 127.0.0.1 proxy-missing',
    'pp 127.0.0.1 proxy-missing',
    'pp 127.0.0.1 proxy-malformed',
    'pp 127.0.0.1 proxy-malformed',
    'pp-tls 127.0.0.1 proxy-missing',
    'pp-tls 127.0.0.8 proxy-untrusted',
  ], 'each audited with the peer address and its reason');
  t.equal(await metric(h, 'pp', 'proxy-untrusted'), 1);
  t.equal(await metric(h, 'pp', 'proxy-missing'), 2);
  t.equal(await metric(h, 'pp', 'proxy-malformed'), 2);
  t.equal(await metric(h, 'pp-tls', 'proxy-missing'), 1);
  t.equal(await metric(h, 'pp-tls', 'proxy-untrusted'), 1);
  t.equal(h.logs().filter((l) => l['audit'] === 'loginSucceeded' || l['audit'] === 'loginFailed').length, 0, 'no login was even read');
});

t.test('behind a trusted balancer the limits count the client address; LOCAL is the balancer itself', async (t) => {
  const h = await startProxy(t, {
    users: USERS,
    general: { maxconnectionsperip: 2 },
    listeners: [{ name: 'pp', proxyprotocol: 'v1', trustedproxies: ['127.0.0.1'] }],
  });
  const port = h.portOf('pp');
  const held: net.Socket[] = [];
  t.teardown(() => { for (const s of held) s.destroy(); });
  /** A connection from 127.0.0.1 claiming `client`; resolves with its banner or '' when closed without one. */
  const open = async (header: string | Buffer): Promise<string> => {
    const s = net.connect({ port, host: '127.0.0.1' });
    held.push(s);
    s.on('error', () => {});
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write(header);
    return new Promise((resolve) => {
      let got = '';
      s.on('data', (d: Buffer) => { got += d.toString(); if (got.includes('\r\n')) resolve(got); });
      s.once('close', () => resolve(got));
    });
  };
  // All from the balancer's one address; two clients behind it.
  t.equal(await open(v1('127.0.0.5', 1)), `${BANNER}\r\n`);
  t.equal(await open(v1('127.0.0.5', 2)), `${BANNER}\r\n`);
  t.equal(await open(v1('127.0.0.5', 3)), '', 'the third from client 127.0.0.5 passes maxconnectionsperip: closed');
  t.equal(await open(v1('127.0.0.9', 4)), `${BANNER}\r\n`, 'another client behind the same balancer still gets in');
  t.match(rejections(h), ['pp 127.0.0.5 maxconnectionsperip via 127.0.0.1'], 'refused as the client, the balancer named');

  // v2 LOCAL (a health check with check-send-proxy): the connection's own address, no `proxy`.
  const local = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00]);
  const onV1 = await open(local);
  t.equal(onV1, '', 'a v2 header on a v1 listener is no header');
  const opened = h.logs().filter((l) => l['audit'] === 'connectionOpened' && l['listener'] === 'pp');
  t.same(opened.map((l) => String(l['remote']).replace(/:\d+$/, '')), ['127.0.0.5', '127.0.0.5', '127.0.0.9']);
  t.ok(opened.every((l) => /^127\.0\.0\.1:\d+$/.test(String(l['proxy']))), 'each with the balancer');

  // A login as the client: the user's ACL permits 127.0.0.5, the balancer is 127.0.0.1.
  const c = new TestClient(net.connect({ port, host: '127.0.0.1' }));
  t.teardown(() => c.close());
  await new Promise<void>((r) => c.socket.once('connect', () => r()));
  held[0]!.destroy();
  await waitUntil(() => h.proxy.listeners.find((l) => l.name === 'pp')!.connections === 2, 3000, 'a slot for 127.0.0.5');
  c.write(v1('127.0.0.5', 5));
  t.match((await c.login('front', 'frontpw')).get('Message'), 'Authentication accepted', 'login as 127.0.0.5 through a trusted header');
});

t.test('v2 LOCAL and v1 UNKNOWN: the connection\'s own address', async (t) => {
  const h = await startProxy(t, {
    users: { any: { secret: 'anypw', read: 'all' } },
    listeners: [{ name: 'pp', proxyprotocol: 'auto', trustedproxies: ['127.0.0.1'] }],
  });
  const local = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00]);
  for (const header of [local, Buffer.from('PROXY UNKNOWN\r\n')]) {
    const c = new TestClient(net.connect({ port: h.portOf('pp'), host: '127.0.0.1' }));
    t.teardown(() => c.close());
    await new Promise<void>((r) => c.socket.once('connect', () => r()));
    c.socket.write(header);
    t.equal(await c.waitBanner(), BANNER);
    t.equal((await c.login('any', 'anypw')).get('Message'), 'Authentication accepted');
  }
  const opened = h.logs().filter((l) => l['audit'] === 'connectionOpened' && l['listener'] === 'pp');
  t.equal(opened.length, 2);
  t.ok(opened.every((l) => /^127\.0\.0\.1:\d+$/.test(String(l['remote'])) && l['proxy'] === undefined), 'own address, no balancer field');
});

t.test('the client\'s first bytes in the same packet as the header reach AMI, TLS and HTTP intact', async (t) => {
  const certs = await makeTestCerts(t);
  const ca = await readFile(certs.paths.ca);
  const pp = { proxyprotocol: 'auto', trustedproxies: ['127.0.0.1'] };
  const h = await startProxy(t, {
    users: USERS,
    listeners: [
      { name: 'pp', ...pp },
      { name: 'pp-tls', ...pp, tls: { certfile: certs.paths.server, privatekey: certs.paths.serverKey } },
      { name: 'pp-http', protocol: 'http', ...pp },
    ],
  });
  // AMI: header and Login in one write, before the banner could have been sent.
  const ami = await exchange(h.portOf('pp'), '127.0.0.1', v1('127.0.0.5', 1111) + LOGIN, 4000);
  t.match(ami.got, new RegExp(`^${BANNER}\\r\\nResponse: Success\\r\\nActionID: L\\r\\nMessage: Authentication accepted\\r\\n`), 'banner, then the Login that came with the header is answered');

  // TLS: the header and the ClientHello in one write (a Duplex in between joins them).
  const raw = net.connect({ port: h.portOf('pp-tls'), host: '127.0.0.1' });
  raw.setNoDelay(true);
  t.teardown(() => raw.destroy());
  await new Promise<void>((r) => raw.once('connect', () => r()));
  let first = true;
  const joined = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      raw.write(first ? Buffer.concat([Buffer.from(v1('127.0.0.5', 2222)), chunk]) : chunk, cb);
      first = false;
    },
    read() { /* pushed from raw */ },
    final(cb) { raw.end(); cb(); },
  });
  raw.on('data', (d: Buffer) => joined.push(d));
  raw.on('end', () => joined.push(null));
  raw.on('error', () => joined.destroy());
  const tc = new TestClient(tls.connect({ socket: joined as unknown as net.Socket, ca, servername: 'localhost' }));
  t.teardown(() => tc.close());
  t.equal((await tc.login('front', 'frontpw')).get('Message'), 'Authentication accepted', 'TLS handshake and login as 127.0.0.5');

  // HTTP: header and request in one write.
  const http = await exchange(h.portOf('pp-http'), '127.0.0.1', v1('127.0.0.5', 3333) +
    'GET /rawman?action=login&username=front&secret=frontpw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 4000);
  t.match(http.got, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nResponse: Success\r\nMessage: Authentication accepted\r\n\r\n/, 'the request that came with the header is answered');

  const remotes = h.logs().filter((l) => l['audit'] === 'loginSucceeded').map((l) => `${String(l['listener'])} ${String(l['remote'])}`);
  t.same(remotes.sort(), ['pp 127.0.0.5:1111', 'pp-http 127.0.0.5:3333', 'pp-tls 127.0.0.5:2222']);
});

t.test('IPv6 and IPv4-mapped balancers: trustedproxies matches them as a user ACL would', async (t) => {
  const h = await startProxy(t, {
    users: USERS,
    listeners: [
      // A dual-stack style listener: Node reports an IPv4 peer as ::ffff:127.0.0.1, trusted as 127.0.0.1.
      { name: 'mapped', bindaddr: '::ffff:127.0.0.1', proxyprotocol: 'v1', trustedproxies: ['127.0.0.1'] },
      { name: 'v6', bindaddr: '::1', proxyprotocol: 'auto', trustedproxies: ['::1/128'] },
      { name: 'v6-other', bindaddr: '::1', proxyprotocol: 'auto', trustedproxies: ['2001:db8::/32', '127.0.0.1'] },
    ],
  });
  const talk = async (port: number, host: string, bytes: string): Promise<string> => {
    const s = net.connect({ port, host });
    s.on('error', () => {});
    let got = '';
    s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write(bytes);
    await Promise.race([new Promise((r) => s.once('close', r)), new Promise((r) => setTimeout(r, 3000))]);
    s.destroy();
    return got;
  };
  const login = v1('127.0.0.5', 4444) + LOGIN + 'Action: Logoff\r\n\r\n';
  t.match(await talk(h.portOf('mapped'), '::ffff:127.0.0.1', login), /Authentication accepted/, 'an IPv4-mapped peer matches an IPv4 entry');
  t.match(await talk(h.portOf('v6'), '::1', 'PROXY TCP6 2001:db8::5 ::1 5555 5038\r\nAction: Ping\r\nActionID: P\r\n\r\nAction: Logoff\r\n\r\n'),
    /^Asterisk Call Manager\/11\.0\.0\r\n/, 'an IPv6 balancer in an IPv6 CIDR; the client an IPv6 address');
  t.equal(await talk(h.portOf('v6-other'), '::1', v1('127.0.0.5')), '', '::1 is in neither 2001:db8::/32 nor 127.0.0.1');
  const opened = h.logs().filter((l) => l['audit'] === 'connectionOpened').map((l) => `${String(l['listener'])} ${String(l['remote'])} ${String(l['proxy'])}`);
  t.match(opened, [/^mapped 127\.0\.0\.5:4444 ::ffff:127\.0\.0\.1:\d+$/, /^v6 2001:db8::5:5555 ::1:\d+$/]);
  t.match(h.logs().filter((l) => l['audit'] === 'connectionRejected'), [{ listener: 'v6-other', remote: '::1', reason: 'proxy-untrusted' }]);
});
