// The HTTP listener seam (listeners[].protocol: http): an HTTP or HTTPS server
// per listener on the AMI listener's TLS and connection-limit code, with
// front ends mounted through HttpMount (downstream/http-mount.ts). Over real
// sockets against the real proxy.

import t from 'tap';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { readFile } from 'node:fs/promises';
import type { HttpMount } from '../../../src/downstream/http-mount.js';
import type { ConnectionInfo } from '../../../src/session/services.js';
import { startProxy } from '../../helpers/start-proxy.js';
import { makeTestCerts } from '../../helpers/certs.js';
import { rawHttp } from '../../helpers/http-replay.js';

interface Got { status: number; headers: http.IncomingHttpHeaders; body: string }

function get(mod: typeof http | typeof https, opts: https.RequestOptions): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = mod.request({ host: '127.0.0.1', agent: false, ...opts }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A mount that claims GET /hello and upgrades to /echo, recording what it saw. */
function helloMount(seen: ConnectionInfo[]): HttpMount {
  return {
    name: 'hello',
    request(req, res, conn) {
      if (req.url !== '/hello') return false;
      seen.push(conn);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('hello ' + conn.listener);
      return true;
    },
    upgrade(req, socket, _head, conn) {
      if (req.url !== '/echo') return false;
      seen.push(conn);
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (d: Buffer) => socket.write(d));
      return true;
    },
  };
}

t.test('an HTTPS listener serves its mounts with the AMI listener TLS settings; anything else is 404', async (t) => {
  const certs = await makeTestCerts(t);
  const seen: ConnectionInfo[] = [];
  const h = await startProxy(t, {
    users: {},
    listeners: [{ name: 'web', protocol: 'http', tls: { certfile: certs.paths.server, privatekey: certs.paths.serverKey, minversion: 'TLSv1.3' } }],
    httpMounts: (l) => (l.name === 'web' ? [helloMount(seen)] : []),
  });
  const ca = await readFile(certs.paths.ca);
  const port = h.portOf('web');
  const ok = await get(https, { port, path: '/hello', ca });
  t.equal(ok.status, 200);
  t.equal(ok.body, 'hello web');
  t.equal(seen.length, 1);
  t.equal(seen[0]!.listener, 'web');
  t.equal(seen[0]!.remoteAddress, '127.0.0.1');
  t.equal(seen[0]!.tls?.protocol, 'TLSv1.3', 'the listener TLS floor applies (minversion TLSv1.3)');

  const missing = await get(https, { port, path: '/nothing', ca });
  t.equal(missing.status, 404);
  t.equal(missing.headers['content-type'], 'text/html');
  t.match(missing.body, /<title>404 Not Found<\/title>/);
  t.match(missing.body, /The requested URL was not found on this server\./);

  // TLS 1.2 is refused by a TLSv1.3 listener, as on the AMI listener.
  await t.rejects(get(https, { port, path: '/hello', ca, maxVersion: 'TLSv1.2' }));
  // The plain AMI listener beside it is untouched: it still greets.
  const banner = await new Promise<string>((resolve) => {
    const s = net.connect(h.port, '127.0.0.1');
    s.once('data', (d: Buffer) => { resolve(d.toString('latin1')); s.destroy(); });
  });
  t.match(banner, /^Asterisk Call Manager\//);
});

t.test('upgrades: a mount claims its own; an unclaimed one gets 404 and the socket is closed', async (t) => {
  const seen: ConnectionInfo[] = [];
  const h = await startProxy(t, {
    users: {},
    listeners: [{ name: 'web', protocol: 'http' }],
    httpMounts: () => [helloMount(seen)],
  });
  const port = h.portOf('web');
  const refused = await rawHttp(port, 'GET /other HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  t.match(refused.text, /^HTTP\/1\.1 404 Not Found\r\n/);
  t.ok(refused.eof || refused.text.length > 0, 'the socket was closed by the server');

  const echoed = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n') && !text.includes('ping')) s.write('ping');
      if (text.endsWith('ping')) { s.destroy(); resolve(text); }
    });
    s.write('GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
  });
  t.match(echoed, /^HTTP\/1\.1 101 Switching Protocols\r\n[\s\S]*\r\n\r\nping$/);
  t.equal(seen.length, 1);
});

t.test('malformed HTTP gets 400 (not 200) and the connection is closed', async (t) => {
  const h = await startProxy(t, { users: {}, listeners: [{ name: 'web', protocol: 'http' }] });
  const r = await rawHttp(h.portOf('web'), 'THIS IS NOT HTTP\r\n\r\n');
  t.match(r.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
  t.ok(r.eof);
});

t.test('maxconnectionsperip applies to HTTP connections (counted and refused like AMI ones)', async (t) => {
  const h = await startProxy(t, {
    users: {}, admin: true,
    general: { maxconnectionsperip: 2, authlimit: 1 },
    listeners: [{ name: 'web', protocol: 'http' }],
  });
  const port = h.portOf('web');
  const open: net.Socket[] = [];
  t.teardown(() => { for (const s of open) s.destroy(); });
  // authlimit 1 counts AMI logins only: two idle HTTP connections are both accepted.
  for (let i = 0; i < 2; i++) {
    const s = net.connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    open.push(s);
  }
  const third = await rawHttp(port, 'GET /rawman HTTP/1.1\r\nHost: x\r\n\r\n');
  t.equal(third.text, '', 'the third connection from one address is closed without an answer');
  const metrics = await get(http, { port: h.proxy.adminPort!, path: '/metrics' });
  t.match(metrics.body, /amigate_downstream_connections_rejected_total\{listener="web",reason="maxconnectionsperip"\} 1/);
});
