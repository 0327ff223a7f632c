// `amigate tunnel` end to end (issue 14 part 3): unmodified client libraries
// that cannot do TLS log in, Ping, list CoreShowChannels, Originate and Logoff
// through a local plaintext port carried over TLS to amigate's TLS listener and
// to an mTLS listener bound to a certificate user; a wrong CA, a missing client
// certificate and a wrong name stop the command with one clear line.

import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { run as tunnel } from '../../../src/cli/tunnel.js';
import type { CliIo, Service } from '../../../src/cli/types.js';
import { startProxy, waitUntil, type ProxyHarness } from '../../helpers/start-proxy.js';
import { makeTestCerts, type TestCerts } from '../../helpers/certs.js';
import { AmiClient, AsteriskManager } from '../../helpers/third-party-clients.js';

const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript') || a === '--enable-source-maps');

function io(): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {} }, out: () => out, err: () => err };
}

/** The local ports a running `amigate tunnel` printed, in order. */
function printedPorts(out: string): number[] {
  return [...out.matchAll(/^amigate tunnel: 127\.0\.0\.1:(\d+) -> /gm)].map((m) => Number(m[1]));
}

async function gate(t: Test): Promise<{ h: ProxyHarness; certs: TestCerts }> {
  const certs = await makeTestCerts(t);
  const p = certs.paths;
  const subject = new X509Certificate(await readFile(p.client)).subject.split('\n').join(',');
  const h = await startProxy(t, {
    users: {
      crm: { secret: 'crmpw', read: 'all', write: 'call,reporting,originate,command,system' },
      certuser: { secret: 'certpw', read: 'all', write: 'call,reporting,originate,system', certificate: { subject } },
    },
    tls: { certfile: p.server, privatekey: p.serverKey },
    listeners: [{ name: 'mtls', bindaddr: '127.0.0.1', tls: { certfile: p.server, privatekey: p.serverKey, cafile: p.ca, verifyclient: true } }],
  });
  return { h, certs };
}

t.test('asterisk-manager through the tunnel to a TLS listener', async (t) => {
  const { h, certs } = await gate(t);
  const d = io();
  const svc = await tunnel(['--listen', '127.0.0.1:0', '--connect', `127.0.0.1:${h.tlsPort!}`, '--ca', certs.paths.ca, '--servername', 'localhost'], d.io) as Service;
  t.teardown(() => svc.close('test'));
  const [port] = printedPorts(d.out());
  t.ok(port, 'the local port is printed');

  const events: Array<Record<string, string>> = [];
  const ami = AsteriskManager(port!, '127.0.0.1', 'crm', 'crmpw', true);
  t.teardown(() => ami.disconnect());
  ami.on('managerevent', (e) => events.push(e));
  const act = (a: Record<string, string>) => new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout ' + a['action'])), 10000);
    ami.action(a, (err, res) => { clearTimeout(timer); if (err && !(err as Record<string, string>)['response']) reject(err); else resolve((res ?? err) as Record<string, string>); });
  });
  t.equal((await act({ action: 'ping' }))['ping'], 'Pong', 'Ping');
  const csc = await act({ action: 'coreshowchannels' });
  t.equal(csc['eventlist'], 'start', 'CoreShowChannels list');
  const orig = await act({ action: 'originate', channel: 'Local/100@test', application: 'Wait', data: '1', async: 'true' });
  t.equal(orig['message'], 'Originate successfully queued', 'Originate');
  await waitUntil(() => events.some((e) => e['event'] === 'OriginateResponse') && events.some((e) => e['event'] === 'CoreShowChannelsComplete'), 10000, 'OriginateResponse and list completion');
  t.equal(events.find((e) => e['event'] === 'OriginateResponse')?.['actionid'], orig['actionid'], 'OriginateResponse with the library\'s ActionID');
  const bye = await act({ action: 'logoff' });
  t.equal(bye['response'], 'Goodbye', 'Logoff');

  const logins = h.logs().filter((l) => l['audit'] === 'loginSucceeded');
  t.same(logins.map((l) => [l['user'], l['listener']]), [['crm', 'tls']], 'amigate saw the login on its TLS listener');
  t.equal(d.err(), '', 'no failure lines');
});

t.test('asterisk-ami-client through a tunnels file to an mTLS listener with a certificate user', async (t) => {
  const { h, certs } = await gate(t);
  const p = certs.paths;
  const file = join(certs.dir, 'tunnels.yaml');
  await writeFile(file, `tunnels:
  - name: tls
    listen: 127.0.0.1:0
    connect: 127.0.0.1:${h.tlsPort!}
    ca: ${p.ca}
    servername: localhost
  - name: mtls
    listen: 127.0.0.1:0
    connect: 127.0.0.1:${h.portOf('mtls')}
    ca: ${p.ca}
    cert: ${p.client}
    key: ${p.clientKey}
    servername: localhost
`);
  const d = io();
  const svc = await tunnel(['--config', file], d.io) as Service;
  t.teardown(() => svc.close('test'));
  const ports = printedPorts(d.out());
  t.equal(ports.length, 2, 'both tunnels listen');
  t.match(d.out(), /-> 127\.0\.0\.1:\d+ \(TLS, client certificate, name localhost\)/, 'the mTLS tunnel says it presents a certificate');

  const client = new AmiClient({ reconnect: false, keepAlive: false, emitEventsByTypes: true });
  const events: Array<Record<string, string>> = [];
  client.on('event', (e) => events.push(e));
  await client.connect('certuser', 'certpw', { host: '127.0.0.1', port: ports[1]! });
  t.teardown(() => client.disconnect());
  t.equal((await client.action({ Action: 'Ping' }, true))['Ping'], 'Pong', 'Ping');
  const csc = await client.action({ Action: 'CoreShowChannels', ActionID: 'csc-1' }, true);
  t.equal(csc['EventList'], 'start', 'CoreShowChannels');
  const orig = await client.action({ Action: 'Originate', ActionID: 'orig-1', Channel: 'Local/100@test', Application: 'Wait', Data: '1', Async: 'true' }, true);
  t.equal(orig['Message'], 'Originate successfully queued', 'Originate');
  await waitUntil(() => events.some((e) => e['Event'] === 'OriginateResponse') && events.some((e) => e['Event'] === 'CoreShowChannelsComplete'), 10000, 'events');
  t.equal(events.find((e) => e['Event'] === 'OriginateResponse')?.['ActionID'], 'orig-1');
  const bye = await client.action({ Action: 'Logoff' }, true).catch((e: unknown) => e as Record<string, string>);
  t.equal(bye['Response'], 'Goodbye', 'Logoff');
  const logins = h.logs().filter((l) => l['audit'] === 'loginSucceeded');
  t.same(logins.map((l) => [l['user'], l['listener']]), [['certuser', 'mtls']], 'the certificate-bound user logged in over the mTLS listener');

  // The same user through the plain TLS tunnel (no client certificate) is refused by amigate.
  const other = new AmiClient({ reconnect: false, keepAlive: false });
  await t.rejects(other.connect('certuser', 'certpw', { host: '127.0.0.1', port: ports[0]! }), 'no certificate, no login for a certificate user');
  other.disconnect();
});

t.test('certificate problems stop the command with one clear line', async (t) => {
  const { h, certs } = await gate(t);
  const p = certs.paths;
  const base = ['--listen', '127.0.0.1:0', '--servername', 'localhost'];
  await t.rejects(tunnel([...base, '--connect', `127.0.0.1:${h.tlsPort!}`, '--ca', p.untrusted], io().io),
    { code: 'AMIGATE_ERR_TLS', message: /its certificate is not trusted by the given CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE.*check --ca/ }, 'a CA that did not sign the gate');
  await t.rejects(tunnel(['--listen', '127.0.0.1:0', '--connect', `127.0.0.1:${h.tlsPort!}`, '--ca', p.ca, '--servername', 'gate.example'], io().io),
    { code: 'AMIGATE_ERR_TLS', message: /its certificate is not for gate\.example \(set --servername/ }, 'a name the certificate does not carry');
  await t.rejects(tunnel([...base, '--connect', `127.0.0.1:${h.portOf('mtls')}`, '--ca', p.ca], io().io),
    { code: 'AMIGATE_ERR_TLS', message: /the gate refused the TLS handshake \(alert: certificate required\); the listener wants a client certificate: give --cert and --key$/ }, 'an mTLS listener without a client certificate');
  await t.rejects(tunnel([...base, '--connect', `127.0.0.1:${h.portOf('mtls')}`, '--ca', p.ca, '--cert', p.untrusted, '--key', p.untrustedKey], io().io),
    { code: 'AMIGATE_ERR_TLS', message: /the gate closed the connection during the TLS handshake, after our client certificate: is the client certificate \(--cert\) issued by the CA the listener trusts\?$/ }, 'a client certificate the listener does not trust');

  // The real command: exit 1 and the reason on one line, no stack trace.
  const child = spawn(process.execPath, [...loader, 'src/main.ts', 'tunnel', ...base, '--connect', `127.0.0.1:${h.tlsPort!}`, '--ca', p.untrusted], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 1, 'exit 1');
  t.match(stderr, /^amigate: tunnel 127\.0\.0\.1:0: 127\.0\.0\.1:\d+: its certificate is not trusted by the given CA/, 'names the tunnel and the gate');
  t.notMatch(stderr, /\n\s+at /, 'no stack trace');
});

t.test('a gate that is down: a warning at start, one line per refused connection', async (t) => {
  const { h, certs } = await gate(t);
  const port = h.tlsPort!;
  await h.proxy.close('test');
  const d = io();
  const svc = await tunnel(['--listen', '127.0.0.1:0', '--connect', `127.0.0.1:${port}`, '--ca', certs.paths.ca, '--servername', 'localhost'], d.io) as Service;
  t.teardown(() => svc.close('test'));
  t.match(d.err(), /warning: the gate is not reachable now \(127\.0\.0\.1:\d+: connect ECONNREFUSED/, 'warned, still serving');
  const [local] = printedPorts(d.out());
  const net = await import('node:net');
  const s = net.connect({ host: '127.0.0.1', port: local! });
  await new Promise<void>((resolve) => s.on('close', () => resolve()).on('error', () => {}));
  await waitUntil(() => /connection from 127\.0\.0\.1:\d+ closed: .*ECONNREFUSED/.test(d.err()), 5000, 'the failure line');
  t.pass('the client is closed, the operator told why');
});

t.test('usage: loopback only unless --insecure, ca required, cert with key', async (t) => {
  await t.rejects(tunnel(['--listen', '0.0.0.0:5038', '--connect', '127.0.0.1:5039', '--ca', '/nonexistent'], io().io),
    { code: 'AMIGATE_ERR_USAGE', message: /--listen: 0\.0\.0\.0 is not a loopback address/ });
  await t.rejects(tunnel(['--listen', '127.0.0.1:5038', '--connect', '127.0.0.1:5039'], io().io),
    { code: 'AMIGATE_ERR_USAGE', message: /--ca: is required/ });
  await t.rejects(tunnel(['--listen', '127.0.0.1:5038', '--connect', 'gate', '--ca', '/nonexistent', '--cert', 'x.crt'], io().io),
    { code: 'AMIGATE_ERR_USAGE', message: /--connect: "gate" is not host:port[\s\S]*--key: cert and key go together[\s\S]*--ca: cannot read \/nonexistent \(ENOENT\)/ });
  await t.rejects(tunnel(['--config', 'x.yaml', '--listen', '127.0.0.1:1'], io().io), { code: 'AMIGATE_ERR_USAGE', message: /drop --listen/ });
  const h = io();
  t.equal(await tunnel(['--help'], h.io), 0);
  t.match(h.out(), /^usage: amigate tunnel /);
});
