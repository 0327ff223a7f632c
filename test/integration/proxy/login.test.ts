// Login through the proxy: plain and MD5, Asterisk's exact failure behaviour,
// pre-login rules, Logoff, and the relayed banner (S1, S7-S10).

import t from 'tap';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const users = {
  alice: { secret: 'alicepw', read: 'all', write: 'all' },
  bob: { secret: 'bobpw', read: 'call', write: 'call', allowmultiplelogin: false },
};

t.test('login flows', async (t) => {
  const h = await startProxy(t, { users });
  const connect = async () => {
    const c = await TestClient.connect({ port: h.port });
    t.teardown(() => c.close());
    return c;
  };

  await t.test('banner is the upstream one, plain login, Already authenticated, Goodbye', async (t) => {
    const c = await connect();
    t.equal(await c.waitBanner(), 'Asterisk Call Manager/11.0.0');
    const r = await c.login('alice', 'alicepw');
    t.equal(r.toString(), `Response: Success\r\nActionID: ${r.get('ActionID')}\r\nMessage: Authentication accepted\r\n\r\n`);
    const booted = await c.waitFor((m) => m.get('Event') === 'FullyBooted', 5000, 0);
    t.equal(booted.get('Privilege'), 'system,all');
    const again = await c.action([['Action', 'Login'], ['Username', 'alice'], ['Secret', 'alicepw']], { id: 'l2' });
    t.equal(again.toString(), 'Response: Success\r\nActionID: l2\r\nMessage: Already authenticated\r\n\r\n');
    const bye = await c.action([['Action', 'Logoff']], { id: 'bye' });
    t.equal(bye.toString(), 'Response: Goodbye\r\nActionID: bye\r\nMessage: Thanks for all the fish.\r\n\r\n');
    await c.closedPromise;
  });

  await t.test('login without ActionID gets a reply without one; Events: off suppresses FullyBooted', async (t) => {
    const c = await connect();
    await c.waitBanner();
    c.write('Action: Login\r\nUsername: alice\r\nSecret: alicepw\r\nEvents: off\r\n\r\n');
    const r = await c.waitFor((m) => m.isResponse);
    t.equal(r.toString(), 'Response: Success\r\nMessage: Authentication accepted\r\n\r\n');
    const p = await c.action([['Action', 'Ping']], { id: 'p' });
    t.equal(p.get('Ping'), 'Pong');
    t.equal(c.events('FullyBooted').length, 0);
  });

  await t.test('MD5 challenge login', async (t) => {
    const c = await connect();
    const r = await c.loginMd5('alice', 'alicepw');
    t.equal(r.get('Message'), 'Authentication accepted');
  });

  await t.test('Challenge without AuthType', async (t) => {
    const c = await connect();
    await c.waitBanner();
    const r = await c.action([['Action', 'Challenge']], { id: 'ch-0' });
    t.equal(r.toString(), 'Response: Error\r\nActionID: ch-0\r\nMessage: Must specify AuthType\r\n\r\n');
  });

  for (const [name, user, secret] of [['bad secret', 'alice', 'nope'], ['unknown user', 'mallory', 'x'], ['no username', '', '']] as const) {
    await t.test(`${name}: 1 s delay, Authentication failed, close`, async (t) => {
      const c = await connect();
      await c.waitBanner();
      const started = Date.now();
      c.write(`Action: Login\r\nActionID: f1\r\nUsername: ${user}\r\nSecret: ${secret}\r\n\r\n`);
      const r = await c.waitFor((m) => m.isResponse, 4000);
      t.ok(Date.now() - started >= 950, 'delayed about 1 s');
      t.equal(r.toString(), 'Response: Error\r\nActionID: f1\r\nMessage: Authentication failed\r\n\r\n');
      await c.closedPromise;
      t.ok(c.closed);
    });
  }

  await t.test('actions before login get Permission denied and the socket stays open', async (t) => {
    const c = await connect();
    await c.waitBanner();
    const r = await c.action([['Action', 'Ping']], { id: 'p0' });
    t.equal(r.toString(), 'Response: Error\r\nActionID: p0\r\nMessage: Permission denied\r\n\r\n');
    const r2 = await c.action([['Action', 'CoreShowChannels']], { id: 'p1' });
    t.equal(r2.get('Message'), 'Permission denied');
    t.equal(h.sim.received.filter((x) => x.action.toLowerCase() === 'coreshowchannels').length, 0, 'nothing reached Asterisk');
    const ok = await c.login('alice', 'alicepw');
    t.equal(ok.get('Message'), 'Authentication accepted');
  });

  await t.test('MD5 with a wrong key fails like a bad secret', async (t) => {
    const c = await connect();
    await c.waitBanner();
    await c.action([['Action', 'Challenge'], ['AuthType', 'md5']]);
    c.write('Action: Login\r\nAuthType: MD5\r\nUsername: alice\r\nKey: 00000000000000000000000000000000\r\n\r\n');
    const r = await c.waitFor((m) => m.isResponse, 4000);
    t.equal(r.get('Message'), 'Authentication failed');
    await c.closedPromise;
  });

  await t.test('allowmultiplelogin: no gives Login Already In Use', async (t) => {
    const a = await connect();
    t.equal((await a.login('bob', 'bobpw')).get('Message'), 'Authentication accepted');
    const b = await connect();
    await b.waitBanner();
    b.write('Action: Login\r\nUsername: bob\r\nSecret: bobpw\r\n\r\n');
    const r = await b.waitFor((m) => m.isResponse, 4000);
    t.equal(r.toString(), 'Response: Error\r\nMessage: Login Already In Use\r\n\r\n');
    await b.closedPromise;
  });

  await t.test('parse errors and missing action are answered as Asterisk does', async (t) => {
    const c = await connect();
    await c.login('alice', 'alicepw');
    c.write('\r\n');
    t.equal((await c.waitFor((m) => m.isResponse)).toString(), 'Response: Error\r\nMessage: Missing action in request\r\n\r\n');
    c.write(`Action: Ping\r\nActionID: long\r\nX: ${'D'.repeat(5000)}\r\n\r\n`);
    t.equal((await c.waitFor((m) => m.get('ActionID') === 'long')).get('Message'), 'Failed to parse message: line too long');
    c.write('Action: Ping\r\nActionID: many\r\n' + Array.from({ length: 200 }, (_, i) => `X-${i}: v\r\n`).join('') + '\r\n');
    t.equal((await c.waitFor((m) => m.get('ActionID') === 'many')).get('Message'), 'Too many lines in message or allocation failure');
    const p = await c.action([['Action', 'Ping']], { id: 'after' });
    t.equal(p.get('Ping'), 'Pong');
  });
});

t.test('the banner is relayed from the upstream, not a default', async (t) => {
  // Asterisk 13's AMI version, so a proxy that printed its own default
  // (11.0.0, what the sim sends unless told otherwise) would fail here.
  const h = await startProxy(t, { users, sim: { amiVersion: '2.10.6' } });
  const c = await TestClient.connect({ port: h.port });
  t.teardown(() => c.close());
  t.equal(await c.waitBanner(), 'Asterisk Call Manager/2.10.6');
  t.equal((await c.login('alice', 'alicepw')).get('Message'), 'Authentication accepted');
});
