// Module actions through the production path (issue 4, S12): the proxy learns
// an action's classes only from the upstream's own ListCommands, read by the
// upstream pool at login. A minimal fake Asterisk serves a ListCommands with
// actions no core table knows, one of them with a class name amigate does not
// know (`quantum`, a newer Asterisk's). Such an action must need `write = all`
// (docs/security.md), never become authority 0 (which anyone may run).

import net from 'node:net';
import t, { type Test } from 'tap';
import { stringify } from 'yaml';
import { AmiParser } from '../../../src/protocol/parser.js';
import { AmiMessage } from '../../../src/protocol/message.js';
import { parseConfig } from '../../../src/config/load.js';
import { createProxy } from '../../../src/proxy.js';
import { captureLogger } from '../../helpers/log-capture.js';
import { waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const LIST = [
  'Ping: Keepalive command.  (Priv: <none>)',
  'Login: Login Manager.  (Priv: <none>)',
  'FrobWidget: A module action.  (Priv: agent,all)',
  'QuantumLeap: A newer Asterisk\'s action.  (Priv: quantum,all)',
  'QuantumCall: Unknown class plus a known one.  (Priv: call,quantum,all)',
  'OpenDoor: Authority 0.  (Priv: <none>)',
];

/** Banner, Login/Events/Ping/anything: Success with the ActionID; ListCommands: LIST. Records every action. */
async function fakeAsterisk(t: Test): Promise<{ port: number; received: string[] }> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.write('Asterisk Call Manager/11.0.0\r\n');
    const parser = new AmiParser({
      onBanner: () => {},
      onMessage: (m: AmiMessage) => {
        const action = m.get('Action') ?? '';
        const id = m.get('ActionID');
        received.push(action);
        const head = `Response: Success\r\n${id !== undefined ? `ActionID: ${id}\r\n` : ''}`;
        if (action.toLowerCase() === 'listcommands') s.write(`${head}${LIST.join('\r\n')}\r\n\r\n`);
        else if (action.toLowerCase() === 'login') s.write(`${head}Message: Authentication accepted\r\n\r\nEvent: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n`);
        else if (action.toLowerCase() === 'logoff') s.end(`Response: Goodbye\r\n${id !== undefined ? `ActionID: ${id}\r\n` : ''}Message: Thanks for all the fish.\r\n\r\n`);
        else s.write(`${head}Message: ok from fake\r\n\r\n`);
      },
    }, { banner: false, maxLineBytes: 1 << 20, maxLines: 1e5, emitEmpty: false });
    s.on('data', (d: Buffer) => parser.write(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  return { port: (server.address() as net.AddressInfo).port, received };
}

t.test('classes of actions learned only from ListCommands, unknown class = write=all only', async (t) => {
  const fake = await fakeAsterisk(t);
  const doc = {
    general: { authtimeout: 5 },
    listeners: [{ name: 'plain', bindaddr: '127.0.0.1', port: 0 }],
    upstreams: [{ name: 'pbx1', host: '127.0.0.1', port: fake.port, username: 'amigate', secret: 'x', connections: 1, keepalive: 0 }],
    log: { level: 'warn' },
    users: {
      admin: { secret: 'pw', read: 'all', write: 'all' },
      agent: { secret: 'pw', read: 'agent', write: 'agent' },
      caller: { secret: 'pw', read: 'call', write: 'call' },
      // Every named class, but not `all`: still not enough for an unknown class.
      everyclass: { secret: 'pw', read: 'all', write: 'system,call,log,verbose,command,agent,user,config,dtmf,reporting,cdr,dialplan,originate,agi,cc,aoc,test,security,message' },
    },
  };
  const { config } = await parseConfig(stringify(doc), '<test>', {});
  const proxy = await createProxy(config, { logger: captureLogger({ level: 'warn' }).logger, drainTimeoutMs: 200 });
  t.teardown(() => proxy.close('test-end'));
  await waitUntil(() => proxy.cluster.isReady('pbx1'), 10000, 'pbx1 ready');
  const port = proxy.listeners[0]!.address.port;

  const run = async (user: string, action: string): Promise<string> => {
    const c = await TestClient.connect({ port });
    t.teardown(() => c.close());
    t.equal((await c.login(user, 'pw')).get('Message'), 'Authentication accepted', `${user} logs in`);
    const before = fake.received.filter((a) => a === action).length;
    const r = await c.action([['Action', action]]);
    const reached = fake.received.filter((a) => a === action).length > before;
    const verdict = r.get('Message') === 'ok from fake' ? 'F' : 'D';
    t.equal(reached, verdict === 'F', `${user} ${action}: reached upstream only when forwarded`);
    return verdict;
  };
  // F = forwarded, D = denied by amigate.
  const expect: Array<[string, string, string]> = [
    ['admin', 'FrobWidget', 'F'], ['agent', 'FrobWidget', 'F'], ['caller', 'FrobWidget', 'D'],
    ['admin', 'QuantumLeap', 'F'], ['agent', 'QuantumLeap', 'D'], ['caller', 'QuantumLeap', 'D'], ['everyclass', 'QuantumLeap', 'D'],
    ['caller', 'QuantumCall', 'F'], ['agent', 'QuantumCall', 'D'],
    ['caller', 'OpenDoor', 'F'],
    ['admin', 'NeverListed', 'D'],
  ];
  for (const [user, action, want] of expect) t.equal(await run(user, action), want, `${user} x ${action}`);

  // ListCommands through the proxy shows the caller only what it may run.
  const c = await TestClient.connect({ port });
  t.teardown(() => c.close());
  await c.login('caller', 'pw');
  const list = await c.action([['Action', 'ListCommands']]);
  const names = list.lines.map((l) => l.split(':')[0]);
  t.ok(names.includes('QuantumCall') && names.includes('OpenDoor'), 'runnable module actions listed');
  t.notOk(names.includes('QuantumLeap') || names.includes('FrobWidget'), 'the others are not');
});
