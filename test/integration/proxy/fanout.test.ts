// Event fan-out through the proxy: read classes all-of per user, Events masks,
// per-user and per-session filters, and a stalled client dropped while the
// others keep their rate.

import t from 'tap';
import { startProxy, waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

t.test('classes, masks and filters per client', async (t) => {
  const h = await startProxy(t, {
    users: {
      admin: { secret: 'a', read: 'all', write: 'all' },
      caller: { secret: 'c', read: 'call', write: '' },
      filtered: { secret: 'f', read: 'all', write: 'system', eventfilter: ['Event: Hangup'] },
    },
  });
  const mk = async (u: string, s: string, extra: Array<[string, string]> = []) => {
    const c = await TestClient.connect({ port: h.port });
    t.teardown(() => c.close());
    await c.login(u, s, extra);
    return c;
  };
  const admin = await mk('admin', 'a');
  const caller = await mk('caller', 'c');
  const filtered = await mk('filtered', 'f');
  const off = await mk('admin', 'a', [['Events', 'off']]);
  const sysOnly = await mk('admin', 'a');
  await sysOnly.action([['Action', 'Events'], ['EventMask', 'system']]);
  const dyn = await mk('admin', 'a');
  const fr = await dyn.action([['Action', 'Filter'], ['Operation', 'Add'], ['MatchCriteria', 'name(UserEvent)'], ['Filter', '']], { id: 'f1' });
  t.equal(fr.toString(), 'Response: Success\r\nActionID: f1\r\nMessage: Success\r\n\r\n');
  const before = (c: TestClient) => c.received.length;
  const marks = [admin, caller, filtered, off, sysOnly, dyn].map(before);
  h.sim.emitEvent('Newchannel', 'call', [['Channel', 'PJSIP/1-1']]);
  h.sim.emitEvent('VarSet', 'dialplan', [['Variable', 'X']]);
  h.sim.emitEvent('UserEvent', 'user', [['UserEvent', 'Test']]);
  h.sim.emitEvent('Hangup', 'call', [['Channel', 'PJSIP/1-1']]);
  h.sim.emitEvent('Reload', 'system', [['Module', 'All']]);
  h.sim.emitEvent('Mixed', 'system,call', [['X', 'y']]);
  await admin.waitFor((m) => m.get('Event') === 'Mixed', 3000, marks[0]);
  await new Promise((r) => setTimeout(r, 100));
  const names = (c: TestClient, i: number) => c.received.slice(marks[i]).filter((m) => m.isEvent).map((m) => m.get('Event'));
  t.same(names(admin, 0), ['Newchannel', 'VarSet', 'UserEvent', 'Hangup', 'Reload', 'Mixed']);
  t.same(names(caller, 1), ['Newchannel', 'Hangup'], 'call reader: call-only events; Mixed needs system too (all-of)');
  t.same(names(filtered, 2), ['Hangup'], 'eventfilter from the user config');
  t.same(names(off, 3), [], 'Events: off');
  t.same(names(sysOnly, 4), ['Reload'], 'EventMask: system');
  t.same(names(dyn, 5), ['UserEvent'], 'Filter action for this session only');
});

t.test('a stalled client is dropped and the others keep receiving', async (t) => {
  const h = await startProxy(t, {
    users: { w: { secret: 'w', read: 'all', write: 'all', writetimeout: 200 } },
    general: { maxqueuebytes: 262144 },
  });
  const fast = await TestClient.connect({ port: h.port });
  t.teardown(() => fast.close());
  await fast.login('w', 'w');
  const slow = await TestClient.connect({ port: h.port });
  t.teardown(() => slow.close());
  await slow.login('w', 'w');
  slow.socket.pause(); // never reads again
  const payload = 'x'.repeat(900);
  const start = Date.now();
  let sent = 0;
  while (h.proxy.fanout.size > 1 && Date.now() - start < 8000) {
    for (let i = 0; i < 200; i++) h.sim.emitEvent('Bulk', 'user', [['Payload', payload], ['N', String(sent++)]]);
    await new Promise((r) => setTimeout(r, 5));
  }
  await waitUntil(() => h.proxy.fanout.size === 1, 5000, 'the slow client to be dropped');
  const got = fast.received.filter((m) => m.get('Event') === 'Bulk').length;
  t.ok(got > 1000, `fast client kept receiving (${got} of ${sent})`);
  await waitUntil(() => fast.received.filter((m) => m.get('Event') === 'Bulk').length === sent, 5000, 'the fast client to get everything');
  const drop = h.logs().find((l) => l['audit'] === 'slowConsumerDropped');
  t.ok(drop, 'audited');
});
