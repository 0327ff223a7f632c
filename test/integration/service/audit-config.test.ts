// log.auditheaders, log.auditactions and log.sensitive through the real proxy,
// at start and after a reload (issue 5: "every action, with selected headers").

import t from 'tap';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import { startProxy, waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

type Harness = Awaited<ReturnType<typeof startProxy>>;
const USERS = { alice: { secret: 'pw', read: 'system', write: 'system,call,originate' } };

async function withLog(h: Harness, log: Record<string, unknown>) {
  const c = h.proxy.config;
  const doc = {
    general: { authtimeout: 5 },
    listeners: c.listeners.map((l) => ({ name: l.name, bindaddr: l.bindaddr, port: 0 })),
    upstreams: c.upstreams.map((u) => ({ name: u.name, host: u.host, port: u.port, username: u.username, secret: u.secret, connections: u.connections })),
    log: { level: 'debug', ...log },
    users: USERS,
  };
  return (await parseConfig(stringify(doc), '<reload>', {})).config;
}

const originate = (id: string): Array<[string, string]> => [['Action', 'Originate'], ['ActionID', id], ['Channel', 'Local/100@test'], ['Context', 'test'],
  ['Exten', '100'], ['Priority', '1'], ['Async', 'true'], ['Variable', 'PIN=4711'], ['Variable', 'CALLERID=42']];

t.test('selected headers, denied-only, and both re-applied on reload', async (t) => {
  const h = await startProxy(t, { users: USERS, log: { auditheaders: ['channel', 'Variable'], auditactions: 'denied' } });
  const c = await TestClient.connect({ port: h.port });
  t.teardown(() => c.close());
  await c.login('alice', 'pw');
  const record = (id: string) => h.logs().find((l) => l['audit'] === 'action' && l['actionId'] === id);

  await c.action(originate('o1'));
  await c.action([['Action', 'UpdateConfig'], ['ActionID', 'u1'], ['SrcFilename', 'x.conf']]);
  await waitUntil(() => record('u1') !== undefined, 3000, 'the denied action record');
  t.equal(record('o1'), undefined, 'auditactions: denied leaves allowed actions out');
  t.same(record('u1')!['headers'], {}, 'only the selected headers, and a denied UpdateConfig has none of them');

  // Reload: every action, another header selection, a new sensitive pattern.
  await h.proxy.reload(await withLog(h, { auditheaders: ['Channel', 'Variable'], auditactions: 'all', sensitive: ['^Variable: PIN='] }));
  await c.action(originate('o2'));
  await waitUntil(() => record('o2') !== undefined, 3000, 'the allowed action record after the reload');
  t.same(record('o2')!['headers'], { Channel: 'Local/100@test', Variable: ['[REDACTED]', 'CALLERID=42'] },
    'auditheaders keeps Channel and Variable (names case-insensitive), the reloaded log.sensitive redacts PIN');
  t.notOk(h.rawLogs().slice(h.rawLogs().indexOf('"o2"')).includes('4711'), 'the PIN is not in the record after the reload');

  // Reload back to the defaults: every header.
  await h.proxy.reload(await withLog(h, {}));
  await c.action(originate('o3'));
  await waitUntil(() => record('o3') !== undefined, 3000, 'o3');
  t.match(record('o3')!['headers'], { Channel: 'Local/100@test', Context: 'test', Exten: '100', Priority: '1', Async: 'true' }, 'null keeps every header');

  await h.proxy.reload(await withLog(h, { auditactions: 'none' }));
  await c.action(originate('o4'));
  await c.action([['Action', 'UpdateConfig'], ['ActionID', 'u4']]);
  await c.action([['Action', 'Ping'], ['ActionID', 'p4']]);
  t.equal(record('o4') ?? record('u4') ?? record('p4'), undefined, 'auditactions: none writes no action record');
});

t.test('users.<name>.logevents: one eventDelivered record per event for that user only', async (t) => {
  const h = await startProxy(t, {
    users: {
      watched: { secret: 'pw', read: 'call', logevents: true },
      quiet: { secret: 'pw', read: 'call' },
    },
  });
  const w = await TestClient.connect({ port: h.port });
  t.teardown(() => w.close());
  await w.login('watched', 'pw');
  const q = await TestClient.connect({ port: h.port });
  t.teardown(() => q.close());
  await q.login('quiet', 'pw');
  for (let i = 0; i < 3; i++) h.sim.emitEvent('Probe', 'call', [['Secretish', `body-${i}`]]);
  h.sim.emitEvent('NotForThem', 'system', []);
  await waitUntil(() => w.events('Probe').length === 3 && q.events('Probe').length === 3, 3000, 'the events at both clients');
  const recs = h.logs().filter((l) => l['audit'] === 'eventDelivered');
  t.equal(recs.length, 3, 'one record per delivered event, none for events the user cannot read');
  for (const r of recs) {
    t.match(r, { stream: 'audit', user: 'watched', event: 'Probe', privilege: 'call,all' });
    t.type(r['session'], 'number');
  }
  t.notOk(h.rawLogs().includes('body-0'), 'the event body is not logged');
});
