// Hostile clients (issue 6 item 4), each against the real proxy with a
// bystander session that keeps logging in, pinging and receiving events: the
// attacker gets Asterisk's reply or is closed, the bystander notices nothing,
// nothing foreign reaches anyone, memory stays bounded, the process lives.

import t from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import v8 from 'node:v8';
import vm from 'node:vm';
import { readFile } from 'node:fs/promises';
import type { Session } from '../../../src/downstream/session.js';
import { startProxy, waitUntil, type ProxyHarness } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { makeTestCerts } from '../../helpers/certs.js';

const users = {
  ops: { secret: 'pw', read: 'all', write: 'all' },
  victim: { secret: 'victim-pw', read: 'call', write: 'call' },
};
const MiB = 1 << 20;

/** A logged-in bystander; check() proves it still works and saw nothing foreign. */
async function bystander(t: Parameters<typeof startProxy>[0], h: ProxyHarness) {
  const b = await TestClient.connect({ port: h.port });
  t.teardown(() => b.close());
  await b.login('ops', 'pw');
  let n = 0;
  return {
    client: b,
    async check(what: string) {
      const id = `by-${++n}`;
      const p = await b.action([['Action', 'Ping']], { id, ms: 5000 });
      t.equal(p.get('Ping'), 'Pong', `${what}: the bystander still gets answers`);
      const mark = b.received.length;
      h.sim.emitEvent('Bystander', 'call', [['N', id]]);
      await b.waitFor((m) => m.get('Event') === 'Bystander' && m.get('N') === id, 5000, mark);
      const foreign = b.received.filter((m) => m.isResponse && m.has('ActionID') && !/^(by-\d+|t[a-z0-9]+)$/.test(m.get('ActionID')!));
      t.same(foreign.map((m) => m.get('ActionID')), [], `${what}: no foreign response reached the bystander`);
      t.notOk(b.closed, `${what}: the bystander is connected`);
    },
  };
}

async function raw(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });
}

// A real collection before each heap reading, so growth means retained memory.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
function heapMiB(): number {
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / MiB;
}

/** The proxy's side of a client connection (test-only access to private state). */
function sessionOf(h: ProxyHarness, c: TestClient): { parser: { buffered: number }; socket: net.Socket; queue: unknown[] } {
  const sessions = (h.proxy as unknown as { sessions: Map<number, Session> }).sessions;
  const s = [...sessions.values()].find((x) => x.conn.remotePort === c.socket.localPort);
  if (!s) throw new Error('no session for that client');
  return s as never;
}

const closedWithin = (s: net.Socket, ms: number) => new Promise<boolean>((resolve) => {
  if (s.destroyed) return resolve(true);
  const timer = setTimeout(() => resolve(false), ms);
  s.once('close', () => { clearTimeout(timer); resolve(true); });
});

t.test('garbage, huge lines, 100,000 headers, header injection', async (t) => {
  const h = await startProxy(t, { users });
  const by = await bystander(t, h);
  const rss0 = process.memoryUsage().rss;

  // Garbage before login: 40 packets of one 900-byte binary line each (every
  // byte but CR, LF and ':'), then one 5,000-byte line. Asterisk answers each
  // packet: no header, so "Missing action in request"; the long line "line too
  // long" (process_message(), get_input(); S3). The socket stays usable.
  const g = await TestClient.connect({ port: h.port });
  t.teardown(() => g.close());
  await g.waitBanner();
  const junkLine = (n: number, seed: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      let v = (i * 7919 + seed * 104729 + 13) & 0xff;
      if (v === 10 || v === 13 || v === 58) v = 0x7f;
      b[i] = v;
    }
    return b;
  };
  const gMark = g.received.length;
  for (let k = 0; k < 40; k++) g.socket.write(Buffer.concat([junkLine(900, k), Buffer.from('\r\n\r\n')]));
  g.socket.write(Buffer.concat([junkLine(5000, 99), Buffer.from('\r\n\r\n')]));
  await waitUntil(() => g.received.length - gMark >= 41 || g.closed, 5000, '41 replies');
  const missing = 'Response: Error\r\nMessage: Missing action in request\r\n\r\n';
  t.same(g.received.slice(gMark).map((m) => m.toString()),
    [...Array.from({ length: 40 }, () => missing), 'Response: Error\r\nMessage: Failed to parse message: line too long\r\n\r\n'],
    'after garbage: exactly one Asterisk error per packet, in order');
  t.equal((await g.login('ops', 'pw')).get('Message'), 'Authentication accepted', 'the garbage session can still log in');
  t.equal((await g.action([['Action', 'Ping']], { id: 'g' })).get('Ping'), 'Pong', 'and works');
  await by.check('garbage');

  // A 10 MB line without a newline, then a real end: Asterisk's answer, memory bounded.
  const l = await TestClient.connect({ port: h.port });
  t.teardown(() => l.close());
  await l.login('ops', 'pw');
  const chunk = Buffer.alloc(MiB, 'A');
  const heap0 = heapMiB();
  l.socket.write('Action: Ping\r\nActionID: huge\r\nX-Big: ');
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => l.socket.write(chunk, () => r()));
  // The line is still open: what the proxy holds now is what it buffers for it.
  const ls = sessionOf(h, l);
  await waitUntil(() => ls.socket.bytesRead >= 10 * MiB, 10000, 'the proxy read the 10 MB');
  t.ok(ls.parser.buffered < 1024, `the parser holds less than one 1 KiB line buffer (${ls.parser.buffered} bytes) after 10 MB without a newline`);
  const heapGrew = heapMiB() - heap0;
  t.ok(heapGrew < 4, `heap after GC grew ${heapGrew.toFixed(1)} MiB for a 10 MB open line (buffering it would take >= 10)`);
  l.socket.write('\r\n\r\n');
  const huge = await l.waitFor((m) => m.get('ActionID') === 'huge', 10000);
  t.equal(huge.get('Message'), 'Failed to parse message: line too long');
  t.equal((await l.action([['Action', 'Ping']], { id: 'after-huge' })).get('Ping'), 'Pong', 'the session goes on');
  await by.check('10 MB line');

  // 100,000 header lines in one packet.
  const m = await TestClient.connect({ port: h.port });
  t.teardown(() => m.close());
  await m.login('ops', 'pw');
  const lines = ['Action: Ping', 'ActionID: many'];
  for (let i = 0; i < 100_000; i++) lines.push(`X-${i}: v`);
  m.write(lines.join('\r\n') + '\r\n\r\n');
  const many = await m.waitFor((x) => x.get('ActionID') === 'many', 10000);
  t.equal(many.get('Message'), 'Too many lines in message or allocation failure');
  t.equal((await m.action([['Action', 'Ping']], { id: 'after-many' })).get('Ping'), 'Pong');
  await by.check('100,000 headers');
  t.comment(`rss +${((process.memoryUsage().rss - rss0) / MiB).toFixed(0)} MiB for 10 MB + 1.3 MB of input`);

  // Header injection: a bare CR is legal inside a value (S2); it must stay one value.
  const inj = await TestClient.connect({ port: h.port });
  t.teardown(() => inj.close());
  await inj.login('ops', 'pw');
  inj.write('Action: CoreStatus\r\nActionID: a\rEvil: 1\r\nX-Probe: inj\r\n\r\n');
  const r = await inj.waitFor((x) => x.isResponse && (x.get('ActionID') ?? '').startsWith('a'), 5000);
  t.equal(r.get('ActionID'), 'a\rEvil: 1', 'the ActionID comes back byte for byte');
  t.notOk(r.has('Evil'), 'no injected header in the reply');
  const up = h.sim.received.find((x) => x.msg.get('X-Probe') === 'inj')!;
  t.match(up.msg.get('ActionID'), /^amg\./, 'upstream sees the proxy ActionID, not the client text');
  t.notOk(up.msg.has('Evil'), 'no injected header upstream');
  await by.check('header injection');
});

t.test('a client that forges proxy ActionIDs cannot steal responses', async (t) => {
  const h = await startProxy(t, { users });
  const by = await bystander(t, h);
  const a = await TestClient.connect({ port: h.port });
  const thief = await TestClient.connect({ port: h.port });
  t.teardown(() => Promise.all([a.close(), thief.close()]));
  await a.login('ops', 'pw');
  await thief.login('ops', 'pw');
  // Proxy ActionIDs are amg.<session base36>.<seq base36>; forge every plausible one.
  const forged: string[] = [];
  for (let s = 1; s <= 6; s++) for (let q = 1; q <= 40; q++) forged.push(`amg.${s.toString(36)}.${q.toString(36)}`);
  const N = 120;
  const [mine, stolen] = await Promise.all([
    Promise.all(Array.from({ length: N }, (_, i) => a.action([['Action', 'CoreStatus']], { id: `a-${i}`, ms: 10000 }))),
    (async () => {
      const out = [];
      for (const id of forged) out.push(await thief.action([['Action', 'CoreStatus']], { id, ms: 10000 }));
      return out;
    })(),
  ]);
  t.equal(mine.length, N);
  const aIds = a.received.filter((m) => m.isResponse && m.has('ActionID')).map((m) => m.get('ActionID')!);
  t.ok(aIds.every((id) => id.startsWith('a-') || id.startsWith('t')), 'A got only its own responses');
  const tIds = thief.received.filter((m) => m.isResponse && m.has('ActionID')).map((m) => m.get('ActionID')!);
  t.equal(tIds.filter((id) => id.startsWith('a-')).length, 0, 'the thief got none of A\'s');
  t.same(stolen.map((m) => m.get('ActionID')), forged, 'the thief got exactly its own forged IDs back, once each, in order');
  await by.check('forged ActionIDs');
});

t.test('10,000 pipelined actions from a client that does not read', async (t) => {
  const h = await startProxy(t, { users });
  const by = await bystander(t, h);
  const rss0 = process.memoryUsage().rss;
  const p = await TestClient.connect({ port: h.port });
  t.teardown(() => p.close());
  await p.login('ops', 'pw');
  p.socket.pause();
  const ps = sessionOf(h, p);
  let burst = '';
  for (let i = 0; i < 10_000; i++) burst += `Action: CoreStatus\r\nActionID: p-${i}\r\n\r\n`;
  p.socket.write(burst);
  // The session stops reading at 2 x maxpendingactions queued requests; one
  // chunk already read (64 KiB, ~1,700 requests) still lands. Without that
  // pause all 10,000 would wait in the queue at once.
  let maxQueue = 0;
  const sampler = setInterval(() => { maxQueue = Math.max(maxQueue, ps.queue.length); }, 2);
  await new Promise((r) => setTimeout(r, 2500));
  clearInterval(sampler);
  t.ok(maxQueue <= 200 + 1800, `parsed requests held at once stay bounded (at most ${maxQueue} of 10,000)`);
  await by.check('pipelined flood');
  p.socket.resume();
  await waitUntil(() => p.closed || p.received.filter((m) => m.isResponse && m.get('ActionID')?.startsWith('p-')).length === 10_000, 20000, 'all answered or dropped');
  const answers = p.received.filter((m) => m.isResponse && m.get('ActionID')?.startsWith('p-'));
  if (p.closed && answers.length < 10_000) {
    t.ok(h.logs().some((l) => l['audit'] === 'slowConsumerDropped'), 'dropped as a slow consumer, and audited');
  } else {
    t.same(answers.map((m) => m.get('ActionID')), Array.from({ length: 10_000 }, (_, i) => `p-${i}`), 'each action answered exactly once, in order');
    const over = answers.filter((m) => m.get('Message') === 'Too many pending actions').length;
    t.ok(over > 0, `the excess was refused at once (${over} x Too many pending actions)`);
  }
  t.comment(`rss +${((process.memoryUsage().rss - rss0) / MiB).toFixed(0)} MiB`);
  await by.check('after the flood');
});

t.test('slowloris, stalled TLS handshakes, a ClientHello flood, brute force from many addresses', async (t) => {
  const certs = await makeTestCerts(t);
  const h = await startProxy(t, {
    users,
    // maxconnectionsperip 100: the 300-socket flood crosses it even when a loaded
    // machine takes longer than the 1 s handshake timeout to open all 300 (authlimitperip
    // is raised to match; test/integration/access/preauth-limit.test.ts covers it).
    general: { authtimeout: 1, authlimit: 400, authlimitperip: 400, maxconnectionsperip: 100, loginfailures: { maxfailures: 5, window: 60, lockout: 60 } },
    tls: { certfile: certs.paths.server, privatekey: certs.paths.serverKey },
  });
  const by = await bystander(t, h);
  const ca = await readFile(certs.paths.ca);

  // Slowloris: one byte every 200 ms before login; authtimeout (1 s) ends it.
  const slow = await raw(h.port);
  t.teardown(() => slow.destroy());
  const text = 'Action: Login\r\nUsername: ops\r\n';
  let i = 0;
  const drip = setInterval(() => { if (!slow.destroyed && i < text.length) slow.write(text[i++]!); }, 200);
  t.teardown(() => clearInterval(drip));
  t.ok(await closedWithin(slow, 3000), 'slowloris closed by authtimeout');
  clearInterval(drip);

  // TLS: a TCP connection that never starts the handshake, one that sends half a ClientHello.
  const silent = await raw(h.tlsPort!);
  const half = await raw(h.tlsPort!);
  t.teardown(() => { silent.destroy(); half.destroy(); });
  half.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
  const [c1, c2] = await Promise.all([closedWithin(silent, 4000), closedWithin(half, 4000)]);
  t.ok(c1 && c2, 'unfinished handshakes are closed after the handshake timeout');

  // A flood of 300 real ClientHellos (captured from node's TLS client) that
  // never finish the handshake, while a real TLS client logs in. The server
  // answers each with its ServerHello and certificate (real handshake work)
  // and waits for a Finished that never comes.
  const hello = await captureClientHello();
  t.equal(hello[0], 0x16, 'a TLS handshake record');
  const flood = await Promise.all(Array.from({ length: 300 }, () => raw(h.tlsPort!).catch(() => undefined)));
  t.teardown(() => { for (const s of flood) s?.destroy(); });
  const answered = new Set<net.Socket>();
  for (const s of flood) {
    s?.on('data', (d: Buffer) => { if (d[0] === 0x16) answered.add(s); });
    s?.write(hello);
  }
  // From another address: the flood's own address is capped by maxconnectionsperip (100).
  const good = await TestClient.connect({ port: h.tlsPort!, localAddress: '127.0.3.1', tls: { ca } });
  t.teardown(() => good.close());
  t.equal((await good.login('ops', 'pw')).get('Message'), 'Authentication accepted', 'a real TLS client gets in during the flood');
  await by.check('ClientHello flood');
  const closed = await Promise.all(flood.map((s) => (s ? closedWithin(s, 5000) : Promise.resolve(true))));
  t.equal(closed.filter((x) => !x).length, 0, 'every flood socket was closed');
  t.ok(answered.size >= 80, `the server did the handshake work for the admitted ones (${answered.size} ServerHellos)`);
  const m = await h.proxy.metrics.text();
  t.match(m, /amigate_downstream_connections_rejected_total\{listener="tls",reason="maxconnectionsperip"\} [1-9]/, 'the per-address cap counted its refusals');

  // Brute force against one user from 30 addresses: the user locks, others are fine.
  const logMark = h.logs().length;
  const bruteForce = Promise.all(Array.from({ length: 30 }, async (_, k) => {
    const c = await TestClient.connect({ port: h.port, localAddress: `127.0.1.${k + 1}` });
    try {
      await c.waitBanner();
      c.write(`Action: Login\r\nUsername: victim\r\nSecret: guess-${k}\r\n\r\n`);
      return (await c.waitFor((m) => m.isResponse, 5000)).get('Message');
    } finally { await c.close(); }
  }));
  // Meanwhile another user logs in from one of the attacking addresses.
  const other = await TestClient.connect({ port: h.port, localAddress: '127.0.1.7' });
  t.teardown(() => other.close());
  t.equal((await other.login('ops', 'pw')).get('Message'), 'Authentication accepted', 'another user logs in during the attack, from an attacking address');
  const tries = await bruteForce;
  t.ok(tries.every((m) => m === 'Authentication failed'), 'every guess fails the same way');
  const failed = h.logs().slice(logMark).filter((l) => l['audit'] === 'loginFailed' && l['user'] === 'victim');
  const sources = new Set(failed.map((l) => String(l['remote']).replace(/:\d+$/, '')));
  t.same([...sources].sort(), Array.from({ length: 30 }, (_, k) => `127.0.1.${k + 1}`).sort(), 'the audit shows the 30 distinct source addresses');
  t.equal(failed.length, 30, 'one loginFailed record per guess');
  const real = await TestClient.connect({ port: h.port, localAddress: '127.0.2.1' });
  t.teardown(() => real.close());
  await real.waitBanner();
  real.write('Action: Login\r\nUsername: victim\r\nSecret: victim-pw\r\n\r\n');
  t.equal((await real.waitFor((m) => m.isResponse, 5000)).get('Message'), 'Authentication failed', 'the attacked user is locked out, even with the right secret');
  t.ok(h.logs().some((l) => l['audit'] === 'loginFailed' && l['reason'] === 'lockout'), 'the operator sees lockout');
  await by.check('brute force');
});

t.test('limits count their refusals by name', async (t) => {
  const h = await startProxy(t, { users, general: { maxpendingactions: 5 } });
  const c = await TestClient.connect({ port: h.port });
  t.teardown(() => c.close());
  await c.login('ops', 'pw');
  let burst = '';
  for (let i = 0; i < 50; i++) burst += `Action: CoreStatus\r\nActionID: b-${i}\r\n\r\n`;
  c.write(burst);
  await c.waitFor((m) => m.get('ActionID') === 'b-49', 5000);
  c.write(`Action: Ping\r\nActionID: long\r\nX: ${'y'.repeat(2000)}\r\n\r\n`);
  c.write('Action: Ping\r\nActionID: lines\r\n' + 'X: 1\r\n'.repeat(200) + '\r\n');
  await c.waitFor((m) => m.get('ActionID') === 'lines', 5000);
  const refused = c.received.filter((m) => m.get('Message') === 'Too many pending actions').length;
  t.ok(refused > 0, `${refused} refused by maxpendingactions`);
  const m = await h.proxy.metrics.text();
  const value = (limit: string) => Number(new RegExp(`amigate_limit_refusals_total\\{limit="${limit}"\\} (\\d+)`).exec(m)?.[1]);
  t.equal(value('maxpendingactions'), refused);
  t.equal(value('line-too-long'), 1);
  t.equal(value('too-many-lines'), 1);
  t.equal(value('upstream-maxpendingactions'), 0);
});

/** The first flight of node's TLS client: a real ClientHello, read by a plain TCP server. */
async function captureClientHello(): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as net.AddressInfo).port;
    const got = new Promise<Buffer>((resolve) => server.once('connection', (s) => s.once('data', (d: Buffer) => { resolve(d); s.destroy(); })));
    const c = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
    c.on('error', () => {});
    const hello = await got;
    c.destroy();
    return hello;
  } finally {
    server.close();
  }
}
