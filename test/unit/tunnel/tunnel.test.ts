// The tunnel's byte path over real sockets, with a plain TLS server as the
// gate: bytes pass untouched both ways, half-close passes through in each
// direction (each case fails if either socket loses allowHalfOpen), a close of
// one side reaches the other, and a gate that is down closes the client with
// the reason reported. (TCP_NODELAY is set on both sockets, but loopback does
// not show Nagle's delay reliably enough for a test; the bench measures it.)

import t, { type Test } from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import { Tunnel } from '../../../src/tunnel/tunnel.js';
import { testPki } from '../../helpers/certs.js';

interface Gate { port: number; conns: tls.TLSSocket[]; close(): Promise<void> }

async function startGate(t: Test, onConn: (s: tls.TLSSocket) => void): Promise<Gate> {
  const pki = await testPki();
  const conns: tls.TLSSocket[] = [];
  const server = tls.createServer({ cert: pki.server.cert, key: pki.server.key, allowHalfOpen: true }, (s) => { conns.push(s); onConn(s); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = () => new Promise<void>((r) => { for (const c of conns) c.destroy(); server.close(() => r()); });
  t.teardown(close);
  return { port: (server.address() as net.AddressInfo).port, conns, close };
}

async function startTunnel(t: Test, gatePort: number, failed: string[] = []): Promise<Tunnel> {
  const pki = await testPki();
  const tunnel = new Tunnel({
    name: 'test', listenHost: '127.0.0.1', listenPort: 0, connectHost: '127.0.0.1', connectPort: gatePort,
    ca: Buffer.from(pki.ca.cert), servername: 'localhost',
  }, { connectionFailed: (f) => failed.push(f.reason) });
  await tunnel.listen();
  t.teardown(() => tunnel.close());
  return tunnel;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
  });
}

function readAll(s: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    s.on('data', (d: Buffer) => { text += d.toString('latin1'); });
    s.on('end', () => resolve(text));
  });
}

t.test('bytes both ways, untouched, and half-close from the client', async (t) => {
  // The gate answers only after the client has finished sending (its FIN), so
  // the reply can only arrive if the tunnel passed the half-close on and kept
  // the other direction open.
  const gate = await startGate(t, (s) => {
    let got = '';
    s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    s.on('end', () => { s.end(Buffer.from(`got ${got.length} bytes: ${got}`, 'latin1')); });
  });
  const tunnel = await startTunnel(t, gate.port);
  const c = await connect(tunnel.address.port);
  const reply = readAll(c);
  const payload = 'Action: Ping\r\nActionID: \u00e9\r\r\n\r\n';
  c.end(Buffer.from(payload, 'latin1'));
  t.equal(await reply, `got ${payload.length} bytes: ${payload}`, 'the reply written after our FIN arrived, bytes exact');
  await new Promise((r) => c.on('close', r));
  t.same(tunnel.stats, { accepted: 1, active: 0, failed: 0 }, 'counted and closed');
});

t.test('half-close from the gate: the client can still send', async (t) => {
  let gateGot = '';
  let gateEnded: () => void = () => {};
  const gateDone = new Promise<void>((resolve) => { gateEnded = resolve; });
  const gate = await startGate(t, (s) => {
    s.end('Response: Goodbye\r\n\r\n'); // the gate finishes first
    s.on('data', (d: Buffer) => { gateGot += d.toString('latin1'); });
    s.on('end', () => gateEnded());
  });
  const tunnel = await startTunnel(t, gate.port);
  const c = await connect(tunnel.address.port);
  const got = readAll(c);
  t.equal(await got, 'Response: Goodbye\r\n\r\n', 'the gate\'s end reached the client');
  c.end('late bytes');
  await gateDone;
  t.equal(gateGot, 'late bytes', 'bytes sent after the gate\'s FIN still reached it');
});

t.test('a close of either side reaches the other', async (t) => {
  const gate = await startGate(t, () => {});
  const tunnel = await startTunnel(t, gate.port);
  const a = await connect(tunnel.address.port);
  a.on('error', () => {});
  await new Promise<void>((r) => { const i = setInterval(() => { if (gate.conns.length === 1) { clearInterval(i); r(); } }, 10); });
  const ended = new Promise((r) => a.on('end', r));
  gate.conns[0]!.destroy();
  await ended;
  t.pass('the gate\'s close reached the client as end of stream');
  a.end();
  await new Promise((r) => a.on('close', r));

  const b = await connect(tunnel.address.port);
  await new Promise<void>((r) => { const i = setInterval(() => { if (gate.conns.length === 2) { clearInterval(i); r(); } }, 10); });
  const gateClosed = new Promise((r) => gate.conns[1]!.on('end', r)); // the gate allows half-open: end is what it sees
  gate.conns[1]!.on('error', () => {});
  b.resetAndDestroy();
  await gateClosed;
  t.pass('a reset from the client closed the gate side');
  await new Promise<void>((r) => { const i = setInterval(() => { if (tunnel.stats.active === 0) { clearInterval(i); r(); } }, 10); });
  t.same(tunnel.stats, { accepted: 2, active: 0, failed: 0 }, 'nothing left open');
});

t.test('a gate that refuses: the client is closed and the reason reported', async (t) => {
  const gate = await startGate(t, () => {});
  const port = gate.port;
  await gate.close();
  const failed: string[] = [];
  const tunnel = await startTunnel(t, port, failed);
  const c = await connect(tunnel.address.port);
  c.on('error', () => {});
  await new Promise((r) => c.on('end', r));
  c.destroy();
  t.match(failed, [/^127\.0\.0\.1:\d+: connect ECONNREFUSED/], 'one failure line with the cause');
  t.same(tunnel.stats, { accepted: 1, active: 0, failed: 1 });
});
