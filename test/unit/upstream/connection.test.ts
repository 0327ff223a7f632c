import t, { type Test } from 'tap';
import pino from 'pino';
import { AmiMessage } from '../../../src/protocol/message.js';
import { md5Key } from '../../../src/protocol/md5-challenge.js';
import { UpstreamConnection, type ConnectionOptions, type ConnectionOwner, isInternalActionId } from '../../../src/upstream/connection.js';
import type { UpstreamConfig, UpstreamRef } from '../../../src/upstream/types.js';
import { AmigateError, UpstreamAuthError, UpstreamClosedError, UpstreamProtocolError } from '../../../src/errors.js';
import { FakeAsterisk, CHALLENGE, SHUTDOWN, waitFor, type FakeOptions } from './fake-asterisk.js';

const silent = pino({ level: 'silent' });

function config(over: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { name: 'pbx1', host: '127.0.0.1', port: 5038, username: 'admin', secret: 'adminpw', connections: 1, keepalive: 0, keepalivemisses: 3, ...over };
}

function harness(t: Test, fakeOpts: FakeOptions = {}, cfg: Partial<UpstreamConfig> = {}, opts: Partial<ConnectionOptions> & { events?: boolean } = {}) {
  const fake = new FakeAsterisk(fakeOpts);
  const messages: AmiMessage[] = [];
  const downs: Array<{ ref: UpstreamRef; err: AmigateError; loggedIn: boolean }> = [];
  let readies = 0;
  let shutdowns = 0;
  const owner: ConnectionOwner = {
    claimEvents: () => opts.events ?? true,
    ready: () => { readies++; },
    message: (_c, m) => { messages.push(m); },
    down: (_c, ref, err, loggedIn) => { downs.push({ ref, err, loggedIn }); },
    shutdown: () => { shutdowns++; },
  };
  const conn = new UpstreamConnection({
    config: config(cfg), id: 0, owner, logger: silent, connector: fake.connector,
    retryDelay: () => 5, bootTimeoutMs: 1000, ...opts,
  });
  t.teardown(() => conn.close());
  return { fake, conn, messages, downs, readies: () => readies, shutdowns: () => shutdowns };
}

t.test('MD5 challenge login with Events: on waits for FullyBooted', async (t) => {
  const h = harness(t);
  const statuses: string[] = [];
  const orig = (h.conn as unknown as { setStatus(s: string): void }).setStatus.bind(h.conn);
  (h.conn as unknown as { setStatus(s: string): void }).setStatus = (s: string) => { statuses.push(s); orig(s); };
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready', 2000, 'ready');
  t.same(statuses, ['connecting', 'banner', 'login', 'booting', 'ready']);
  const [challenge, login] = h.fake.received.map((r) => r.msg);
  t.equal(challenge!.get('Action'), 'Challenge');
  t.equal(challenge!.get('AuthType'), 'MD5');
  t.equal(login!.get('Action'), 'Login');
  t.equal(login!.get('AuthType'), 'MD5');
  t.equal(login!.get('Key'), md5Key(CHALLENGE, 'adminpw'));
  t.notOk(login!.has('Secret'), 'the secret never goes on the wire with MD5');
  t.equal(login!.get('Events'), 'on');
  t.ok(isInternalActionId(login!.get('ActionID')), 'internal ActionID prefix');
  t.equal(h.conn.banner, 'Asterisk Call Manager/11.0.0');
  t.equal(h.readies(), 1);
  t.same(h.messages.map((m) => m.get('Event')), ['FullyBooted'], 'FullyBooted is passed on; Challenge/Login replies are not');
  t.ok(h.conn.events);
  t.equal(h.conn.ref.generation, 1);
});

t.test('Events: off goes ready right after Login, with no FullyBooted wait', async (t) => {
  const h = harness(t, {}, {}, { events: false });
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  t.equal(h.fake.actions('login')[0]!.msg.get('Events'), 'off');
  t.same(h.messages, []);
  t.notOk(h.conn.events);
});

t.test('without FullyBooted (user cannot read system) the event connection is ready after bootTimeoutMs', async (t) => {
  const h = harness(t, { fullyBooted: false }, {}, { bootTimeoutMs: 80 });
  const started = Date.now();
  h.conn.start();
  await waitFor(() => h.conn.status === 'booting');
  await waitFor(() => h.conn.status === 'ready', 2000);
  t.ok(Date.now() - started >= 70, `waited ${Date.now() - started} ms`);
});

t.test('falls back to a plain Secret when Challenge is refused', async (t) => {
  const h = harness(t, { challenge: false });
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  const login = h.fake.actions('login')[0]!.msg;
  t.equal(login.get('Secret'), 'adminpw');
  t.notOk(login.has('Key'));
});

t.test('md5: false logs in with Secret directly', async (t) => {
  const h = harness(t, {}, {}, { md5: false });
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  t.equal(h.fake.actions('challenge').length, 0);
});

t.test('a refused login is an UpstreamAuthError and is retried with backoff', async (t) => {
  const delays: number[] = [];
  const h = harness(t, { secret: 'other' }, {}, { retryDelay: (n) => { delays.push(n); return 5; } });
  h.conn.start();
  await waitFor(() => h.downs.length >= 2, 2000, 'two failures');
  t.type(h.downs[0]!.err, UpstreamAuthError);
  t.equal(h.downs[0]!.err.code, 'AMIGATE_ERR_UPSTREAM_AUTH');
  t.match(h.downs[0]!.err.message, /Authentication failed/);
  t.equal(h.downs[0]!.loggedIn, false, 'nothing could have been written on it');
  t.same(delays.slice(0, 2), [0, 1], 'attempt counter grows');
  t.ok(h.fake.connects >= 2);
  t.equal(h.readies(), 0);
});

t.test('something that is not an AMI banner is a protocol error', async (t) => {
  const h = harness(t, { banner: 'SSH-2.0-OpenSSH_9.6\r\n' });
  h.conn.start();
  await waitFor(() => h.downs.length >= 1);
  t.type(h.downs[0]!.err, UpstreamProtocolError);
  t.equal(h.fake.received.length, 0, 'no Login sent to a stranger');
});

t.test('a connect failure is retried; retryDelay null gives up', async (t) => {
  let calls = 0;
  const h = harness(t, { refuse: true }, {}, { retryDelay: () => (++calls < 3 ? 1 : null) });
  h.conn.start();
  await waitFor(() => h.conn.status === 'closed', 2000, 'gave up');
  t.equal(h.fake.connects, 3);
  t.type(h.downs[0]!.err, UpstreamClosedError);
});

t.test('router actions: pending count, responses passed on, internal replies consumed', async (t) => {
  const h = harness(t, {}, { keepalive: 0.02 }, { events: false });
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  const ref = h.conn.send(new AmiMessage(['Action: CoreStatus', 'ActionID: amg.1.1']));
  t.same(ref, { server: 'pbx1', id: 0, generation: 1 });
  t.ok(Object.isFrozen(ref));
  h.conn.send(new AmiMessage(['Action: Ping', 'ActionID: amg.1.2']));
  t.equal(h.conn.pending, 2);
  await waitFor(() => h.conn.pending === 0);
  await waitFor(() => h.fake.actions('ping').length >= 3, 2000, 'keepalive pings');
  const passed = h.messages.map((m) => m.get('ActionID'));
  t.same(passed, ['amg.1.1', 'amg.1.2'], 'only the router actions come back');
  t.equal(h.messages[1]!.toString(), 'Response: Success\r\nActionID: amg.1.2\r\nPing: Pong\r\nTimestamp: 1795326944.608300\r\n\r\n');
});

t.test('a response naming a later action ends the unanswered ones before it', async (t) => {
  const h = harness(t, {
    onAction: (_s, m) => (m.get('ActionID') === 'amg.1.1' ? null : undefined),
  }, {}, { events: false });
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  h.conn.send(new AmiMessage(['Action: Foo', 'ActionID: amg.1.1']));
  h.conn.send(new AmiMessage(['Action: Bar', 'ActionID: amg.1.2']));
  await waitFor(() => h.messages.length === 1);
  t.equal(h.conn.pending, 0);
});

t.test('maxlinebytes / maxheaders: an oversize packet is passed on cut and counted; the connection stays', async (t) => {
  const h = harness(t, {
    onAction: (_s, m) => m.get('Action') === 'Long'
      ? `Response: Success\r\nActionID: ${m.get('ActionID')}\r\nBig: ${'x'.repeat(5000)}\r\nSmall: y\r\n\r\n`
      : `Response: Success\r\nActionID: ${m.get('ActionID')}\r\n${Array.from({ length: 300 }, (_, i) => `Output: ${i}\r\n`).join('')}\r\n`,
  }, { maxlinebytes: 2048, maxheaders: 200 }, { events: false });
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  h.conn.send(new AmiMessage(['Action: Long', 'ActionID: amg.1.1']));
  h.conn.send(new AmiMessage(['Action: Many', 'ActionID: amg.1.2']));
  await waitFor(() => h.messages.length === 2);
  t.same(h.messages.map((m) => [m.get('ActionID'), m.fault]), [['amg.1.1', 'line-too-long'], ['amg.1.2', 'too-many-lines']]);
  t.notOk(h.messages[0]!.has('Big'), 'the long line is discarded');
  t.equal(h.messages[0]!.get('Small'), 'y', 'the rest of the packet is kept');
  t.equal(h.messages[1]!.lines.length, 200, 'lines beyond maxheaders are discarded');
  t.same(h.conn.oversize, { 'line-too-long': 1, 'too-many-lines': 1 });
  t.equal(h.conn.status, 'ready');
  t.equal(h.conn.pending, 0);
});

t.test('legacy Response: Follows is passed on as one packet (S24)', async (t) => {
  const h = harness(t, {
    onAction: (_s, m) => `Response: Follows\r\nPrivilege: Command\r\nActionID: ${m.get('ActionID')}\r\nline one\r\nline: two\r\n--END COMMAND--\r\n\r\n`,
  }, {}, { events: false });
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  h.conn.send(new AmiMessage(['Action: Command', 'ActionID: amg.1.1', 'Command: core show version']));
  await waitFor(() => h.messages.length === 1);
  t.equal(h.messages[0]!.body, 'line one\r\nline: two\r\n');
  t.equal(h.conn.pending, 0);
});

t.test('keepalive declares a hung Asterisk dead, then reconnects', async (t) => {
  const h = harness(t, {}, { keepalive: 0.03, keepalivemisses: 2 }, { events: false });
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  h.conn.send(new AmiMessage(['Action: CoreStatus', 'ActionID: amg.1.1']));
  await waitFor(() => h.conn.pending === 0);
  h.fake.hang(true);
  h.conn.send(new AmiMessage(['Action: CoreStatus', 'ActionID: amg.1.2']));
  const hungAt = Date.now();
  await waitFor(() => h.downs.length === 1, 2000, 'keepalive death');
  const took = Date.now() - hungAt;
  t.ok(took >= 55 && took < 1000, `declared dead after ${took} ms`);
  t.match(h.downs[0]!.err.message, /keepalive/);
  t.equal(h.downs[0]!.loggedIn, true);
  t.same(h.downs[0]!.ref, { server: 'pbx1', id: 0, generation: 1 });
  await waitFor(() => h.conn.status === 'ready' && h.conn.generation === 2, 2000, 'reconnected');
  t.equal(h.conn.reconnects, 1);
  t.equal(h.conn.pending, 0, 'the lost generation\'s actions are not counted any more');
});

t.test('a synchronous Originate may block the session for its Timeout without a keepalive death', async (t) => {
  const h = harness(t, {
    onAction: (s, m) => {
      if (m.get('Action') !== 'Originate') return undefined;
      setTimeout(() => s.write(`Response: Success\r\nActionID: ${m.get('ActionID')}\r\nMessage: Originate successfully queued\r\n\r\n`), 250);
      s.hung = true; // manager.c handles the session's next action only after this one
      setTimeout(() => { s.hung = false; }, 250);
      return null;
    },
  }, { keepalive: 0.03, keepalivemisses: 2 }, { events: false });
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  h.conn.send(new AmiMessage(['Action: Originate', 'ActionID: amg.1.1', 'Channel: Local/100@test', 'Timeout: 400']));
  await waitFor(() => h.messages.length === 1, 2000, 'originate response');
  await new Promise((r) => setTimeout(r, 100));
  t.equal(h.downs.length, 0, 'still alive');
  t.equal(h.conn.generation, 1);
});

t.test('Event: Shutdown: passed on, owner told, the close is expected and followed by a reconnect', async (t) => {
  const h = harness(t);
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  h.fake.shutdown(5);
  await waitFor(() => h.downs.length === 1);
  t.equal(h.shutdowns(), 1);
  t.ok(h.messages.some((m) => m.toString() === SHUTDOWN));
  t.equal(h.downs[0]!.err.message, 'Asterisk shut down');
  t.notOk(h.conn.usable);
  await waitFor(() => h.conn.status === 'ready' && h.conn.generation === 2, 2000, 'back');
});

t.test('Shutdown without a close: the socket is dropped after shutdownGraceMs', async (t) => {
  const h = harness(t, {}, {}, { shutdownGraceMs: 30 });
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  h.fake.emit(SHUTDOWN);
  await waitFor(() => h.shutdowns() === 1);
  t.notOk(h.conn.usable, 'takes no actions any more');
  await waitFor(() => h.downs.length === 1, 1000);
});

t.test('close(): Logoff, Goodbye, closed, connectionDown once, no reconnect', async (t) => {
  const h = harness(t, {}, { keepalive: 0.02 });
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  await h.conn.close();
  t.equal(h.conn.status, 'closed');
  t.equal(h.fake.actions('logoff').length, 1);
  t.equal(h.downs.length, 1);
  t.equal(h.downs[0]!.loggedIn, true);
  const connects = h.fake.connects;
  const pings = h.fake.actions('ping').length;
  await new Promise((r) => setTimeout(r, 60));
  t.equal(h.fake.connects, connects);
  t.equal(h.fake.actions('ping').length, pings, 'keepalive stopped');
  await h.conn.close();
  t.pass('close() twice is fine');
});

t.test('close() while waiting to reconnect stops the loop', async (t) => {
  const h = harness(t, { refuse: true }, {}, { retryDelay: () => 50 });
  h.conn.start();
  await waitFor(() => h.conn.status === 'waiting');
  await h.conn.close();
  t.equal(h.conn.status, 'closed');
  const n = h.fake.connects;
  await new Promise((r) => setTimeout(r, 80));
  t.equal(h.fake.connects, n);
});

t.test('close() while logging in destroys the attempt', async (t) => {
  const h = harness(t, { onAction: () => null });
  const fake = h.fake;
  // Never answer the Challenge: hold the connection in `login`.
  (fake.opts as FakeOptions).challenge = true;
  const orig = fake.connector;
  let client: import('node:stream').Duplex | undefined;
  (h.conn as unknown as { connector: typeof orig }).connector = async (c, o) => { client = await orig(c, o); fake.hang(true); return client; };
  h.conn.start();
  await waitFor(() => h.conn.status === 'login');
  await h.conn.close();
  t.equal(h.conn.status, 'closed');
  t.ok(client!.destroyed);
  t.equal(h.downs[0]?.loggedIn, false);
});

t.test('no successful login within loginTimeoutMs: retried', async (t) => {
  const h = harness(t, {}, {}, { loginTimeoutMs: 40 });
  const fake = h.fake;
  const orig = fake.connector;
  (h.conn as unknown as { connector: typeof orig }).connector = async (c, o) => { const s = await orig(c, o); fake.hang(true); return s; };
  h.conn.start();
  await waitFor(() => h.downs.length >= 1, 1000);
  t.match(h.downs[0]!.err.message, /no successful login within 40 ms/);
});

t.test('internal actions time out and are failed on loss', async (t) => {
  const h = harness(t, { onAction: () => null }, {}, { events: false });
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  const results: string[] = [];
  h.conn.internal([['Action', 'Whatever']], (_r, err) => results.push(err ? err.message : 'reply'), 20);
  h.conn.internal([['Action', 'Whatever']], (_r, err) => results.push(err ? `lost: ${err.message}` : 'reply'));
  await waitFor(() => results.length === 1);
  t.match(results[0], /no reply to Whatever within 20 ms/);
  h.fake.drop();
  await waitFor(() => results.length === 2);
  t.match(results[1], /^lost: /);
  h.conn.internal([['Action', 'Ping']], (_r, err) => results.push(err ? 'not open' : 'reply'));
  t.equal(results[2], 'not open');
});

t.test('a secret that would break framing never reaches the wire', async (t) => {
  const h = harness(t, {}, { secret: 'x\r\nAction: Originate' }, { md5: false });
  h.conn.start();
  await waitFor(() => h.downs.length >= 1);
  t.equal(h.downs[0]!.err.code, 'AMIGATE_ERR_HEADER_INJECTION');
  t.equal(h.fake.actions('login').length, 0);
  t.equal(h.fake.actions('originate').length, 0);
});

t.test('actions sent from separate callbacks of one event-loop turn leave in one uncork (one write) right after them, with no timer', async (t) => {
  const h = harness(t, {}, {}, { events: false });
  h.conn.start();
  await waitFor(() => h.conn.status === 'ready');
  const stream = (h.conn as unknown as { stream: { uncork(): void; writableCorked: number } }).stream;
  let uncorks = 0;
  const orig = stream.uncork.bind(stream);
  stream.uncork = () => { uncorks++; orig(); };
  // Three client sockets readable in one turn are three callbacks, each followed
  // by the nextTick queue: immediates model that (nextTick runs between them).
  await new Promise<void>((resolve) => {
    for (let i = 1; i <= 3; i++) setImmediate(() => { h.conn.send(new AmiMessage(['Action: Status', `ActionID: amg.1.${i}`])); });
    setImmediate(() => {
      t.equal(stream.writableCorked, 1, 'still corked after the last callback of the turn');
      resolve();
    });
  });
  await new Promise((r) => setImmediate(r));
  t.equal(uncorks, 1, 'one uncork for the three actions');
  t.equal(stream.writableCorked, 0);
  await waitFor(() => h.fake.actions('status').length === 3);
  t.same(h.fake.actions('status').map((r) => r.msg.get('ActionID')), ['amg.1.1', 'amg.1.2', 'amg.1.3'], 'in order');
});
