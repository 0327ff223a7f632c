// The simulator's test controls and the manager.conf behaviours the captures
// do not show: authtimeout, authlimit, allowmultiplelogin, ACLs, user event
// filters, writetimeout, hang/drop/restart/kill/close, fullyBootedDelayMs,
// emitEvent, the received log,
// the generator, and the Asterisk <= 13 Command format.

import t from 'tap';
import net from 'node:net';
import { AmiParser } from '../../../src/protocol/parser.js';
import type { AmiMessage } from '../../../src/protocol/message.js';
import { loginRaw, rawAmi, startSimForTest } from '../../helpers/sim-control.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const BANNER = 'Asterisk Call Manager/11.0.0\r\n';

function parse(text: string): AmiMessage[] {
  const out: AmiMessage[] = [];
  const p = new AmiParser({ onMessage: (m) => out.push(m) }, { banner: true, maxLineBytes: 1 << 20, maxLines: 1e5, emitEmpty: false, legacyFollows: true });
  p.write(text);
  return out;
}
const events = (text: string, name?: string): AmiMessage[] => parse(text).filter((m) => m.isEvent && (name === undefined || m.get('Event') === name));

/** True when nothing listens on `port` (the connect is refused). */
function connectRefused(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => resolve(true));
    s.on('connect', () => { s.destroy(); resolve(false); });
  });
}

t.test('authtimeout closes an idle unauthenticated socket without a word', async (t) => {
  const sim = await startSimForTest(t, { authTimeoutMs: 300 });
  const start = Date.now();
  const c = await rawAmi(t, sim.port);
  await c.waitEnd(3000);
  t.ok(Date.now() - start >= 250, 'not before authtimeout');
  t.equal(c.text(), BANNER, 'only the banner was sent');
  const d = await loginRaw(t, sim.port, 'admin', 'adminpw');
  await sleep(500);
  t.notOk(d.ended(), 'a logged-in session is not subject to authtimeout');
});

t.test('authlimit drops connections beyond it before the banner', async (t) => {
  const sim = await startSimForTest(t, { authLimit: 2 });
  const a = await rawAmi(t, sim.port);
  const b = await rawAmi(t, sim.port);
  await a.waitFor((s) => s === BANNER);
  await b.waitFor((s) => s === BANNER);
  const c = await rawAmi(t, sim.port);
  await c.waitEnd();
  t.equal(c.text(), '', 'no banner');
  a.send('Action: Login\r\nUsername: admin\r\nSecret: adminpw\r\nEvents: off\r\n\r\n');
  await a.waitFor(/accepted/);
  const d = await rawAmi(t, sim.port);
  await d.waitFor((s) => s === BANNER);
  t.pass('a login frees a place');
});

t.test('allowmultiplelogin = no: the second login is refused after the delay and closed', async (t) => {
  const sim = await startSimForTest(t, {
    loginFailureDelayMs: 100,
    users: [{ name: 'solo', secret: 'pw', read: 'all', write: 'all', allowmultiplelogin: false }],
  });
  await loginRaw(t, sim.port, 'solo', 'pw');
  const second = await rawAmi(t, sim.port);
  await second.waitFor(/\r\n/);
  const start = Date.now();
  second.send('Action: Login\r\nActionID: again\r\nUsername: solo\r\nSecret: pw\r\n\r\n');
  await second.waitEnd();
  t.ok(Date.now() - start >= 90, 'after the delay');
  t.equal(second.text(), BANNER + 'Response: Error\r\nActionID: again\r\nMessage: Login Already In Use\r\n\r\n');
});

t.test('permit/deny: a login from outside the ACL fails like a bad secret', async (t) => {
  const sim = await startSimForTest(t, {
    loginFailureDelayMs: 50,
    users: [
      { name: 'lan', secret: 'pw', read: 'all', write: 'all', deny: '0.0.0.0/0.0.0.0', permit: '10.0.0.0/255.0.0.0' },
      { name: 'local', secret: 'pw', read: 'all', write: 'all', deny: '0.0.0.0/0', permit: ['127.0.0.1/32'] },
    ],
  });
  const c = await loginRaw(t, sim.port, 'lan', 'pw');
  await c.waitEnd();
  t.match(c.text(), /Message: Authentication failed\r\n\r\n$/);
  const d = await loginRaw(t, sim.port, 'local', 'pw');
  t.match(d.text(), /Authentication accepted/);
});

t.test('user eventfilters and read classes decide what each session gets', async (t) => {
  const sim = await startSimForTest(t, {
    systemName: 'simref',
    users: [
      { name: 'admin', secret: 'a', read: 'all', write: 'all' },
      { name: 'reader', secret: 'r', read: 'call,system', write: '' },
      { name: 'calls', secret: 'c', read: 'call', write: '' },
      { name: 'filtered', secret: 'f', read: 'all', write: '', eventfilter: ['!Event: VarSet', { matchcriteria: 'action(exclude),name(Reload)', filter: '' }] },
    ],
  });
  const admin = await loginRaw(t, sim.port, 'admin', 'a', 'Events: off\r\n');
  const reader = await loginRaw(t, sim.port, 'reader', 'r');
  const calls = await loginRaw(t, sim.port, 'calls', 'c');
  const filtered = await loginRaw(t, sim.port, 'filtered', 'f');
  sim.emitEvent('Newchannel', 'call', [['Channel', 'PJSIP/1-1']]);
  sim.emitEvent('VarSet', 'dialplan', [['Variable', 'X']]);
  sim.emitEvent('Reload', 'system', [['Module', 'All']]);
  sim.emitEvent('Mixed', 'system,call', [['X', 'y']]);
  sim.emitEvent('Last', 'call', [['N', '1']]);
  for (const c of [reader, calls, filtered]) await c.waitFor(/Event: Last\r\n/);
  const names = (text: string) => events(text).map((e) => e.get('Event'));
  t.same(names(reader.text()), ['FullyBooted', 'Newchannel', 'Reload', 'Mixed', 'Last'], 'reader: call and system, both needed for Mixed');
  t.same(names(calls.text()), ['Newchannel', 'Last'], 'calls: no system, so no Mixed either (all-of)');
  t.same(names(filtered.text()).filter((n) => n !== 'SuccessfulAuth'), ['FullyBooted', 'Newchannel', 'Mixed', 'Last'], 'filtered: no VarSet, no Reload');
  t.equal(names(admin.text()).length, 0, 'Events: off');
  t.match(reader.text(), 'Event: Newchannel\r\nPrivilege: call,all\r\nSystemName: simref\r\nChannel: PJSIP/1-1\r\n\r\n', 'exact event text');
  t.match(reader.text(), 'Event: Mixed\r\nPrivilege: system,call,all\r\n');
  t.throws(() => sim.emitEvent('X', 'nosuchclass', []), /unknown event class/);
  t.throws(() => sim.emitEvent('X', 'call', [['Bad', 'a\r\nInjected: 1']]), { code: 'AMIGATE_ERR_HEADER_INJECTION' });
});

t.test('Events action: the mask is ANDed with read classes at delivery', async (t) => {
  const sim = await startSimForTest(t);
  const reader = await loginRaw(t, sim.port, 'reader', 'readerpw');
  reader.send('Action: Events\r\nActionID: e1\r\nEventMask: user\r\n\r\n');
  await reader.waitFor(/ActionID: e1\r\nEvents: On\r\n\r\n/);
  sim.emitEvent('UserEvent', 'user', [['UserEvent', 'x']]);
  sim.emitEvent('Newchannel', 'call', [['Channel', 'x']]);
  reader.send('Action: Ping\r\nActionID: p\r\n\r\n');
  await reader.waitFor(/ActionID: p\r\n/);
  await sleep(50);
  t.same(events(reader.text()).map((e) => e.get('Event')), ['FullyBooted'], 'neither user (not readable) nor call (masked off)');
});

t.test('received records every action in order, with the user', async (t) => {
  const sim = await startSimForTest(t);
  const c = await rawAmi(t, sim.port);
  c.send('Action: Ping\r\n\r\n\r\nAction: Login\r\nUsername: limited\r\nSecret: limitedpw\r\n\r\nAction: Command\r\nCommand: core show version\r\n\r\n');
  await c.waitFor(/Permission denied[\s\S]*Permission denied/);
  t.same(sim.received.map((r) => [r.user, r.action]), [[undefined, 'Ping'], [undefined, 'Login'], ['limited', 'Command']]);
  t.equal(sim.received[2]!.msg.get('Command'), 'core show version');
  t.type(sim.received[0]!.at, 'number');
});

t.test('hang: no reading, no answers, no events, sockets stay; then it catches up in order', async (t) => {
  const sim = await startSimForTest(t);
  const c = await loginRaw(t, sim.port, 'admin', 'adminpw');
  await c.waitFor(/SuccessfulAuth[\s\S]*\r\n\r\n$/);
  const before = c.text().length;
  sim.hang(true);
  c.send('Action: Ping\r\nActionID: h1\r\n\r\n');
  sim.emitEvent('During', 'call', []);
  const late = await rawAmi(t, sim.port);
  await sleep(300);
  t.equal(c.text().length, before, 'nothing written while hung');
  t.equal(late.text(), '', 'no banner while hung');
  t.notOk(c.ended());
  t.equal(sim.sessionCount(), 2, 'sockets kept');
  sim.hang(false);
  await c.waitFor(/ActionID: h1\r\n/);
  await late.waitFor((s) => s === BANNER);
  const tail = parse('banner\r\n' + c.text().slice(before));
  t.same(tail.map((m) => m.get('Event') ?? m.get('Response')), ['During', 'Success'], 'held event, then the answer');
});

t.test('dropConnections destroys every session; new ones work', async (t) => {
  const sim = await startSimForTest(t);
  const a = await loginRaw(t, sim.port, 'admin', 'adminpw');
  const b = await rawAmi(t, sim.port);
  await b.waitFor((s) => s === BANNER);
  sim.dropConnections();
  await a.waitEnd();
  await b.waitEnd();
  t.equal(b.text(), BANNER, 'no text on drop');
  await sleep(20);
  t.equal(sim.sessionCount(), 0);
  const c = await loginRaw(t, sim.port, 'admin', 'adminpw');
  t.match(c.text(), /accepted/);
});

t.test('close: Event: Shutdown to system readers, then every socket closes', async (t) => {
  const sim = await startSimForTest(t, { systemName: 'amiref' });
  const admin = await loginRaw(t, sim.port, 'admin', 'adminpw');
  const limited = await loginRaw(t, sim.port, 'limited', 'limitedpw');
  admin.send('Action: Originate\r\nChannel: Local/200@test\r\nApplication: Wait\r\nData: 10\r\nAsync: true\r\n\r\n');
  await admin.waitFor(/Event: DialEnd\r\n/);
  await sim.close();
  await admin.waitEnd();
  await limited.waitEnd();
  t.match(admin.text(), /Event: Shutdown\r\nPrivilege: system,all\r\nSystemName: amiref\r\nShutdown: Uncleanly\r\nRestart: False\r\n\r\n$/, 'last words, Uncleanly with a call up');
  t.notMatch(limited.text(), /Shutdown/, 'read=call does not get system events');
  await sim.close();
  t.pass('close() twice is fine');
});

t.test('restart: Shutdown (Restart: True), down for a while, then the same port again, fresh', async (t) => {
  const sim = await startSimForTest(t);
  const port = sim.port;
  const admin = await loginRaw(t, port, 'admin', 'adminpw');
  admin.send('Action: Setvar\r\nVariable: G\r\nValue: 1\r\n\r\n');
  await admin.waitFor(/Variable Set/);
  const restarted = sim.restart(300);
  await admin.waitEnd();
  t.match(admin.text(), /Event: Shutdown\r\nPrivilege: system,all\r\nShutdown: Cleanly\r\nRestart: True\r\n\r\n$/);
  await sleep(100);
  const refused = await connectRefused(port);
  t.ok(refused, 'not listening while down');
  await restarted;
  t.equal(sim.port, port, 'same port');
  const again = await loginRaw(t, port, 'admin', 'adminpw');
  t.match(again.text(), /Uptime: 0\r\n/, 'uptime starts over');
  again.send('Action: Getvar\r\nActionID: g\r\nVariable: G\r\n\r\n');
  await again.waitFor(/ActionID: g\r\nVariable: G\r\nValue: \r\n/);
  t.pass('globals are gone');
});

t.test('kill: no Shutdown, every socket dropped, not listening, then the same port again; accepted counts connects', async (t) => {
  const sim = await startSimForTest(t);
  const port = sim.port;
  const admin = await loginRaw(t, port, 'admin', 'adminpw');
  const before = admin.text().length;
  t.equal(sim.accepted, 1);
  const killed = sim.kill(300);
  await admin.waitEnd();
  t.equal(admin.text().slice(before), '', 'not a byte: a crash says nothing');
  await sleep(100);
  const refused = await connectRefused(port);
  t.ok(refused, 'not listening while down');
  await killed;
  const again = await loginRaw(t, port, 'admin', 'adminpw');
  t.match(again.text(), /Authentication accepted/);
  t.equal(sim.accepted, 2, 'refused connects never reach the sim');
});

t.test('fullyBootedDelayMs: logins get no FullyBooted until booting ends, then it is broadcast', async (t) => {
  const sim = await startSimForTest(t, { fullyBootedDelayMs: 400 });
  const admin = await loginRaw(t, sim.port, 'admin', 'adminpw');
  const reader = await loginRaw(t, sim.port, 'limited', 'limitedpw');
  t.notMatch(admin.text(), /FullyBooted/, 'no inline FullyBooted while booting');
  await admin.waitFor(/Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: \d+\r\nLastReload: \d+\r\nStatus: Fully Booted\r\n\r\n/, 3000);
  await sleep(50);
  t.notMatch(reader.text(), /FullyBooted/, 'not to a session that cannot read system');
  const late = await loginRaw(t, sim.port, 'admin', 'adminpw');
  await late.waitFor(/Event: FullyBooted/, 2000);
  t.pass('after booting, a login gets it inline again');
});

t.test('writetimeout: a reader that stops reading is dropped', async (t) => {
  const sim = await startSimForTest(t, { users: [{ name: 'slow', secret: 's', read: 'all', write: 'all', writetimeout: 100 }] });
  const c = await loginRaw(t, sim.port, 'slow', 's');
  c.socket.pause();
  const payload = 'x'.repeat(8000);
  for (let i = 0; i < 4000 && sim.sessionCount() > 0; i++) {
    sim.emitEvent('Bulk', 'user', [['Payload', payload]]);
    if (i % 100 === 99) await sleep(5);
  }
  const deadline = Date.now() + 3000;
  while (sim.sessionCount() > 0 && Date.now() < deadline) await sleep(20);
  t.equal(sim.sessionCount(), 0, 'the session was dropped');
});

t.test('legacyCommand answers like Asterisk 13', async (t) => {
  const sim = await startSimForTest(t, { legacyCommand: true });
  const c = await loginRaw(t, sim.port, 'admin', 'adminpw', 'Events: off\r\n');
  c.send('Action: Command\r\nActionID: v\r\nCommand: core show channels\r\n\r\n');
  await c.waitFor(/--END COMMAND--\r\n\r\n$/);
  const text = c.text().slice(c.text().indexOf('Response: Follows'));
  t.match(text, /^Response: Follows\r\nPrivilege: Command\r\nActionID: v\r\nChannel {58}Location {25}State   Application\(Data\) {13}\n0 active channels\n0 active calls\n0 calls processed\n--END COMMAND--\r\n\r\n$/);
  const m = parse(BANNER + text)[0]!;
  t.equal(m.get('ActionID'), 'v', 'the legacy parser reads it');
  t.equal(m.body, 'Channel'.padEnd(64) + ' ' + 'Location'.padEnd(32) + ' State   ' + 'Application(Data)'.padEnd(30) + '\n0 active channels\n0 active calls\n0 calls processed\n');
});

t.test('actions the captures do not show', async (t) => {
  const sim = await startSimForTest(t, { systemName: 'amiref' });
  const c = await loginRaw(t, sim.port, 'admin', 'adminpw');
  const limited = await loginRaw(t, sim.port, 'limited', 'limitedpw', 'Events: off\r\n');
  const ask = async (client: typeof c, text: string, id: string): Promise<string> => {
    const from = client.text().length;
    client.send(text.replace('\r\n', `\r\nActionID: ${id}\r\n`));
    await client.waitFor((s) => new RegExp(`ActionID: ${id}\\r\\n[\\s\\S]*?\\r\\n\\r\\n`).test(s.slice(from)));
    const tail = client.text().slice(from);
    return tail.slice(tail.indexOf('Response:'));
  };
  t.match(await ask(c, 'Action: UserEvent\r\nUserEvent: Custom\r\nFoo: bar\r\n\r\n', 'u1'), /^Response: Success\r\nActionID: u1\r\nMessage: Event Sent\r\n\r\n/);
  await c.waitFor(/Event: UserEvent\r\nPrivilege: user,all\r\nSystemName: amiref\r\nUserEvent: Custom\r\nActionID: u1\r\nFoo: bar\r\n\r\n/);
  t.pass('UserEvent copies the other headers, ActionID included');
  t.match(await ask(c, 'Action: CoreStatus\r\n\r\n', 'cs'), /^Response: Success\r\nActionID: cs\r\nCoreStartupDate: \d{4}-\d\d-\d\d\r\nCoreStartupTime: \d\d:\d\d:\d\d\r\n/);
  t.match(await ask(c, 'Action: CoreSettings\r\n\r\n', 'cst'), /AMIversion: 11\.0\.0\r\nAsteriskVersion: GIT-22-22\.0\.0-pre1-541-g69535d4837\r\nSystemName: amiref\r\n/);
  t.equal(await ask(c, 'Action: Bridge\r\n\r\n', 'b'), 'Response: Error\r\nActionID: b\r\nMessage: Bridge is not modelled by the amigate simulator\r\n\r\n');
  t.equal(await ask(c, 'Action: GetConfig\r\nFilename: extensions.conf\r\nCategory: nosuch\r\n\r\n', 'gc'), 'Response: Success\r\nActionID: gc\r\nNo categories found\r\n\r\n');
  t.equal(await ask(c, 'Action: Reload\r\nModule: nosuch.so\r\n\r\n', 'r'), 'Response: Error\r\nActionID: r\r\nMessage: No such module\r\n\r\n');
  t.equal(await ask(limited, 'Action: Originate\r\nChannel: Local/100@test\r\nApplication: System\r\nData: rm -rf /\r\n\r\n', 'o1'),
    'Response: Error\r\nActionID: o1\r\nMessage: Originate Access Forbidden: Application\r\n\r\n', 'S13 without the system class');
  t.equal(await ask(limited, 'Action: Originate\r\nChannel: Local/100@test\r\nApplication: NoOp\r\nData: ${SHELL(id)}\r\n\r\n', 'o2'),
    'Response: Error\r\nActionID: o2\r\nMessage: Originate Access Forbidden: Data\r\n\r\n');
  t.equal(await ask(c, 'Action: Originate\r\nChannel: Local/100@test\r\nContext: test\r\nExten: abc\r\nPriority: 1\r\n\r\n', 'o3'),
    'Response: Error\r\nActionID: o3\r\nMessage: Extension does not exist.\r\n\r\n');
  t.equal(await ask(limited, 'Action: Getvar\r\nVariable: SHELL(id)\r\n\r\n', 'g1'), 'Response: Error\r\nActionID: g1\r\nMessage: GetVar Access Forbidden: Variable\r\n\r\n');
  t.equal(await ask(c, 'Action: Hangup\r\nChannel: Local/none-1;1\r\n\r\n', 'h0'), 'Response: Error\r\nActionID: h0\r\nMessage: No such channel\r\n\r\n');
});

t.test('a call hung up with the Hangup action; Status and CoreShowChannels follow the model', async (t) => {
  const sim = await startSimForTest(t);
  const c = await loginRaw(t, sim.port, 'admin', 'adminpw');
  c.send('Action: Originate\r\nActionID: o\r\nChannel: Local/200@test\r\nApplication: Wait\r\nData: 30\r\nAsync: true\r\nVariable: A=1,B=2\r\n\r\n');
  await c.waitFor(/Event: OriginateResponse\r\n[\s\S]*?\r\n\r\n/);
  const name = /Channel: (Local\/200@test-[0-9a-f]{8};1)\r\n/.exec(c.text())![1]!;
  t.equal(events(c.text(), 'VarSet').filter((e) => e.get('Channel') === name).map((e) => `${e.get('Variable')}=${e.get('Value')}`).join(' '), 'A=1 B=2',
    'Variable headers may hold several comma-separated pairs');
  c.send(`Action: Status\r\nActionID: s\r\nChannel: ${name}\r\nVariables: A,NOPE\r\nAllVariables: yes\r\n\r\n`);
  await c.waitFor(/Event: StatusComplete\r\nActionID: s\r\n/);
  t.match(c.text(), /Variable: A=1\r\nVariable: NOPE=\(null\)\r\nVariable: A=1\r\nVariable: B=2\r\nActionID: s\r\n\r\n/, 'explicit variables, then all of them');
  c.send('Action: Hangup\r\nActionID: h\r\nChannel: /^Local\\/200@/\r\n\r\n');
  await c.waitFor(/Event: ChannelsHungupListComplete\r\nActionID: h\r\nEventList: Complete\r\nListItems: 2\r\n/);
  await c.waitFor(/State: NOT_INUSE\r\n\r\nEvent: DeviceStateChange\r\n[^]*?NOT_INUSE\r\n\r\n/);
  const seq = events(c.text()).map((e) => e.get('Event')).slice(-7);
  t.same(seq, ['SoftHangupRequest', 'HangupRequest', 'Hangup', 'SoftHangupRequest', 'Hangup', 'DeviceStateChange', 'DeviceStateChange']);
  c.send('Action: CoreShowChannels\r\nActionID: l\r\n\r\nAction: Command\r\nActionID: cmd\r\nCommand: core show channels\r\n\r\n');
  await c.waitFor(/ActionID: cmd\r\n[\s\S]*?\r\n\r\n/);
  t.match(c.text(), /Event: CoreShowChannelsComplete\r\nActionID: l\r\nEventList: Complete\r\nListItems: 0\r\n/);
  t.match(c.text(), /Output: 0 active channels\r\nOutput: 0 active calls\r\nOutput: 1 call processed\r\n/);
});

t.test('the generator: a fixed rate, the same events for the same seed', async (t) => {
  const simA = await startSimForTest(t, { eventsPerSecond: 2000, seed: 42 });
  const simB = await startSimForTest(t);
  const a = await loginRaw(t, simA.port, 'admin', 'adminpw');
  const b = await loginRaw(t, simB.port, 'admin', 'adminpw');
  simB.setGenerator(2000, 42);
  await sleep(1000);
  const got = events(a.text()).filter((e) => e.get('Event') !== 'SuccessfulAuth' && e.get('Event') !== 'FullyBooted');
  t.ok(got.length > 1400 && got.length < 2600, `about 2000 events in a second (${got.length})`);
  await b.waitFor(() => events(b.text()).length > 300);
  const shape = (text: string) => events(text).filter((e) => !/SuccessfulAuth|FullyBooted/.test(e.get('Event')!)).slice(0, 300)
    .map((e) => `${e.get('Event')} ${e.get('Channel') ?? e.get('DestChannel') ?? e.get('LocalOneChannel') ?? e.get('Device')} ${e.get('ChannelState') ?? ''}`);
  t.same(shape(b.text()), shape(a.text()), 'same seed, same sequence');
  const kinds = new Set(got.map((e) => e.get('Event')));
  for (const k of ['Newchannel', 'Newexten', 'VarSet', 'DialBegin', 'Newstate', 'DialEnd', 'UserEvent', 'Hangup', 'DeviceStateChange']) t.ok(kinds.has(k), k);
  simA.setGenerator(0);
  await sleep(50);
  const n = a.text().length;
  await sleep(100);
  t.equal(a.text().length, n, 'rate 0 stops it');
});
