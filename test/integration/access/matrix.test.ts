// The access-control matrix (issue 4): realistic users x core actions x event
// classes, through the real proxy in front of the simulated Asterisk. For each
// cell we look at both ends: what reached Asterisk (sim.received, matched by a
// per-cell probe header) and what reached the client. The expected tables are
// literal, written from manager.c's registrations (S12: any-of for actions,
// S17: all-of for events) and the users' policies, not computed by the code
// under test.

import t from 'tap';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import type { AmiMessage } from '../../../src/protocol/message.js';

const SEEDS = 'system,call,log,verbose,command,agent,user';
const users: Record<string, Record<string, unknown>> = {
  admin: { secret: 'pw-admin', read: 'all', write: 'all' },
  mark: { secret: 'pw-mark', read: SEEDS, write: SEEDS, commands: { allow: ['^core show '] } },
  reporter: { secret: 'pw-reporter', read: 'reporting', write: 'reporting' },
  crm: {
    secret: 'pw-crm', read: 'call', write: 'call,originate',
    actions: { allow: ['Originate', 'Hangup', 'Status', 'Getvar'] }, originate: { contexts: ['test'] },
  },
  wallboard: { secret: 'pw-wallboard', read: 'agent,call', actions: { allow: ['QueueStatus'] } },
  nowrite: { secret: 'pw-nowrite', read: 'call' },
  custom: { secret: 'pw-custom', read: 'all', write: 'all', actions: { allow: ['FooBar'] } },
};

const CH = 'Local/nobody@test-00000000;1';
const ACTIONS: Array<[string, Array<[string, string]>]> = [
  ['Ping', []],
  ['CoreStatus', []],
  ['Command', [['Command', 'core show version']]],
  ['Originate', [['Channel', 'Local/100@test'], ['Context', 'test'], ['Exten', '100'], ['Priority', '1'], ['Async', 'true']]],
  ['Getvar', [['Variable', 'EPOCH']]],
  ['Setvar', [['Variable', 'MATRIX'], ['Value', '1']]],
  ['Status', []],
  ['CoreShowChannels', []],
  ['QueueStatus', []],
  ['Hangup', [['Channel', CH]]],
  ['Redirect', [['Channel', CH], ['Context', 'test'], ['Exten', '100'], ['Priority', '1']]],
  ['UserEvent', [['UserEvent', 'MatrixUser']]],
  ['Reload', [['Module', 'app_queue.so']]],
  ['GetConfig', [['Filename', 'manager.conf']]],
  ['UpdateConfig', [['SrcFilename', 'x.conf'], ['DstFilename', 'x.conf']]],
  ['FooBar', []],
];

// L = answered by amigate itself, F = forwarded to Asterisk, D = denied by amigate,
// U = answered by amigate with Asterisk's Invalid/unknown command (no upstream lists it).
//                 Ping CoreStatus Command Originate Getvar Setvar Status CSC QueueStatus Hangup Redirect UserEvent Reload GetConfig UpdateConfig FooBar
const EXPECT: Record<string, string> = {
  admin:     'L F F F F F F F F F F F F F F U',
  mark:      'L F F D F F F F F F F F F F D U',
  reporter:  'L F D D F D F F F D D D D D D U',
  crm:       'L D D F F D F D D F D D D D D U',
  wallboard: 'L D D D D D D D F D D D D D D U',
  nowrite:   'L D D D D D D D F D D D D D D U',
  custom:    'L D D D D D D D D D D D D D D F',
};

const READ: Record<string, string[] | 'all'> = {
  admin: 'all', mark: SEEDS.split(','), reporter: ['reporting'], crm: ['call'],
  wallboard: ['agent', 'call'], nowrite: ['call'], custom: 'all',
};
const EVENT_CLASSES = [
  'system', 'call', 'log', 'verbose', 'command', 'agent', 'user', 'config', 'dtmf', 'reporting', 'cdr',
  'dialplan', 'originate', 'agi', 'cc', 'aoc', 'test', 'security', 'message',
  'call,system', 'agent,call', 'call,reporting', 'call,user', 'agent,call,reporting',
];
// authority_to_str() prints classes in manager.c's perms[] order.
const ORDER = EVENT_CLASSES.slice(0, 19);
const privilege = (classes: string) => classes.split(',').sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)).join(',') + ',all';
const sees = (user: string, classes: string) => {
  const r = READ[user]!;
  return r === 'all' || classes.split(',').every((c) => r.includes(c));
};

t.test('users x actions x event classes', async (t) => {
  const h = await startProxy(t, { users, upstream: { keepalive: 0 } });
  const clients = new Map<string, TestClient>();
  for (const name of Object.keys(users)) {
    const c = await TestClient.connect({ port: h.port });
    t.teardown(() => c.close());
    const r = await c.login(name, users[name]!['secret'] as string);
    t.equal(r.get('Message'), 'Authentication accepted', `${name} logs in`);
    clients.set(name, c);
  }

  const probeOf = (m: AmiMessage) => m.get('X-Matrix-Probe');
  let unauthorizedUpstream = 0;
  // Each user's row runs sequentially; the rows run concurrently (that is
  // what the proxy sees in production), the probe header keeps cells apart.
  await Promise.all([...clients].map(async ([user, c]) => {
    const row = EXPECT[user]!.split(' ');
    for (let i = 0; i < ACTIONS.length; i++) {
      const [action, headers] = ACTIONS[i]!;
      const probe = `${user}/${action}`;
      const id = `m-${user}-${i}`;
      const r = await c.action([['Action', action], ['X-Matrix-Probe', probe], ...headers], { id });
      const want = row[i]!;
      t.equal(r.get('ActionID'), id, `${probe}: the client's ActionID comes back`);
      if (want === 'D') {
        t.equal(r.get('Response'), 'Error', `${probe}: denied`);
        t.match(r.get('Message'), /^Permission denied/, `${probe}: Permission denied (${r.get('Message')})`);
      } else if (want === 'U') {
        t.equal(r.toString(), `Response: Error\r\nActionID: ${id}\r\nMessage: Invalid/unknown command: ${action}. Use Action: ListCommands to show available commands.\r\n\r\n`, `${probe}: Asterisk's unknown-action answer`);
      } else if (want === 'L') {
        t.equal(r.get('Response'), 'Success', `${probe}: answered locally`);
      } else {
        t.notMatch(r.get('Message') ?? '', /^Permission denied/, `${probe}: not denied by amigate`);
      }
      // Whatever Asterisk answered, the action either reached it once or not at all.
      const arrived = h.sim.received.filter((x) => probeOf(x.msg) === probe).length;
      t.equal(arrived, want === 'F' ? 1 : 0, `${probe}: reached Asterisk ${want === 'F' ? 'once' : 'never'}`);
      if (want !== 'F' && arrived > 0) unauthorizedUpstream++;
    }
  }));
  t.equal(unauthorizedUpstream, 0, 'not one unauthorized action reached Asterisk');

  // Events: one per class set, each user gets exactly those it may read (all-of).
  const before = new Map([...clients].map(([u, c]) => [u, c.received.length]));
  for (const classes of EVENT_CLASSES) h.sim.emitEvent('MatrixProbe', classes, [['Classes', classes]]);
  const got = (u: string) => clients.get(u)!.received.slice(before.get(u)).filter((m) => m.get('Event') === 'MatrixProbe');
  for (const u of clients.keys()) {
    const want = EVENT_CLASSES.filter((cl) => sees(u, cl)).length;
    const end = Date.now() + 5000;
    while (got(u).length < want && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 200)); // room for anything that should not come
  let unauthorizedDownstream = 0;
  for (const u of clients.keys()) {
    const delivered = got(u).map((m) => m.get('Classes')!);
    const expected = EVENT_CLASSES.filter((cl) => sees(u, cl));
    t.same(delivered, expected, `${u}: exactly the events it may read, in order`);
    unauthorizedDownstream += delivered.filter((cl) => !sees(u, cl)).length;
    for (const m of got(u)) t.equal(m.get('Privilege'), privilege(m.get('Classes')!), 'Privilege as Asterisk writes it');
  }
  t.equal(unauthorizedDownstream, 0, 'not one unauthorized event reached a client');

  // ListCommands shows exactly what the user may run (spot checks per row).
  for (const [u, c] of clients) {
    const lc = await c.action([['Action', 'ListCommands']], { id: `lc-${u}` });
    const row = EXPECT[u]!.split(' ');
    ACTIONS.forEach(([action], i) => {
      if (action === 'Ping' || action === 'FooBar') return;
      t.equal(lc.has(action), row[i] === 'F', `${u}: ListCommands ${row[i] === 'F' ? 'lists' : 'hides'} ${action}`);
    });
  }
});
