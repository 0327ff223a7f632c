// Tenant scoping over real sockets (docs/tenants.md, issue 15): one simulated
// Asterisk runs calls of two tenants at once (generated Local calls in each
// tenant's context, and Originates, acme's through the shared trunk), and
// amigate keeps them apart: globex's user gets none of acme's events (every
// header value checked), cannot act on acme's channels (every channel-naming
// action of the table), lists are filtered with matching ListItems, and the
// unscoped admin still sees everything.

import t from 'tap';
import { startProxy, waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { SCOPED_ACTION_NAMES, actionScopeRule } from '../../../src/scope/action-table.js';
import type { AmiMessage } from '../../../src/protocol/message.js';

const ACME = {
  channels: ['PJSIP/acme-*', 'Local/*@acme-*'], contexts: ['acme-internal', 'acme-queues', 'acme-outbound'],
  accountcodes: ['acme'], queues: ['acme-support'], devices: ['Local/*@acme-*'], other: 'deny',
};
const GLOBEX = {
  channels: ['PJSIP/globex-*', 'Local/*@globex-*'], contexts: ['globex-internal'],
  accountcodes: ['globex'], queues: ['globex-sales'], devices: ['Local/*@globex-*'], other: 'deny',
};
const CLASSES = { read: 'call,dialplan,user,agent,system', write: 'system,call,originate,agent,reporting,agi,aoc,command' };

const values = (m: AmiMessage) => m.entries().map(([, v]) => v);

t.test('two tenants on one Asterisk', async (t) => {
  const h = await startProxy(t, {
    users: {
      'acme-crm': { secret: 'pw', ...CLASSES, scope: ACME },
      'globex-crm': { secret: 'pw', ...CLASSES, scope: GLOBEX },
      admin: { secret: 'pw', read: 'all', write: 'all' },
    },
    sim: { generatorContexts: ['acme-internal', 'globex-internal', 'test'] },
  });
  const connect = async (user: string) => {
    const c = await TestClient.connect({ port: h.port });
    t.teardown(() => c.close());
    t.equal((await c.login(user, 'pw')).get('Response'), 'Success');
    return c;
  };
  const acme = await connect('acme-crm');
  const globex = await connect('globex-crm');
  const admin = await connect('admin');

  h.sim.setGenerator(300);
  // acme calls an outside number through the shared trunk, from a Local pair; its Account is forced.
  const orig = await acme.action([['Action', 'Originate'], ['Channel', 'Local/5551234@acme-outbound'], ['Context', 'acme-internal'],
    ['Exten', '100'], ['Priority', '1'], ['Async', 'true'], ['Account', 'someone-else'], ['ActionID', 'acme-orig']]);
  t.equal(orig.get('Message'), 'Originate successfully queued');
  const gorig = await globex.action([['Action', 'Originate'], ['Channel', 'Local/200@globex-internal'], ['Context', 'globex-internal'],
    ['Exten', '200'], ['Priority', '1'], ['Async', 'true'], ['ActionID', 'globex-orig']]);
  t.equal(gorig.get('Message'), 'Originate successfully queued');
  const resp = await acme.waitFor((m) => m.get('Event') === 'OriginateResponse' && m.get('ActionID') === 'acme-orig', 10000, 0);
  t.equal(resp.get('Response'), 'Success', 'its own OriginateResponse, with its ActionID');
  const trunkNew = await admin.waitFor((m) => m.get('Event') === 'Newchannel' && /^PJSIP\/trunk-/.test(m.get('Channel') ?? ''), 10000, 0);
  const trunk = trunkNew.get('Channel')!;
  const acmeOne = (await admin.waitFor((m) => m.get('Event') === 'Newchannel' && /^Local\/5551234@acme-outbound-.*;1$/.test(m.get('Channel') ?? ''), 5000, 0)).get('Channel')!;
  t.equal(trunkNew.get('Linkedid'), (await admin.waitFor((m) => m.get('Channel') === acmeOne, 1000, 0)).get('Linkedid'), 'the trunk leg is in acme\'s call');
  await globex.waitFor((m) => m.get('Event') === 'OriginateResponse' && m.get('ActionID') === 'globex-orig', 10000, 0);
  const globexOne = (await admin.waitFor((m) => m.get('Event') === 'Newchannel' && /^Local\/200@globex-internal-.*;1$/.test(m.get('Channel') ?? ''), 5000, 0)).get('Channel')!;

  await t.test('lists are filtered and ListItems counts what each client received', async (t) => {
    const a = await acme.list([['Action', 'CoreShowChannels']], 'l1');
    const g = await globex.list([['Action', 'CoreShowChannels']], 'l2');
    const all = await admin.list([['Action', 'CoreShowChannels']], 'l3');
    const names = (l: { items: AmiMessage[] }) => l.items.map((m) => m.get('Channel')!);
    t.ok(names(a).includes(trunk) && names(a).includes(acmeOne), 'acme lists its Local pair and its trunk leg');
    t.ok(names(a).every((n) => /acme|trunk/.test(n)), 'nothing else');
    t.ok(names(g).includes(globexOne));
    t.ok(names(g).every((n) => /globex/.test(n)));
    t.ok(names(all).includes(trunk) && names(all).includes(globexOne), 'admin lists everything');
    t.equal(a.complete.get('ListItems'), String(a.items.length));
    t.equal(g.complete.get('ListItems'), String(g.items.length));
    t.equal(all.complete.get('ListItems'), String(all.items.length));
    t.ok(all.items.length > a.items.length && all.items.length > g.items.length);
    const st = await acme.list([['Action', 'Status'], ['Channel', trunk]], 'l4');
    t.equal(st.items.length, 1, 'Status of its own trunk leg');
    const q = await acme.list([['Action', 'QueueStatus']], 'l5');
    t.equal(q.items.length, 0, 'testq is nobody\'s queue');
    t.equal(q.complete.get('ListItems'), '0');
    t.ok((await admin.list([['Action', 'QueueStatus']], 'l6')).items.length > 0);
  });

  await t.test('globex cannot act on acme\'s channels, with every channel-naming action', async (t) => {
    const before = h.sim.received.length;
    for (const name of SCOPED_ACTION_NAMES) {
      const r = actionScopeRule(name);
      if (!r.channels || (r.kind !== 'channel' && r.kind !== 'list')) continue;
      for (const target of [trunk, acmeOne]) {
        const pairs: Array<[string, string]> = [['Action', name]];
        if (r.queue) pairs.push([r.queue, 'globex-sales']);
        if (r.contexts) pairs.push([r.contexts[0]!, 'globex-internal']);
        for (const hdr of r.channels) pairs.push([hdr, target]);
        const res = await globex.action(pairs);
        // Park is not in this Asterisk (no res_parking): Asterisk's unknown-action answer comes before any scope check.
        const expected = name === 'Park' ? 'Invalid/unknown command: Park. Use Action: ListCommands to show available commands.' : `Permission denied: scope.channels (${target})`;
        t.equal(res.get('Message'), expected, `${name} on ${target}`);
      }
    }
    t.equal((await globex.action([['Action', 'Command'], ['Command', 'core show channels']])).get('Message'), 'Permission denied: scope.unscopeable (Command)');
    t.equal((await acme.action([['Action', 'Hangup'], ['Channel', globexOne]])).get('Message'), `Permission denied: scope.channels (${globexOne})`);
    const reached = h.sim.received.slice(before).filter((r) => values(r.msg).some((v) => v === trunk || v === acmeOne || v === globexOne));
    t.same(reached.map((r) => r.action), [], 'no refused action reached Asterisk');
    const ok = await acme.action([['Action', 'Getvar'], ['Channel', trunk], ['Variable', 'CHANNEL(name)']]);
    t.equal(ok.get('Value'), trunk, 'acme may act on its own trunk leg');
  });

  // Generated calls of both tenants (and of nobody) ran alongside: wait for a few of each
  // (counts, not time: the machine may be slow), then let every call finish and read the streams.
  const generated = (ctx: string) => admin.events('Newchannel').filter((m) => new RegExp(`^Local/\\d+@${ctx}-[0-9a-f]+;1$`).test(m.get('Channel') ?? '')).length;
  await waitUntil(() => generated('acme-internal') >= 3 && generated('globex-internal') >= 3 && generated('test') >= 3, 30000, 'generated calls');
  h.sim.setGenerator(0);
  await waitUntil(() => admin.events('Hangup').some((m) => m.get('Channel') === trunk) && admin.events('Hangup').some((m) => m.get('Channel') === globexOne), 15000, 'calls to end');
  await new Promise((r) => setTimeout(r, 3500));

  await t.test('globex received none of acme\'s events, checked header by header', async (t) => {
    const acmeIds = new Set<string>();
    for (const m of admin.events()) {
      const ch = m.get('Channel') ?? '';
      if (/acme|trunk/i.test(ch)) for (const k of ['Uniqueid', 'Linkedid', 'Channel']) { const v = m.get(k); if (v) acmeIds.add(v); }
    }
    t.ok(acmeIds.size >= 12, `acme's calls had ids (${acmeIds.size})`);
    const gEvents = globex.events().filter((m) => m.get('ActionID') === undefined);
    t.ok(gEvents.length >= 40, `globex got its own events (${gEvents.length})`);
    const leaks = gEvents.filter((m) => values(m).some((v) => /acme|trunk/i.test(v) || acmeIds.has(v)));
    t.same(leaks.map((m) => m.toString()), [], 'no header of any event names acme');
    const aEvents = acme.events().filter((m) => m.get('ActionID') === undefined);
    t.same(aEvents.filter((m) => values(m).some((v) => /globex/i.test(v))).map((m) => m.toString()), [], 'and the other way round');
    t.ok(aEvents.some((m) => m.get('Channel') === trunk && m.get('Event') === 'Hangup'), 'acme saw its trunk leg hang up');
    t.ok(aEvents.some((m) => m.get('Event') === 'BridgeDestroy'), 'and its bridge go');
    t.ok(aEvents.some((m) => m.get('AccountCode') === 'acme'), 'its originated channels carry the forced account code');
    t.notOk(aEvents.some((m) => m.get('Context') === 'test'), 'no generated call of context test (nobody\'s)');
    const adminNames = new Set(admin.events().map((m) => m.get('Channel') ?? ''));
    t.ok([...adminNames].some((n) => /acme/.test(n)) && [...adminNames].some((n) => /globex/.test(n)) && [...adminNames].some((n) => /@test-/.test(n)), 'the unscoped admin saw every tenant and the rest');
  });

  await t.test('audit and metrics', async (t) => {
    const denied = h.logs().filter((l) => l['rule'] === 'scope.channels');
    t.ok(denied.length >= 10, 'scope refusals are audited with their rule');
    t.ok(h.proxy.fanout.stats.scopeWithheld > 100, `events withheld by scope are counted (${h.proxy.fanout.stats.scopeWithheld})`);
    const text = await h.proxy.metrics.registry.metrics();
    t.match(text, /amigate_scope_withheld_total\{kind="event"\} [1-9]/);
  });
});
