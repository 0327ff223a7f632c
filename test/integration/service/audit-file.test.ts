// The audit trail in log.file, on the real CLI process (issue 12, goal 4): no
// record is lost across a SIGHUP with logrotate moving the file, an upstream
// crash with an action in flight, and a SIGTERM right after the last answer
// (when the last records are still in the buffer); and a full disk
// (/dev/full) neither stops amigate nor goes unnoticed.

import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { startSim } from '../../../src/sim/server.js';
import { UPSTREAM_USER, waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { httpGet } from '../../helpers/http-get.js';

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript') || a === '--enable-source-maps');
type Line = Record<string, unknown>;

function readLines(path: string): Line[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Line);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function run(t: Test, config: string): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [...loader, 'src/main.ts', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => { code = c; resolve(c); }));
  t.teardown(() => { if (code === undefined) child.kill('SIGKILL'); });
  return { child, exited, stderr: () => err };
}

t.test('no audit record lost across SIGHUP (logrotate), an upstream crash and SIGTERM', async (t) => {
  const sim = await startSim({ users: [UPSTREAM_USER] });
  t.teardown(() => sim.close());
  const dir = t.testdir({});
  const log = join(dir, 'amigate.log');
  const config = join(dir, 'amigate.yaml');
  writeFileSync(config, `general: { draintimeout: 3000, actiontimeout: 10000 }
listeners:
  - { name: plain, bindaddr: 127.0.0.1, port: 0 }
upstreams:
  - { name: pbx1, host: 127.0.0.1, port: ${sim.port}, username: ${UPSTREAM_USER.name}, secret: ${UPSTREAM_USER.secret}, connections: 1 }
log: { file: ${log} }
users:
  ops: { secret: opspw, read: all, write: all }
`);
  const { child, exited, stderr } = run(t, config);
  let listening: Line | undefined;
  await waitUntil(() => (listening = readLines(log).find((l) => l['msg'] === 'listening')) !== undefined, 60000, 'listening line in the file');
  await waitUntil(() => sim.sessionCount() >= 1, 30000, 'upstream logged in');
  const c = await TestClient.connect({ port: (listening!['address'] as { port: number }).port });
  t.teardown(() => c.close());
  t.equal((await c.login('ops', 'opspw')).get('Message'), 'Authentication accepted');

  const sent: string[] = [];
  const send = async (i: number) => {
    const id = `a${i}`;
    sent.push(id);
    const r = await c.action([['Action', i % 2 === 0 ? 'Ping' : 'CoreStatus']], { id });
    if (r.get('Response') !== 'Success') t.fail(`${id} answered ${r.get('Response')}`);
  };
  for (let i = 0; i < 150; i++) await send(i);
  // logrotate: move the file, then SIGHUP; amigate reopens the path.
  renameSync(log, `${log}.1`);
  child.kill('SIGHUP');
  await waitUntil(() => readLines(log).some((l) => l['msg'] === 'configuration reloaded'), 30000, 'reload logged in the new file');
  for (let i = 150; i < 300; i++) await send(i);

  // An upstream crash with an action in flight: it ends upstream-lost, and is audited.
  sim.hang(true);
  sent.push('lost');
  const lost = c.action([['Action', 'CoreStatus']], { id: 'lost', ms: 10000 });
  await delay(200);
  await sim.kill(300);
  t.equal((await lost).get('Response'), 'Error', 'the in-flight action is answered with an error');

  // SIGTERM at once: the last records are still in the buffer.
  child.kill('SIGTERM');
  t.equal(await Promise.race([exited, delay(30000).then(() => 'timeout')]), 0, `exit 0 ${stderr()}`);

  const lines = [...readLines(`${log}.1`), ...readLines(log)];
  const actions = lines.filter((l) => l['audit'] === 'action');
  t.same(actions.map((l) => l['actionId']), sent, 'one action record per action, in order, across both files');
  t.match(actions.at(-1), { actionId: 'lost', result: 'upstream-lost', upstream: 'pbx1' });
  t.ok(readLines(`${log}.1`).some((l) => l['actionId'] === 'a149') && readLines(log).some((l) => l['actionId'] === 'a150'), 'the rotation split the records at the SIGHUP');
  for (const type of ['loginSucceeded', 'upstreamDown', 'sessionClosed']) t.ok(lines.some((l) => l['audit'] === type), `${type} recorded`);
  t.match(lines.find((l) => l['audit'] === 'sessionClosed'), { cause: 'shutdown' });
  t.equal(lines.at(-1)!['msg'], 'stopped', 'the last line is the one written just before exit');
});

t.test('a full disk (/dev/full): amigate keeps answering, counts the lost lines, and says so', { skip: !existsSync('/dev/full') && 'no /dev/full' }, async (t) => {
  const sim = await startSim({ users: [UPSTREAM_USER] });
  t.teardown(() => sim.close());
  const dir = t.testdir({});
  const [port, admin] = [await freePort(), await freePort()];
  const config = join(dir, 'amigate.yaml');
  writeFileSync(config, `listeners:
  - { name: plain, bindaddr: 127.0.0.1, port: ${port} }
upstreams:
  - { name: pbx1, host: 127.0.0.1, port: ${sim.port}, username: ${UPSTREAM_USER.name}, secret: ${UPSTREAM_USER.secret}, connections: 1 }
admin: { bindaddr: 127.0.0.1, port: ${admin} }
log: { file: /dev/full }
users:
  ops: { secret: opspw, read: all, write: all }
`);
  const { child, exited, stderr } = run(t, config);
  let c: TestClient | undefined;
  await waitUntil(() => sim.sessionCount() >= 1, 60000, 'upstream logged in');
  for (let i = 0; i < 100 && !c; i++) c = await TestClient.connect({ port }).catch(async () => { await delay(100); return undefined; });
  t.teardown(() => c?.close());
  t.equal((await c!.login('ops', 'opspw')).get('Message'), 'Authentication accepted');
  for (let i = 0; i < 20; i++) t.equal((await c!.action([['Action', 'CoreStatus']], { id: `f${i}` })).get('Response'), 'Success', `f${i} answered`);
  let dropped = 0;
  for (let i = 0; i < 50 && dropped < 20; i++) {
    const m = /^amigate_log_lines_dropped_total (\d+)$/m.exec((await httpGet(admin, '/metrics')).body);
    dropped = Number(m?.[1] ?? 0);
    if (dropped < 20) await delay(100);
  }
  t.ok(dropped >= 20, `amigate_log_lines_dropped_total = ${dropped} (the 20 action records at least)`);
  t.match(stderr(), /cannot write the log file \/dev\/full: ENOSPC/, 'stderr says why, once');
  t.equal(stderr().split('cannot write the log file').length - 1, 1, 'once, not per line');
  child.kill('SIGTERM');
  t.equal(await Promise.race([exited, delay(30000).then(() => 'timeout')]), 0, 'exits 0');
});
