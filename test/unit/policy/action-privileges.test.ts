import t from 'tap';
import { AmiMessage } from '../../../src/protocol/message.js';
import { ActionPrivilegeTable, CORE_ACTION_PRIVILEGES, UNKNOWN_CLASS, parseListCommands, parseListCommandsLine } from '../../../src/policy/action-privileges.js';
import { authorityToStr, classBit } from '../../../src/protocol/privileges.js';
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
  t.ok([...other.entries()].length === other.size);
});

t.test('ListCommands line parsing', async (t) => {
  t.same(parseListCommandsLine('Originate: Originate a call.  (Priv: originate,all)'), { name: 'Originate', mask: mask('originate') });
  t.same(parseListCommandsLine('Ping: Keepalive command.  (Priv: <none>)'), { name: 'Ping', mask: 0 });
  t.same(parseListCommandsLine('SendText: Sends a text (a thing): more.  (Priv: call,all)'), { name: 'SendText', mask: mask('call') }, 'parentheses in the synopsis');
  t.equal(parseListCommandsLine('Response: Success'), undefined);
  t.equal(parseListCommandsLine('ActionID: x (Priv: call)x'), undefined);
  t.equal(parseListCommandsLine('Bad Name: x (Priv: call)'), undefined);
  t.same(parseListCommandsLine('Future: x  (Priv: quantum,all)'), { name: 'Future', mask: UNKNOWN_CLASS }, 'an unknown class is never authority 0');
  t.same(parseListCommandsLine('Weird: x  (Priv: all)'), { name: 'Weird', mask: UNKNOWN_CLASS });
  t.equal(parseListCommands(AmiMessage.from([['Response', 'Success'], ['ActionID', '1']])).size, 0);
});
