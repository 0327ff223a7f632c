// Unmodified third-party npm AMI client libraries work through amigate over
// plaintext loopback: login, Ping, Command, CoreShowChannels and Originate
// with its events.

import t from 'tap';
import { startProxy } from '../../helpers/start-proxy.js';
import { AmiClient, AsteriskManager } from '../../helpers/third-party-clients.js';

const users = { crm: { secret: 'crmpw', read: 'all', write: 'call,reporting,originate,command,system' } };

t.test('asterisk-manager', async (t) => {
  const h = await startProxy(t, { users });
  const events: Array<Record<string, string>> = [];
  const ami = AsteriskManager(h.port, '127.0.0.1', 'crm', 'crmpw', true);
  t.teardown(() => ami.disconnect());
  ami.on('managerevent', (e) => events.push(e));
  const act = (a: Record<string, string>) => new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout ' + a['action'])), 5000);
    ami.action(a, (err, res) => { clearTimeout(timer); if (err && !(err as Record<string, string>)['response']) reject(err); else resolve((res ?? err) as Record<string, string>); });
  });
  const ping = await act({ action: 'ping' });
  t.equal(ping['ping'], 'Pong');
  const cmd = await act({ action: 'command', command: 'core show version' });
  t.equal(cmd['response'], 'Success');
  const csc = await act({ action: 'coreshowchannels' });
  t.equal(csc['eventlist'], 'start');
  const orig = await act({ action: 'originate', channel: 'Local/100@test', application: 'Wait', data: '1', async: 'true' });
  t.equal(orig['message'], 'Originate successfully queued');
  const end = Date.now() + 5000;
  while (!events.some((e) => e['event'] === 'OriginateResponse') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const or = events.find((e) => e['event'] === 'OriginateResponse');
  t.ok(or, 'OriginateResponse arrived');
  t.equal(or?.['actionid'], orig['actionid'], 'with the library\'s own ActionID');
  t.ok(events.some((e) => e['event'] === 'CoreShowChannelsComplete'), 'list completion reached the library');
  t.ok(events.some((e) => e['event'] === 'Newchannel'), 'channel events');
});

t.test('asterisk-ami-client', async (t) => {
  const h = await startProxy(t, { users });
  const client = new AmiClient({ reconnect: false, keepAlive: false, emitEventsByTypes: true });
  const events: Array<Record<string, string>> = [];
  client.on('event', (e) => events.push(e));
  await client.connect('crm', 'crmpw', { host: '127.0.0.1', port: h.port });
  t.teardown(() => client.disconnect());
  const ping = await client.action({ Action: 'Ping' }, true);
  t.equal(ping['Ping'], 'Pong');
  const cmd = await client.action({ Action: 'Command', Command: 'core show version' }, true);
  t.equal(cmd['Response'], 'Success');
  const csc = await client.action({ Action: 'CoreShowChannels', ActionID: 'csc-1' }, true);
  t.equal(csc['EventList'], 'start');
  const orig = await client.action({ Action: 'Originate', ActionID: 'orig-1', Channel: 'Local/100@test', Application: 'Wait', Data: '1', Async: 'true' }, true);
  t.equal(orig['Message'], 'Originate successfully queued');
  const end = Date.now() + 5000;
  while (!events.some((e) => e['Event'] === 'OriginateResponse') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const or = events.find((e) => e['Event'] === 'OriginateResponse');
  t.equal(or?.['ActionID'], 'orig-1');
  t.ok(events.some((e) => e['Event'] === 'CoreShowChannelsComplete' && e['ActionID'] === 'csc-1'));
});
