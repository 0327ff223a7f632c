// Unknown actions get Asterisk's own answer through amigate (issue 11 item 4).
// Clients probe for modules by the exact text (PJSIPShowEndpoints vs SIPpeers):
// process_message() answers `Invalid/unknown command: X. Use Action:
// ListCommands to show available commands.` before any permission check, so
// even a user without write classes gets it. amigate decides from each
// upstream's own ListCommands: pbx1 here has no app_queue (its QueueStatus and
// QueueSummary are not registered), pbx2 has; neither has chan_pjsip.

import t from 'tap';
import { startProxy, UPSTREAM_USER } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const unknown = (name: string, id?: string) =>
  `Response: Error\r\n${id !== undefined ? `ActionID: ${id}\r\n` : ''}Message: Invalid/unknown command: ${name}. Use Action: ListCommands to show available commands.\r\n\r\n`;

t.test('actions no reachable upstream lists get Asterisk\'s answer; known ones go where they exist', async (t) => {
  const h = await startProxy(t, {
    users: {
      admin: { secret: 'pw', read: 'all', write: 'all' },
      nobody: { secret: 'pw', read: 'call' },
      only1: { secret: 'pw', read: 'all', write: 'all', upstreams: ['pbx1'] },
      // An action named in actions.allow goes to Asterisk even when no list has it.
      escape: { secret: 'pw', read: 'all', write: 'all', upstreams: ['pbx1'], actions: { allow: ['QueueStatus'] } },
    },
    moreUpstreams: 1,
    simOverrides: [{ withoutActions: ['QueueStatus', 'QueueSummary'] }, {}],
    upstream: { keepalive: 0 },
  });
  const c: Record<string, TestClient> = {};
  for (const u of ['admin', 'nobody', 'only1', 'escape']) {
    c[u] = await TestClient.connect({ port: h.port });
    t.teardown(() => c[u]!.close());
    t.equal((await c[u]!.login(u, 'pw')).get('Message'), 'Authentication accepted');
  }
  const reached = (action: string) => h.sims.map((s) => s.received.filter((r) => r.action.toLowerCase() === action.toLowerCase()).length);

  t.equal((await c['admin']!.action([['Action', 'FooBarBaz']], { id: 'u1' })).toString(), unknown('FooBarBaz', 'u1'), 'FooBarBaz: Asterisk\'s bytes');
  t.equal((await c['admin']!.action([['Action', 'PJSIPShowEndpoints']], { noId: true })).toString(), unknown('PJSIPShowEndpoints'), 'no ActionID: none echoed');
  t.equal((await c['nobody']!.action([['Action', 'pjsipSHOWendpoints']], { id: 'u2' })).toString(), unknown('pjsipSHOWendpoints', 'u2'), 'a user with no write class: still unknown, in the client\'s spelling');
  t.equal((await c['nobody']!.action([['Action', 'Originate'], ['Channel', 'Local/1@test']], { id: 'u3' })).toString(), 'Response: Error\r\nActionID: u3\r\nMessage: Permission denied\r\n\r\n', 'an action that exists but is not permitted: Permission denied');
  t.same([reached('FooBarBaz'), reached('PJSIPShowEndpoints')], [[0, 0], [0, 0]], 'amigate answered those itself');

  // A long name: the message is cut at 511 bytes (char buf[512]), exactly as the simulated Asterisk cuts it.
  const long = 'X'.repeat(600);
  const viaProxy = (await c['admin']!.action([['Action', long]], { id: 'u4' })).toString();
  const direct = await TestClient.connect({ port: h.sim.port });
  t.teardown(() => direct.close());
  await direct.login(UPSTREAM_USER.name, UPSTREAM_USER.secret);
  t.equal(viaProxy, (await direct.action([['Action', long]], { id: 'u4' })).toString(), 'same bytes as Asterisk (the simulator) writes');
  t.equal(viaProxy.length, 'Response: Error\r\nActionID: u4\r\nMessage: '.length + 511 + 4);

  // QueueStatus exists on pbx2 only: it goes there, even though pbx1 comes first.
  for (let i = 0; i < 3; i++) {
    const { response, complete } = await c['admin']!.list([['Action', 'QueueStatus']], `q${i}`);
    t.equal(response.get('Response'), 'Success', `QueueStatus ${i}: answered`);
    t.equal(complete.get('Event'), 'QueueStatusComplete');
  }
  t.same(reached('QueueStatus'), [0, 3], 'every QueueStatus went to pbx2');
  t.equal((await c['only1']!.action([['Action', 'QueueStatus']], { id: 'q9' })).toString(), unknown('QueueStatus', 'q9'), 'a user of pbx1 alone: unknown');
  t.equal((await c['admin']!.action([['Action', 'QueueStatus'], ['Server', 'pbx1']], { id: 'q8' })).toString(), unknown('QueueStatus', 'q8'), 'Server: pbx1 narrows to pbx1: unknown');
  t.same(reached('QueueStatus'), [0, 3], 'neither reached an upstream');

  // actions.allow forwards it; pbx1 answers for itself, with the same bytes amigate wrote above.
  t.equal((await c['escape']!.action([['Action', 'QueueStatus']], { id: 'q9' })).toString(), unknown('QueueStatus', 'q9'), 'forwarded: Asterisk\'s own answer is the same');
  t.same(reached('QueueStatus'), [1, 3], 'that one reached pbx1');

  const audit = h.logs().filter((l) => l['audit'] === 'action' && l['rule'] === 'actions.unknown');
  t.equal(audit.length, 6, 'each answered unknown action is audited as denied by actions.unknown');
  t.ok(audit.every((l) => l['result'] === 'denied'));
});

t.test('no ListCommands from the upstream: module actions fail closed, core actions work', async (t) => {
  // An upstream login whose ListCommands fails (here: the server does not know it):
  // amigate cannot tell a module action from an unknown one.
  const h = await startProxy(t, {
    users: {
      admin: { secret: 'pw', read: 'all', write: 'all' },
      named: { secret: 'pw', read: 'all', write: 'all', actions: { allow: ['QueueAdd', 'CoreStatus'] } },
    },
    sim: { withoutActions: ['ListCommands'] },
    upstream: { keepalive: 0 },
  });
  const admin = await TestClient.connect({ port: h.port });
  t.teardown(() => admin.close());
  await admin.login('admin', 'pw');
  for (const name of ['QueueAdd', 'FooBarBaz']) {
    t.equal((await admin.action([['Action', name]], { id: 'n1' })).toString(),
      `Response: Error\r\nActionID: n1\r\nMessage: Permission denied: action list not loaded (${name})\r\n\r\n`, `${name}: refused, not called unknown`);
  }
  t.equal((await admin.action([['Action', 'CoreStatus']])).get('Response'), 'Success', 'a manager.c action needs no list');
  const named = await TestClient.connect({ port: h.port });
  t.teardown(() => named.close());
  await named.login('named', 'pw');
  const r = await named.action([['Action', 'QueueAdd']], { id: 'n2' });
  t.equal(r.get('ActionID'), 'n2');
  t.equal(h.sim.received.filter((x) => x.action === 'QueueAdd').length, 1, 'named in actions.allow: sent to Asterisk, which answers');
  t.equal(h.sim.received.filter((x) => x.action === 'FooBarBaz').length, 0);
});
