// The audit trail in log.file, on the real CLI process (issue 12, goal 4): no
// record is lost across a SIGHUP with logrotate moving the file, an upstream
// crash with an action in flight, and a SIGTERM right after the last answer
// (when the last records are still in the buffer). The full disk is
// audit-disk-full.test.ts (one spawned amigate per file: each takes seconds
// to start under the TypeScript loader).

import t from 'tap';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSim } from '../../../src/sim/server.js';
import { UPSTREAM_USER, waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { runAmigate as run } from '../../helpers/spawn-amigate.js';

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
type Line = Record<string, unknown>;

function readLines(path: string): Line[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Line);
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
  for (let i = 0; i < 100; i++) await send(i);
  // logrotate: move the file, then SIGHUP; amigate reopens the path.
  renameSync(log, `${log}.1`);
  child.kill('SIGHUP');
  await waitUntil(() => readLines(log).some((l) => l['msg'] === 'configuration reloaded'), 30000, 'reload logged in the new file');
  for (let i = 100; i < 200; i++) await send(i);

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
  t.ok(readLines(`${log}.1`).some((l) => l['actionId'] === 'a99') && readLines(log).some((l) => l['actionId'] === 'a100'), 'the rotation split the records at the SIGHUP');
  for (const type of ['loginSucceeded', 'upstreamDown', 'sessionClosed']) t.ok(lines.some((l) => l['audit'] === type), `${type} recorded`);
  t.match(lines.find((l) => l['audit'] === 'sessionClosed'), { cause: 'shutdown' });
  t.equal(lines.at(-1)!['msg'], 'stopped', 'the last line is the one written just before exit');
});
