import t from 'tap';
import { AmiMessage } from '../../../src/protocol/message.js';
import { parseListCommands as poolParseListCommands } from '../../../src/upstream/pool.js';
import { ActionPrivilegeTable, CORE_ACTION_PRIVILEGES, UNKNOWN_CLASS, parseListCommands, parseListCommandsLine } from '../../../src/policy/action-privileges.js';
import { CLASS_NAMES, authorityToStr, classBit } from '../../../src/protocol/privileges.js';
import { captureMessages } from '../../helpers/capture-messages.js';

const mask = (...names: string[]) => names.reduce((m, n) => m | classBit(n)!, 0);

const listCommands = captureMessages('10-events-vars-config-listcommands.jsonl').find((m) => m.get('ActionID') === 'lc-1')!;

t.test('core table: S12 authorities, case-insensitive', async (t) => {
  const table = new ActionPrivilegeTable();
  t.equal(table.get('Originate'), mask('originate'));
  t.equal(table.get('originate'), mask('originate'));
  t.equal(table.get('COMMAND'), mask('command'));
  t.equal(table.get('Status'), mask('system', 'call', 'reporting'));
  t.equal(table.get('Getvar'), mask('call', 'reporting'));
  t.equal(table.get('GetConfig'), mask('system', 'config'));
  t.equal(table.get('Reload'), mask('system', 'config'));
  t.equal(table.get('Filter'), mask('system'));
  t.equal(table.get('AOCMessage'), mask('aoc'));
  for (const a of ['Ping', 'Events', 'Logoff', 'Login', 'Challenge', 'ListCommands', 'WaitEvent', 'QueueStatus', 'QueueSummary']) t.equal(table.get(a), 0, a);
  t.equal(table.get('PJSIPShowEndpoints'), undefined, 'unknown -> undefined');
  t.equal(table.lookup('coreshowchannels')!.name, 'CoreShowChannels');
});

t.test('the core table agrees with a real Asterisk 22 ListCommands (capture 10)', async (t) => {
  t.ok(listCommands, 'capture has the reply');
  const parsed = parseListCommands(listCommands);
  t.ok(parsed.size >= 90, `parsed ${parsed.size} actions`);
  for (const p of CORE_ACTION_PRIVILEGES) {
    const seen = parsed.get(p.name.toLowerCase());
    t.ok(seen, `${p.name} is in the capture`);
    if (seen) t.equal(authorityToStr(seen.mask), authorityToStr(p.mask), p.name);
  }
});

t.test('refresh from a ListCommands reply learns module actions', async (t) => {
  const table = new ActionPrivilegeTable();
  const n = table.refresh(listCommands);
  t.ok(n >= 90);
  t.equal(table.get('QueueAdd'), mask('agent'));
  t.equal(table.get('MixMonitor'), mask('system'));
  t.equal(table.get('MessageSend'), mask('message'));
  t.equal(table.get('BridgeKick'), 0, '<none> is authority 0');
  t.equal(table.lookup('dbdeltree')!.name, 'DBDelTree');
  const other = new ActionPrivilegeTable();
  other.refresh(new Map([['x', { name: 'X', mask: 4 }]]));
  other.refresh([{ name: 'Y', mask: 8 }]);
  t.same([other.get('x'), other.get('y'), other.get('Ping')], [4, 8, 0], 'maps and lists merge; the core stays');
  const names = [...other.entries()].map((p) => p.name);
  t.same(names.filter((n) => n === 'X' || n === 'Y'), ['X', 'Y'], 'learned entries are listed with their registered spelling');
  t.equal(other.size, CORE_ACTION_PRIVILEGES.length + 2, 'two learned actions on top of the core table');
  other.refresh([{ name: 'ping', mask: 4 }]);
  t.equal(other.size, CORE_ACTION_PRIVILEGES.length + 2, 'an upstream entry replaces the core one of the same name (any case)');
});

t.test('ListCommands line parsing (the one parser: the upstream pool and the policy share it)', async (t) => {
  t.equal(poolParseListCommands, parseListCommands, 'upstream/pool.ts reads ListCommands with this parser');
  t.same(parseListCommandsLine('Originate: Originate a call.  (Priv: originate,all)'), { name: 'Originate', mask: mask('originate') });
  t.same(parseListCommandsLine('Ping: Keepalive command.  (Priv: <none>)'), { name: 'Ping', mask: 0 });
  t.same(parseListCommandsLine('SendText: Sends a text (a thing): more.  (Priv: call,all)'), { name: 'SendText', mask: mask('call') }, 'parentheses in the synopsis');
  t.equal(parseListCommandsLine('Response: Success'), undefined);
  t.equal(parseListCommandsLine('ActionID: x (Priv: call)x'), undefined);
  t.equal(parseListCommandsLine('Bad Name: x (Priv: call)'), undefined);
  t.same(parseListCommandsLine('Future: x  (Priv: quantum,all)'), { name: 'Future', mask: UNKNOWN_CLASS }, 'an unknown class is never authority 0');
  t.same(parseListCommandsLine('Weird: x  (Priv: all)'), { name: 'Weird', mask: UNKNOWN_CLASS });
  t.equal(parseListCommandsLine('ActionID: x (Priv: <none>)'), undefined, 'an echoed ActionID is never an action entry');
  t.equal(parseListCommandsLine('Message: a (Priv: <none>)'), undefined);
  t.same(parseListCommandsLine('Mixed: x  (Priv: call,quantum,all)'), { name: 'Mixed', mask: mask('call') | UNKNOWN_CLASS }, 'any-of: call holders may run it, as in Asterisk');
  t.equal(parseListCommands(AmiMessage.from([['Response', 'Success'], ['ActionID', '1']])).size, 0);
  // The pool's parse of a reply with an unknown class, as the proxy's table sees it.
  const table = new ActionPrivilegeTable();
  table.refresh(poolParseListCommands(AmiMessage.from([['Response', 'Success'], ['Future', 'x  (Priv: quantum,all)']])));
  t.equal(table.get('Future'), UNKNOWN_CLASS);
  t.equal(mask('all') & UNKNOWN_CLASS, UNKNOWN_CLASS, 'write=all holds the unknown-class bit');
  t.equal(CLASS_NAMES.reduce((m, c) => m | mask(c), 0) & UNKNOWN_CLASS, 0, 'no named class holds it');
});

t.test('locate(): per-server lists decide known, unknown and unverified (issue 11 item 4)', async (t) => {
  const table = new ActionPrivilegeTable();
  t.same(table.locate('Originate'), { state: 'known', masks: [mask('originate')], absentOn: [] }, 'no list yet: the core table is certain');
  t.same(table.locate('QueueAdd'), { state: 'unverified' }, 'no list yet: anything else is unverified');
  t.same(table.locate('QueueAdd', ['pbx1']), { state: 'unverified' }, '... also for a named server');
  table.refresh(listCommands, 'pbx1');
  table.refresh([{ name: 'Ping', mask: 0 }, { name: 'Originate', mask: mask('call') }], 'pbx2');
  t.same(table.locate('QueueAdd', ['pbx1']), { state: 'known', masks: [mask('agent')], absentOn: [] });
  t.same(table.locate('queueadd', ['pbx1', 'pbx2']), { state: 'known', masks: [mask('agent')], absentOn: ['pbx2'] }, 'known on one: the other is listed as absent');
  t.same(table.locate('QueueAdd', ['pbx2']), { state: 'unknown' }, 'pbx2 read its list and has no QueueAdd');
  t.same(table.locate('QueueStatus', ['pbx2']), { state: 'unknown' }, 'the core table does not override a list that was read');
  t.same(table.locate('PJSIPShowEndpoints'), { state: 'unknown' }, 'unknown on every list read');
  t.same(table.locate('PJSIPShowEndpoints', ['pbx2', 'pbx3']), { state: 'unverified' }, 'pbx3 has no list: fail closed');
  t.same(table.locate('Originate', ['pbx3']), { state: 'known', masks: [mask('originate')], absentOn: [] }, 'pbx3: core actions only');
  t.same(table.locate('Originate', ['pbx1', 'pbx2']), { state: 'known', masks: [mask('originate'), mask('call')], absentOn: [] }, 'each server\'s own classes');
  table.refresh([{ name: 'Ping', mask: 0 }], 'pbx2');
  t.same(table.locate('Originate', ['pbx2']), { state: 'unknown' }, 'a new list replaces the server\'s previous one');
  t.equal(table.get('Originate'), mask('call'), 'get() still merges every list (ListCommands filtering)');
});
