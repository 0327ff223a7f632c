// amigate behind a real HAProxy running deploy/haproxy/haproxy.cfg (issue 16):
// clients connect to HAProxy from chosen loopback addresses; HAProxy sends a
// PROXY header (send-proxy, then send-proxy-v2) to the in-process proxy's AMI,
// TLS and HTTP listeners. A user whose ACL permits 127.0.0.5 only logs in from
// .5 and gets Asterisk's `Authentication failed` from .6, on every listener
// kind, WebSocket included; the audit shows the client's address and port and
// the balancer's. Both `server` lines of the file point at the same instance.

import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { startProxy, waitUntil, type ProxyHarness } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { HttpAmiClient } from '../../helpers/http-ami-client.js';
import { wsConnect } from '../../helpers/ws-client.js';
import { makeTestCerts } from '../../helpers/certs.js';
import { freePort } from '../../helpers/free-port.js';
import { startHaproxy } from '../../helpers/haproxy.js';
import { deployHaproxyConfig } from '../../helpers/deploy-haproxy.js';

const FAILED = 'Response: Error\r\nActionID: L\r\nMessage: Authentication failed\r\n\r\n';
const USERS = { front: { secret: 'frontpw', read: 'all', write: 'all', deny: ['0.0.0.0/0', '::/0'], permit: ['127.0.0.5'] } };

type Line = Record<string, unknown>;
/**
 * Audit records of one type and listener from the test's clients (127.0.0.5 and
 * .6): startHaproxy()'s readiness probes come through HAProxy from 127.0.0.1.
 */
const audits = (h: ProxyHarness, type: string, listener: string): Line[] =>
  h.logs().filter((l) => l['audit'] === type && l['listener'] === listener && /^127\.0\.0\.[56]\b/.test(String(l['remote'])));

async function setUp(t: Test, version: 'v1' | 'v2') {
  const certs = await makeTestCerts(t);
  const pp = (mode: string) => ({ proxyprotocol: mode, trustedproxies: ['127.0.0.1'] });
  const h = await startProxy(t, {
    users: USERS,
    admin: true,
    listeners: [
      { name: 'pp-ami', ...pp(version) },
      { name: 'pp-tls', tls: { certfile: certs.paths.server, privatekey: certs.paths.serverKey }, ...pp(version) },
      // auto on HTTP for v2: both framings reach the listener kinds through a real balancer.
      { name: 'pp-http', protocol: 'http', ...pp(version === 'v2' ? 'auto' : 'v1') },
    ],
  });
  const front = { ami: await freePort(), tls: await freePort(), http: await freePort() };
  const inst = { ami: h.portOf('pp-ami'), tls: h.portOf('pp-tls'), http: h.portOf('pp-http'), admin: h.proxy.adminPort! };
  const cfg = await deployHaproxyConfig({ front, instances: [inst, inst] }, { sendProxy: version });
  t.equal(/send-proxy-v2/.test(cfg), version === 'v2', `the file sends PROXY ${version}`);
  // Read first: startHaproxy() writes its file into the same t.testdir(), which empties it.
  const ca = await readFile(certs.paths.ca);
  await startHaproxy(t, cfg, [front.ami, front.tls, front.http]);
  return { h, front, ca };
}

/** Log in through an AMI client; the reply text and the client's source port. */
async function amiLogin(port: number, localAddress: string, tls?: Buffer): Promise<{ reply: string; sourcePort: number }> {
  const c = await TestClient.connect({ port, localAddress, ...(tls ? { tls: { ca: tls } } : {}) });
  try {
    await c.waitBanner(10_000);
    c.write('Action: Login\r\nActionID: L\r\nUsername: front\r\nSecret: frontpw\r\n\r\n');
    const r = await c.waitFor((m) => m.isResponse, 10_000);
    return { reply: r.toString(), sourcePort: c.socket.localPort! };
  } finally {
    await c.close();
  }
}

for (const version of ['v1', 'v2'] as const) {
  t.test(`send-proxy${version === 'v2' ? '-v2' : ''}: the client address behind HAProxy reaches ACLs and the audit`, async (t) => {
    const { h, front, ca } = await setUp(t, version);

    for (const [listener, port, tls] of [['pp-ami', front.ami, undefined], ['pp-tls', front.tls, ca]] as const) {
      const ok = await amiLogin(port, '127.0.0.5', tls);
      t.match(ok.reply, /Message: Authentication accepted/, `${listener}: login from 127.0.0.5 (permitted)`);
      const bad = await amiLogin(port, '127.0.0.6', tls);
      t.equal(bad.reply, FAILED, `${listener}: from 127.0.0.6 (denied) exactly as Asterisk refuses`);
      await waitUntil(() => audits(h, 'loginFailed', listener).length === 1, 5000, 'the failed login audited');
      const opened = audits(h, 'connectionOpened', listener);
      t.same(opened.map((l) => l['remote']), [`127.0.0.5:${ok.sourcePort}`, `127.0.0.6:${bad.sourcePort}`], `${listener}: connectionOpened has the client's address and port`);
      t.ok(opened.every((l) => /^127\.0\.0\.1:\d+$/.test(String(l['proxy']))), `${listener}: ... and the balancer's`);
      t.same(audits(h, 'loginSucceeded', listener).map((l) => l['remote']), [`127.0.0.5:${ok.sourcePort}`]);
      t.same(audits(h, 'loginFailed', listener).map((l) => [l['remote'], l['reason']]), [[`127.0.0.6:${bad.sourcePort}`, 'acl']], `${listener}: refused by the ACL`);
    }
    t.same(audits(h, 'tlsHandshake', 'pp-tls').map((l) => String(l['remote']).split(':')[0]), ['127.0.0.5', '127.0.0.6'], 'the TLS record carries the client too');

    // AMI over HTTP: /rawman login.
    const web5 = new HttpAmiClient({ port: front.http, localAddress: '127.0.0.5' });
    const ok = await web5.login('front', 'frontpw');
    t.equal(ok.status, 200);
    t.match(ok.body, /Message: Authentication accepted/, 'rawman login from 127.0.0.5');
    const web6 = new HttpAmiClient({ port: front.http, localAddress: '127.0.0.6' });
    const bad = await web6.login('front', 'frontpw');
    t.equal(bad.body, 'Response: Error\r\nMessage: Authentication failed\r\n\r\n', 'rawman login from 127.0.0.6 refused');
    t.match(audits(h, 'loginSucceeded', 'pp-http').map((l) => l['remote']), [/^127\.0\.0\.5:\d+$/]);
    t.match(audits(h, 'loginFailed', 'pp-http').map((l) => [l['remote'], l['reason']]), [[/^127\.0\.0\.6:\d+$/, 'acl']]);

    // AMI over WebSocket on the same HTTP listener.
    const ws5 = await wsConnect(t, `ws://127.0.0.1:${front.http}/ws`, { localAddress: '127.0.0.5' });
    ws5.send('Action: Login\r\nActionID: W\r\nUsername: front\r\nSecret: frontpw\r\n\r\n');
    t.match(await ws5.waitFor((f) => f.includes('ActionID: W'), 10_000), /Authentication accepted/, 'WebSocket login from 127.0.0.5');
    const ws6 = await wsConnect(t, `ws://127.0.0.1:${front.http}/ws`, { localAddress: '127.0.0.6' });
    ws6.send('Action: Login\r\nActionID: W\r\nUsername: front\r\nSecret: frontpw\r\n\r\n');
    t.match(await ws6.waitFor((f) => f.includes('ActionID: W'), 10_000), /Message: Authentication failed/, 'WebSocket login from 127.0.0.6 refused');
    await waitUntil(() => audits(h, 'loginFailed', 'pp-http').length === 2, 5000, 'the WebSocket refusal audited');
    t.match(audits(h, 'loginFailed', 'pp-http')[1], { remote: /^127\.0\.0\.6:\d+$/, reason: 'acl' });
    const rejected = h.logs().filter((l) => l['audit'] === 'connectionRejected');
    t.same(rejected.filter((l) => !/^127\.0\.0\.1\b/.test(String(l['remote']))), [], 'no client refused on the way (only the probes without a TLS handshake)');
  });
}
