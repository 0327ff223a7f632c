import t from 'tap';
import { TenantScopes } from '../../../src/scope/tenant-scopes.js';
import type { ReplyHandler } from '../../../src/router/router.js';
import { AmiMessage } from '../../../src/protocol/message.js';
import { chan, event, msg, users } from './helpers.js';

function run(scopes: TenantScopes, user: string, packets: AmiMessage[]): string[] {
  const got: string[] = [];
  const inner: ReplyHandler = { packet: (m) => got.push(m.toString()), done: () => {} };
  const h = scopes.replies(user, inner, ['pbx1']);
  for (const p of packets) h.packet(p, 'pbx1');
  h.done('success', { upstream: 'pbx1', upstreamMs: 0 });
  return got;
}

const item = (block: Array<[string, string]>) => msg([['Event', 'CoreShowChannel'], ['ActionID', 'x'], ...block]);

t.test('CoreShowChannels: only owned items, ListItems counts what the client got', async (t) => {
  const scopes = new TenantScopes(users());
  scopes.observe(event('Newchannel', chan('PJSIP/acme-1', '1.1', '1.1', 'acme-internal')), 'pbx1');
  const list = [
    msg([['Response', 'Success'], ['ActionID', 'x'], ['EventList', 'start'], ['Message', 'Channels will follow']]),
    item(chan('PJSIP/acme-1', '1.1', '1.1', 'acme-internal')),
    item(chan('PJSIP/trunk-2', '1.2', '1.1', 'from-trunk')), // first seen here: joins acme's call
    item(chan('PJSIP/globex-3', '1.3', '1.3', 'globex-internal')),
    item(chan('PJSIP/parked-4', '1.4', '1.4', 'test')),
    msg([['Event', 'CoreShowChannelsComplete'], ['ActionID', 'x'], ['EventList', 'Complete'], ['ListItems', '4']]),
  ];
  const acme = run(scopes, 'acme-crm', list.map((m) => m.clone()));
  t.equal(acme.length, 4);
  t.match(acme[3], /ListItems: 2\r\n/);
  const globex = run(scopes, 'globex-crm', list.map((m) => m.clone()));
  t.equal(globex.length, 3);
  t.match(globex[2], /ListItems: 1\r\n/);
  const admin = run(scopes, 'admin', list.map((m) => m.clone()));
  t.same(admin, list.map((m) => m.toString()), 'unscoped: byte-exact');
  t.equal(scopes.stats.listItemsWithheld, 2 + 3);
});

t.test('Status keeps Items in step too; nothing dropped = nothing rewritten', async (t) => {
  const scopes = new TenantScopes(users());
  const st = (b: Array<[string, string]>) => msg([['Event', 'Status'], ['Privilege', 'Call'], ...b, ['ActionID', 'y']]);
  const done = () => msg([['Event', 'StatusComplete'], ['ActionID', 'y'], ['EventList', 'Complete'], ['ListItems', '2'], ['Items', '2']]);
  const got = run(scopes, 'acme-crm', [st(chan('PJSIP/acme-1', '2.1', '2.1', 'acme-internal')), st(chan('PJSIP/globex-1', '2.2', '2.2', 'globex-internal')), done()]);
  t.equal(got.length, 2);
  t.match(got[1], /ListItems: 1\r\nItems: 1\r\n/);
  const all = run(scopes, 'acme-crm', [st(chan('PJSIP/acme-1', '2.1', '2.1', 'acme-internal')), msg([['Event', 'StatusComplete'], ['EventList', 'Complete'], ['ListItems', '7']])]);
  t.match(all[1], /ListItems: 7\r\n/, 'untouched when nothing was withheld');
});

t.test('QueueStatus: params and members by queue, entries by channel', async (t) => {
  const scopes = new TenantScopes(users());
  const got = run(scopes, 'acme-crm', [
    msg([['Event', 'QueueParams'], ['Queue', 'acme-support']]),
    msg([['Event', 'QueueMember'], ['Queue', 'acme-support'], ['Name', 'x'], ['Location', 'Local/600@acme-queues/n']]),
    msg([['Event', 'QueueParams'], ['Queue', 'globex-sales']]),
    msg([['Event', 'QueueEntry'], ['Queue', 'acme-support'], ['Channel', 'PJSIP/globex-1'], ['Uniqueid', '3.1']]),
    msg([['Event', 'QueueStatusComplete'], ['EventList', 'Complete'], ['ListItems', '4']]),
  ]);
  t.equal(got.length, 3);
  t.match(got[2], /ListItems: 2/);
});
