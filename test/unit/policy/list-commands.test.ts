import t from 'tap';
import { parseConfig } from '../../../src/config/load.js';
import { UserStore } from '../../../src/auth/user-store.js';
import { ActionPrivilegeTable, parseListCommandsLine } from '../../../src/policy/action-privileges.js';
import { filterListCommands } from '../../../src/policy/list-commands.js';
import { captureMessages } from '../../helpers/capture-messages.js';

const reply = captureMessages('10-events-vars-config-listcommands.jsonl').find((m) => m.get('ActionID') === 'lc-1')!;

t.test('ListCommands is cut down to what the user may run', async (t) => {
  const { config } = await parseConfig(`
listeners: [{ bindaddr: 127.0.0.1, port: 5040 }]
upstreams: [{ name: pbx1, host: 127.0.0.1, username: amigate, secret: s3cret }]
users:
  admin: { secret: x, write: all }
  reader: { secret: x, read: call }
  limited: { secret: x, write: "call,originate" }
  wallboard: { secret: x, actions: { allow: [QueueStatus] } }
`, '/t/a.yaml', {});
  const users = new UserStore(config);
  const table = new ActionPrivilegeTable();
  table.refresh(reply);
  const names = (user: string) => filterListCommands(users.get(user)!, reply, table).lines.map((l) => parseListCommandsLine(l)?.name).filter((n): n is string => n !== undefined);
  const all = reply.lines.map((l) => parseListCommandsLine(l)?.name).filter(Boolean);
  t.same(names('admin'), all, 'write=all sees the whole list, in order');
  const session = ['Challenge', 'Events', 'ListCommands', 'Login', 'Logoff', 'Ping', 'WaitEvent'];
  t.same(names('wallboard').sort(), [...session, 'QueueStatus'].sort(), 'allow list: session actions plus QueueStatus');
  const reader = names('reader');
  t.ok(reader.includes('QueueSummary') && reader.includes('BridgeList'), 'authority 0 actions stay');
  t.notOk(reader.includes('Originate') || reader.includes('Command') || reader.includes('Hangup'));
  const limited = names('limited');
  t.ok(limited.includes('Originate') && limited.includes('Hangup') && limited.includes('Redirect'));
  t.notOk(limited.includes('Command') || limited.includes('GetConfig') || limited.includes('QueueAdd'));
  const out = filterListCommands(users.get('reader')!, reply, table);
  t.same(out.lines.slice(0, 2), ['Response: Success', 'ActionID: lc-1'], 'non-entry lines stay in place');
  t.not(out, reply, 'a new message; the upstream reply is untouched');
});
