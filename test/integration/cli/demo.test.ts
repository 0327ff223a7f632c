// `amigate demo` end to end: start it on free ports with its certificates in a
// temporary directory, take the `client ... --tls` command it prints, run that
// client with exactly those arguments, and see it log in over TLS and receive
// generated call events. Both run in-process through their CLI modules (what
// src/main.ts dispatches `demo` and `client` to), so no build is needed.

import t from 'tap';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { run as demo } from '../../../src/cli/demo.js';
import { run as client } from '../../../src/cli/client.js';
import type { CliIo, Service } from '../../../src/cli/types.js';
import { waitUntil } from '../../helpers/start-proxy.js';
import { wsConnect } from '../../helpers/ws-client.js';
import https from 'node:https';
import { readFile } from 'node:fs/promises';

function io(): { io: CliIo; out: () => string; stdin: PassThrough } {
  const stdout = new PassThrough();
  const stdin = new PassThrough();
  let text = '';
  stdout.on('data', (d: Buffer) => { text += d.toString(); });
  return { io: { stdout, stderr: new PassThrough(), stdin, env: {} }, out: () => text, stdin };
}

t.test('the printed client command logs in over TLS and receives events', async (t) => {
  const dir = join(t.testdir({}), 'certs');
  const d = io();
  const service = await demo(['--tls-port', '0', '--plain-port', '0', '--https-port', '0', '--admin-port', '0', '--sim-port', '0',
    '--events-per-second', '20', '--dir', dir, '--log-level', 'error'], d.io) as Service;
  t.teardown(() => service.close('test'));
  t.ok(existsSync(join(dir, 'ca.crt')) && existsSync(join(dir, 'server.key')), 'certificates written to --dir');

  const line = /^ *node dist\/src\/main\.js client (.+)$/m.exec(d.out())?.[1];
  t.ok(line, 'a client command is printed');
  const args = line!.trim().split(/\s+/);
  t.ok(args.includes('--tls'), 'over TLS');
  t.equal(args[args.indexOf('--ca') + 1], join(dir, 'ca.crt'), 'trusting the demo CA');
  t.not(Number(args[args.indexOf('--port') + 1]), 5039, 'on the free port, not the default');

  const c = io();
  const session = await client(args, c.io) as Service;
  t.teardown(() => session.close('test'));
  await waitUntil(() => /Message: Authentication accepted\n/.test(c.out()), 10000, 'the login reply');
  await waitUntil(() => /^Event: Newchannel\n/m.test(c.out()), 10000, 'a generated call event');
  t.match(c.out(), /^Event: FullyBooted\n/m);
  t.pass('logged in over TLS and receiving events');

  // Typed lines go out as an action (an empty line ends the packet).
  c.stdin.write('Action: Ping\nActionID: typed\n\n');
  await waitUntil(() => /Response: Success\nActionID: typed\nPing: Pong\n/.test(c.out()), 10000, 'the Ping reply');
  await session.close('test');
  await service.close('test');
});

t.test('the printed console URL serves the console, and its WebSocket logs the demo user in', async (t) => {
  const dir = join(t.testdir({}), 'certs');
  const d = io();
  const service = await demo(['--tls-port', '0', '--plain-port', '0', '--https-port', '0', '--admin-port', '0', '--sim-port', '0',
    '--events-per-second', '0', '--dir', dir, '--log-level', 'error'], d.io) as Service;
  t.teardown(() => service.close('test'));
  const url = /^ *(https:\/\/localhost:\d+\/console)$/m.exec(d.out())?.[1];
  t.ok(url, 'a console URL is printed');
  const secret = /user: demo +secret: (\S+)/.exec(d.out())![1]!;
  const ca = await readFile(join(dir, 'ca.crt'));
  const page = await new Promise<{ status: number; csp: string | undefined }>((resolve, reject) => {
    https.get(url!, { ca }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, csp: res.headers['content-security-policy'] as string | undefined });
    }).on('error', reject);
  });
  t.equal(page.status, 200);
  t.match(page.csp, /script-src 'self'/);
  const ws = await wsConnect(t, url!.replace(/^https/, 'wss').replace(/\/console$/, '/ws'), { protocols: 'ami-json', ca, rejectUnauthorized: true });
  await ws.waitFor(() => true);
  ws.action({ Action: 'Login', Username: 'demo', Secret: secret });
  await ws.waitFor((f) => f.includes('Authentication accepted'), 10000);
  t.pass('logged in over wss with the demo CA');
  await service.close('test');
});

t.test('the printed curl lines log in over HTTPS and poll events', async (t) => {
  const dir = join(t.testdir({}), 'certs');
  const d = io();
  const service = await demo(['--tls-port', '0', '--plain-port', '0', '--https-port', '0', '--admin-port', '0', '--sim-port', '0',
    '--events-per-second', '20', '--dir', dir, '--log-level', 'error'], d.io) as Service;
  t.teardown(() => service.close('test'));
  const lines = [...d.out().matchAll(/^ *(curl .+)$/gm)].map((m) => m[1]!);
  t.equal(lines.length, 2, 'a login line and a poll line');
  t.match(lines[0], /https:\/\/localhost:\d+\/rawman$/);
  const login = await sh(lines[0]!);
  t.match(login, /^Response: Success\r\nMessage: Authentication accepted\r\n/, 'logged in over HTTPS');
  let events = '';
  // Poll until a call starts after the login (the generator may be inside a call when it logs in), bounded.
  const until = Date.now() + 20000;
  for (let i = 0; i < 200 && Date.now() < until && !/Event: Newchannel\r\n/.test(events); i++) events += await sh(lines[1]!);
  t.match(events, /^Response: Success\r\nMessage: Waiting for Event completed\.\r\n/);
  t.match(events, /Event: Newchannel\r\n/, 'generated call events through waitevent');
  await service.close('test');
});

/** Run a printed shell line (curl with plain arguments and one single-quoted URL) without a shell. */
function sh(line: string): Promise<string> {
  const args = [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  return new Promise((resolve, reject) => {
    execFile(args[0]!, [...args.slice(1), '--silent', '--show-error', '--max-time', '30'], { encoding: 'latin1' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${line}: ${stderr}`));
      else resolve(stdout);
    });
  });
}

t.test('usage errors and --help', async (t) => {
  await t.rejects(demo(['--tls-port', 'x'], io().io), { code: 'AMIGATE_ERR_USAGE' });
  await t.rejects(demo(['--sim-port', '70000'], io().io), { code: 'AMIGATE_ERR_USAGE' });
  await t.rejects(demo(['--bogus'], io().io), { code: 'AMIGATE_ERR_USAGE' });
  const h = io();
  t.equal(await demo(['--help'], h.io), 0);
  t.match(h.out(), /^usage: amigate demo /);
});
