// One scripted day in the life of amigate (issue 5 items 1-3): TLS with a
// client certificate, plain and MD5 logins, a failed login, allowed, denied
// and failed actions, an Originate carrying a sensitive Variable, a slow
// consumer, an upstream outage. Then: every audit record type is there with
// its documented fields, not one secret appears anywhere in the log output
// (at debug level), and /metrics moved as expected.

import t from 'tap';
import { httpGet as get } from '../../helpers/http-get.js';
import { readFile } from 'node:fs/promises';
import { startProxy, waitUntil, UPSTREAM_USER } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { makeTestCerts } from '../../helpers/certs.js';
import { md5Key } from '../../../src/protocol/md5-challenge.js';

const SECRETS = {
  alice: 'alice-Secret-4711',
  md5: 'md5-Secret-0815',
  wrong: 'wrong-Secret-9999',
  variable: 'Var-Password-1234',
};


/** The value of one sample line, e.g. metric('amigate_logins_total{listener="plain",result="success"}'). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

/** A counter summed over the two listeners of this test (its sessions use both). */
function both(text: string, metric: string, labels: string): number {
  const values = ['plain', 'tls'].map((l) => sample(text, `${metric}{listener="${l}",${labels}}`)).filter((v) => !Number.isNaN(v));
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0);
}

t.test('audit records, redaction and metrics after a scripted session', async (t) => {
  const certs = await makeTestCerts(t);
  const h = await startProxy(t, {
    users: {
      alice: { secret: SECRETS.alice, read: 'system,reporting', write: 'system,call,originate,reporting' },
      md5user: { secret: SECRETS.md5, read: 'system' }, // not the flood's class: it must stay
      slow: { secret: SECRETS.alice, read: 'all', writetimeout: 100 },
      lazy: { secret: SECRETS.alice, read: 'call', writetimeout: 60000 },
    },
    general: { maxqueuebytes: 65536 },
    tls: { certfile: certs.paths.server, privatekey: certs.paths.serverKey, cafile: certs.paths.ca, verifyclient: true },
    admin: true,
    logSensitive: ['^Variable: .*PASSWORD'],
  });
  const ca = await readFile(certs.paths.ca);

  // TLS with a client certificate, plain login, actions.
  const a = await TestClient.connect({ port: h.tlsPort!, tls: { ca, cert: await readFile(certs.paths.client), key: await readFile(certs.paths.clientKey) } });
  t.teardown(() => a.close());
  t.equal((await a.login('alice', SECRETS.alice)).get('Message'), 'Authentication accepted');
  await a.action([['Action', 'Ping']], { id: 'p1' });
  await a.list([['Action', 'CoreShowChannels']], 'csc');
  const denied = await a.action([['Action', 'UpdateConfig']], { id: 'u1' });
  t.equal(denied.get('Message'), 'Permission denied');
  await a.action([['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Context', 'test'], ['Exten', '100'], ['Priority', '1'],
    ['Async', 'true'], ['Variable', `DB_PASSWORD=${SECRETS.variable}`], ['Variable', 'CALLERID=42']], { id: 'o1' });
  await a.action([['Action', 'Hangup'], ['Channel', 'Local/none@test-0;1']], { id: 'h1' });

  // MD5 login, and a failed login.
  const b = await TestClient.connect({ port: h.port });
  t.teardown(() => b.close());
  t.equal((await b.loginMd5('md5user', SECRETS.md5)).get('Message'), 'Authentication accepted');
  const clientChallenge = b.received.find((m) => m.has('Challenge'))!.get('Challenge')!;
  const c = await TestClient.connect({ port: h.port });
  await c.waitBanner();
  c.write(`Action: Login\r\nUsername: alice\r\nSecret: ${SECRETS.wrong}\r\n\r\n`);
  await c.closedPromise;

  // A slow consumer: it stops reading while events pour in.
  const s = await TestClient.connect({ port: h.port });
  t.teardown(() => s.close());
  await s.login('slow', SECRETS.alice);
  s.socket.pause();
  const big = 'x'.repeat(900);
  const flood = setInterval(() => { for (let i = 0; i < 200; i++) h.sim.emitEvent('Flood', 'call', [['Data', big]]); }, 5);
  t.teardown(() => clearInterval(flood));
  await waitUntil(() => h.logs().some((l) => l['audit'] === 'slowConsumerDropped'), 5000, 'slow consumer dropped');
  clearInterval(flood);

  // A live queue: a client that stops reading, fed in bursts smaller than
  // maxqueuebytes until its socket queue is non-empty (the kernel's buffers
  // absorb the first megabytes). The gauge shows it while the session lives.
  const lazy = await TestClient.connect({ port: h.port });
  t.teardown(() => lazy.close());
  await lazy.login('lazy', SECRETS.alice);
  lazy.socket.pause();
  let queueMax = 0;
  for (let burst = 0; burst < 2000 && queueMax === 0; burst++) {
    for (let i = 0; i < 40; i++) h.sim.emitEvent('Trickle', 'call', [['Data', big]]);
    await new Promise((r) => setTimeout(r, 2));
    queueMax = sample((await get(h.proxy.adminPort!, '/metrics')).body, 'amigate_session_queue_bytes_max');
  }
  t.ok(queueMax > 0 && queueMax < 65536, `amigate_session_queue_bytes_max shows the live queue (${queueMax} bytes)`);
  t.notOk(h.logs().some((l) => l['audit'] === 'sessionClosed' && l['user'] === 'lazy'), 'while the session is open');
  // The client goes away with events still queued: each is counted as session-closed.
  lazy.socket.destroy();
  await waitUntil(() => h.logs().some((l) => l['audit'] === 'sessionClosed' && l['user'] === 'lazy'), 3000, 'lazy closed');
  const afterLazy = (await get(h.proxy.adminPort!, '/metrics')).body;
  t.ok(sample(afterLazy, 'amigate_events_dropped_total{reason="session-closed"}') >= 1, 'events queued for a closed session are counted');
  t.equal(sample(afterLazy, 'amigate_session_queue_bytes_max'), 0, 'the gauge falls when the queue is gone');

  // An upstream outage and recovery.
  h.sim.dropConnections();
  await waitUntil(() => h.logs().some((l) => l['audit'] === 'upstreamDown'), 5000, 'upstream down');
  await waitUntil(() => h.logs().filter((l) => l['audit'] === 'upstreamUp').length >= 2, 10000, 'upstream back');

  // Logoff ends a session with a cause.
  await b.action([['Action', 'Logoff']], { id: 'bye' });
  await b.closedPromise;
  await waitUntil(() => h.logs().some((l) => l['audit'] === 'sessionClosed' && l['user'] === 'md5user'), 3000, 'md5user closed');

  // --- audit records -------------------------------------------------------------
  const logs = h.logs();
  const of = (type: string) => logs.filter((l) => l['audit'] === type);
  for (const type of ['connectionOpened', 'tlsHandshake', 'loginSucceeded', 'loginFailed', 'action', 'slowConsumerDropped', 'sessionClosed', 'upstreamUp', 'upstreamDown']) {
    t.ok(of(type).length > 0, `a ${type} record`);
    for (const r of of(type)) t.equal(r['stream'], 'audit', `${type} is in the audit stream`);
  }
  const hs = of('tlsHandshake')[0]!;
  const tlsf = hs['tls'] as Record<string, unknown>;
  t.match(tlsf['protocol'], /^TLSv1\.[23]$/);
  t.type(tlsf['cipher'], 'string');
  t.match(tlsf['subject'], /CN=test-client/, 'client certificate subject');
  const ok = of('loginSucceeded');
  t.same(ok.map((r) => r['user']).sort(), ['alice', 'lazy', 'md5user', 'slow']);
  for (const r of ok) { t.type(r['session'], 'number'); t.match(r['remote'], /^127\.0\.0\.1:\d+$/); t.type(r['listener'], 'string'); }
  const failed = of('loginFailed');
  t.equal(failed.length, 1);
  t.equal(failed[0]!['reason'], 'bad-secret', 'the operator sees why');
  t.equal(failed[0]!['user'], 'alice');
  const actions = of('action');
  const byId = (id: string) => actions.find((r) => r['actionId'] === id || (r['action'] !== undefined && JSON.stringify(r).includes(`"${id}"`)));
  const csc = actions.find((r) => r['action'] === 'CoreShowChannels')!;
  t.equal(csc['result'], 'success');
  t.equal(csc['user'], 'alice');
  t.equal(csc['upstream'], 'pbx1');
  t.type(csc['latencyMs'], 'number');
  const upd = actions.find((r) => r['action'] === 'UpdateConfig')!;
  t.equal(upd['result'], 'denied');
  t.equal(upd['rule'], 'classes');
  const hang = actions.find((r) => r['action'] === 'Hangup')!;
  t.equal(hang['result'], 'error', 'an Asterisk error is an error');
  t.ok(byId('o1') ?? actions.find((r) => r['action'] === 'Originate'), 'Originate audited');
  // Actions amigate answers itself are audited too, without an upstream.
  const ping = actions.find((r) => r['actionId'] === 'p1')!;
  t.match(ping, { action: 'Ping', result: 'success', user: 'alice', stream: 'audit' }, 'Ping has an audit record');
  t.notOk('upstream' in ping, 'answered by amigate: no upstream');
  t.type(ping['latencyMs'], 'number');
  const challenge = actions.find((r) => r['action'] === 'Challenge')!;
  t.match(challenge, { result: 'success', headers: { AuthType: 'MD5' } }, 'the MD5 Challenge before login is recorded');
  t.notOk('user' in challenge, 'before login: no user');
  const closed = of('sessionClosed');
  t.ok(closed.some((r) => r['cause'] === 'logoff' || r['cause'] === 'Logoff' || /logoff/i.test(String(r['cause']))), 'Logoff is the cause');
  t.ok(closed.some((r) => /slow/.test(String(r['cause']))), 'slow consumer is the cause');
  for (const r of closed) t.type(r['durationMs'], 'number');
  t.equal(of('upstreamDown')[0]!['upstream'], 'pbx1');
  t.equal(of('upstreamDown')[0]!['reason'], 'upstream connection closed by Asterisk', 'the cause of the outage');

  // --- no secret anywhere ----------------------------------------------------------
  const raw = h.rawLogs();
  t.ok(raw.length > 1000, 'the log is not empty');
  for (const [name, secret] of [...Object.entries(SECRETS), ['upstream', UPSTREAM_USER.secret]] as const) {
    t.notOk(raw.includes(secret), `no ${name} secret in the log`);
  }
  // The MD5 keys actually sent: the client's to amigate, and amigate's to the
  // upstream (it logs in with a Challenge first), on every (re)connection.
  const keys = [md5Key(clientChallenge, SECRETS.md5),
    ...h.sim.received.filter((r) => r.action.toLowerCase() === 'login' && r.msg.has('Key')).map((r) => r.msg.get('Key')!)];
  t.ok(keys.length >= 3, `the client's key and amigate's upstream keys (${keys.length})`);
  for (const key of keys) {
    t.match(key, /^[0-9a-f]{32}$/);
    t.notOk(raw.includes(key) || raw.toLowerCase().includes(key), `MD5 key ${key.slice(0, 6)}… is not in the log`);
  }
  t.ok(h.logs().some((l) => l['audit'] === 'loginSucceeded' && l['user'] === 'md5user'), 'the MD5 login itself was logged');
  t.match(raw, /CALLERID=42/, 'a harmless Variable is kept');

  // --- metrics ---------------------------------------------------------------------
  const health = await get(h.proxy.adminPort!, '/healthz');
  t.equal(health.status, 200);
  const ready = await get(h.proxy.adminPort!, '/readyz');
  t.equal(ready.status, 200, 'ready: the upstream is logged in again');
  const m = (await get(h.proxy.adminPort!, '/metrics')).body;
  t.equal(both(m, 'amigate_logins_total', 'result="success"'), 4);
  t.equal(both(m, 'amigate_logins_total', 'result="bad-secret"'), 1);
  t.equal(both(m, 'amigate_actions_total', 'action="CoreShowChannels",result="success"'), 1);
  t.equal(both(m, 'amigate_actions_total', 'action="UpdateConfig",result="denied"'), 1);
  t.equal(both(m, 'amigate_actions_total', 'action="Hangup",result="error"'), 1);
  t.equal(both(m, 'amigate_actions_total', 'action="Ping",result="success"'), 1, 'Ping is counted');
  t.equal(both(m, 'amigate_actions_total', 'action="Challenge",result="success"'), 1, 'Challenge is counted');
  t.ok(sample(m, 'amigate_downstream_connections_total{listener="plain"}') >= 3);
  t.equal(sample(m, 'amigate_downstream_connections_total{listener="tls"}'), 1);
  t.ok(sample(m, 'amigate_events_received_total{upstream="pbx1"}') >= 200, 'events received, by upstream');
  t.ok(sample(m, 'amigate_events_delivered_total') > 0, 'events delivered');
  t.equal(sample(m, 'amigate_slow_consumers_dropped_total'), 1);
  // One count per event lost, not one per dropped client: the slow client had
  // tens of ~1 KiB events queued behind its 64 KiB limit when it was dropped.
  const slowDrops = sample(m, 'amigate_events_dropped_total{reason="queue-full"}') + sample(m, 'amigate_events_dropped_total{reason="timeout"}');
  t.ok(slowDrops >= 10, `events dropped with the slow consumer, each counted (${slowDrops})`);
  t.ok(sample(m, 'amigate_session_queue_high_water_bytes_count') >= 3, 'queue high water observed per closed session');
  t.ok(sample(m, 'amigate_action_upstream_seconds_count') >= 3, 'upstream latency histogram');
  t.ok(sample(m, 'amigate_action_proxy_seconds_count') >= 4, 'proxy latency histogram');
  t.ok(sample(m, 'amigate_upstream_reconnects_total{upstream="pbx1"}') >= 1, 'reconnects counted');
  t.match(m, /process_cpu_user_seconds_total/, 'process metrics');
  t.notOk(m.includes(SECRETS.alice) || m.includes(UPSTREAM_USER.secret), 'no secret in metrics');
  t.notOk(/amg\.[0-9a-z]+\.[0-9a-z]+/.test(m), 'no ActionID in a label');
});
