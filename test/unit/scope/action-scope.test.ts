import t from 'tap';
import { ScopeRegistry } from '../../../src/scope/compile.js';
import { EventScoper } from '../../../src/scope/event-scope.js';
import { OwnershipTracker } from '../../../src/scope/ownership.js';
import { decideScopedAction } from '../../../src/scope/action-scope.js';
import { ACTION_SCOPE, SCOPED_ACTION_NAMES, actionScopeRule } from '../../../src/scope/action-table.js';
import { CAPTURED_ACTIONS } from '../../../src/sim/actions/list-commands-data.js';
import { chan, event, msg, users, scope, ACME } from './helpers.js';

function setup() {
  const reg = new ScopeRegistry(users({ 'acme-crm': { ...ACME, unscopedactions: ['CoreStatus'] } }));
  const tracker = new OwnershipTracker(reg);
  const scoper = new EventScoper(reg);
  scoper.view(event('Newchannel', chan('PJSIP/acme-100-00000001', '1.1', '1.1', 'acme-internal')), tracker.server('pbx1'), true);
  scoper.view(event('Newchannel', chan('PJSIP/trunk-00000002', '1.2', '1.1', 'from-trunk')), tracker.server('pbx1'), true);
  scoper.view(event('Newchannel', chan('PJSIP/globex-200-00000003', '1.3', '1.3', 'globex-internal')), tracker.server('pbx1'), true);
  const acme = reg.forUser('acme-crm')!;
  const decide = (pairs: Array<[string, string]>, servers = ['pbx1']) => {
    const m = msg(pairs);
    return { d: decideScopedAction(acme, m, tracker, servers), m };
  };
  return { decide };
}

t.test('the table covers every action of the captured Asterisk 22 build', async (t) => {
  const missing = CAPTURED_ACTIONS.map(([name]) => name).filter((n) => !ACTION_SCOPE.has(n.toLowerCase()));
  t.same(missing, []);
  for (const name of SCOPED_ACTION_NAMES) {
    const r = actionScopeRule(name);
    if (r.kind === 'channel') t.ok((r.channels ?? []).length > 0, `${name} names its channel headers`);
    t.ok(r.source.length > 0, `${name} has a source`);
  }
  t.equal(actionScopeRule('SomeModuleAction').kind, 'unscopeable', 'unknown: fail closed');
});

t.test('every channel-naming action: own channel allowed, another tenant\'s refused, an unknown one refused', async (t) => {
  const { decide } = setup();
  for (const name of SCOPED_ACTION_NAMES) {
    const r = actionScopeRule(name);
    if (r.kind !== 'channel') continue;
    const base: Array<[string, string]> = [['Action', name]];
    if (r.queue) base.push(['Queue', 'acme-support']);
    if (r.contexts) base.push([r.contexts[0]!, 'acme-internal']);
    for (const h of r.channels!) {
      const others = r.channels!.filter((x) => x !== h).map((x) => [x, 'PJSIP/acme-100-00000001'] as [string, string]);
      const own = decide([...base, [h, 'PJSIP/acme-100-00000001'], ...others]).d;
      t.ok(own.allow, `${name} ${h}: own channel`);
      const trunk = decide([...base, [h, 'PJSIP/trunk-00000002'], ...others]).d;
      t.ok(trunk.allow, `${name} ${h}: the trunk leg of its own call`);
      const theirs = decide([...base, [h, 'PJSIP/globex-200-00000003'], ...others]).d;
      t.same(theirs, { allow: false, rule: 'scope.channels', message: 'Permission denied: scope.channels (PJSIP/globex-200-00000003)' }, `${name} ${h}: another tenant's`);
      t.notOk(decide([...base, [h, 'PJSIP/ghost-1'], ...others]).d.allow, `${name} ${h}: unknown`);
      t.ok(decide([...base, [h, '1.1'], ...others]).d.allow, `${name} ${h}: by unique id, as Asterisk also accepts`);
    }
    if (r.required) t.notOk(decide(base).d.allow, `${name} without ${r.channels![0]} is refused (globals / every channel)`);
  }
});

t.test('other rules', async (t) => {
  const { decide } = setup();
  t.match(decide([['Action', 'Hangup'], ['Channel', '/acme.*/']]).d, { allow: false, rule: 'scope.channels' }, 'Hangup by regex');
  t.match(decide([['Action', 'Redirect'], ['Channel', 'PJSIP/acme-100-00000001'], ['Context', 'globex-internal']]).d, { allow: false, rule: 'scope.contexts' });
  t.match(decide([['Action', 'Redirect'], ['Channel', 'PJSIP/acme-100-00000001'], ['ExtraChannel', 'PJSIP/globex-200-00000003'], ['Context', 'acme-internal']]).d, { allow: false, rule: 'scope.channels' }, 'ExtraChannel too');
  t.match(decide([['Action', 'Command'], ['Command', 'core show channels']]).d, { allow: false, rule: 'scope.unscopeable', message: 'Permission denied: scope.unscopeable (Command)' });
  t.match(decide([['Action', 'GetConfig'], ['Filename', 'sip.conf']]).d, { allow: false, rule: 'scope.unscopeable' });
  t.ok(decide([['Action', 'CoreStatus']]).d.allow, 'explicitly allowed by scope.unscopedactions');
  t.match(decide([['Action', 'PJSIPShowEndpoints']]).d, { allow: false, rule: 'scope.unscopeable' }, 'not in the table');
  t.ok(decide([['Action', 'Ping']]).d.allow);
  t.ok(decide([['Action', 'QueueStatus']]).d.allow, 'a list, filtered');
  t.ok(decide([['Action', 'QueueStatus'], ['Queue', 'acme-support']]).d.allow);
  t.match(decide([['Action', 'QueueStatus'], ['Queue', 'globex-sales']]).d, { allow: false, rule: 'scope.queues' });
  t.match(decide([['Action', 'QueuePause'], ['Interface', 'PJSIP/acme-100']]).d, { allow: false, rule: 'scope.queues' }, 'no Queue = every queue');
  t.ok(decide([['Action', 'QueueAdd'], ['Queue', 'acme-support'], ['Interface', 'PJSIP/acme-100']]).d.allow);
  t.match(decide([['Action', 'Status'], ['Channel', 'PJSIP/globex-200-00000003']]).d, { allow: false, rule: 'scope.channels' });
  t.ok(decide([['Action', 'Status']]).d.allow, 'Status without Channel: a filtered list');
  t.match(decide([['Action', 'ExtensionState'], ['Exten', '200'], ['Context', 'globex-internal']]).d, { allow: false, rule: 'scope.contexts' });
  t.match(decide([['Action', 'UserEvent'], ['UserEvent', 'x'], ['SomeChannel', 'PJSIP/globex-200-00000003']]).d, { allow: false, rule: 'scope.unscopeable' });
  t.match(decide([['Action', 'PlayDTMF'], ['Channel', 'PJSIP/acme-100-00000001'], ['OtherChannel', 'PJSIP/globex-200-00000003'], ['Digit', '1']]).d,
    { allow: false, rule: 'scope.channels' }, 'safety net: any header named like a channel');
  t.match(decide([['Action', 'QueueLog'], ['Queue', 'acme-support'], ['Event', 'X'], ['UniqueId', '1.3']]).d, { allow: false, rule: 'scope.channels' });
});

t.test('servers are narrowed to where the channel is owned', async (t) => {
  const { decide } = setup();
  t.same(decide([['Action', 'Hangup'], ['Channel', 'PJSIP/acme-100-00000001']], ['pbx1', 'pbx2']).d, { allow: true, servers: ['pbx1'] });
});

t.test('Originate: channel and context in scope, Account forced, no Application or ChannelId', async (t) => {
  const { decide } = setup();
  const ok = decide([['Action', 'Originate'], ['Channel', 'PJSIP/acme-100'], ['Context', 'acme-internal'], ['Exten', '200'], ['Priority', '1'], ['Account', 'evil']]);
  t.ok(ok.d.allow);
  t.equal(ok.m.get('Account'), 'acme', 'forced');
  t.equal(ok.m.getAll('Account').length, 1);
  const kept = decide([['Action', 'Originate'], ['Channel', 'Local/1@acme-queues'], ['Context', 'acme-internal'], ['Exten', '1'], ['Priority', '1']]);
  t.ok(kept.d.allow);
  t.equal(kept.m.get('Account'), 'acme', 'added when missing');
  t.match(decide([['Action', 'Originate'], ['Channel', 'PJSIP/globex-200'], ['Context', 'acme-internal']]).d, { allow: false, rule: 'scope.channels' });
  t.match(decide([['Action', 'Originate'], ['Channel', 'PJSIP/acme-100'], ['Context', 'globex-internal']]).d, { allow: false, rule: 'scope.contexts' });
  t.match(decide([['Action', 'Originate'], ['Channel', 'Local/1@acme-x'], ['Context', 'acme-internal']]).d, { allow: false, rule: 'scope.contexts', message: /acme-x/ }, 'Local channel context');
  t.match(decide([['Action', 'Originate'], ['Channel', 'PJSIP/acme-100'], ['Application', 'ChanSpy'], ['Data', 'PJSIP/globex']]).d, { allow: false, rule: 'scope.originate' });
  t.match(decide([['Action', 'Originate'], ['Channel', 'PJSIP/acme-100'], ['Context', 'acme-internal'], ['ChannelId', '1.3']]).d, { allow: false, rule: 'scope.originate' });
  const noForce = new ScopeRegistry(users({ 'acme-crm': scope({ channels: ['PJSIP/acme-*'], contexts: ['acme-internal'], accountcodes: ['acme-*'] }) })).forUser('acme-crm')!;
  const m = msg([['Action', 'Originate'], ['Channel', 'PJSIP/acme-1'], ['Context', 'acme-internal']]);
  t.match(decideScopedAction(noForce, m, new OwnershipTracker(new ScopeRegistry(users())), ['pbx1']), { allow: false, rule: 'scope.accountcodes' }, 'only patterns: the client must give a matching Account');
});
