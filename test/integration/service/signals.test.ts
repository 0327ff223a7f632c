// amigate as a real process (issue 5 items 4-5): SIGHUP reloads the file
// without dropping sessions (a changed user's rights apply at once, a removed
// user is closed, an invalid file is refused with file:line:key and the old
// configuration stays), and SIGTERM drains: in-flight actions finish, clients
// get Event: Shutdown the way Asterisk sends it, and the process exits 0.

import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { startSim } from '../../../src/sim/server.js';
import { UPSTREAM_USER, waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { spawnAmigate } from '../../helpers/spawn-amigate.js';

/** A timer that does not keep the test process alive. */
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

function configText(simPort: number, users: string): string {
  return `general: { authtimeout: 5, draintimeout: 3000 }
listeners:
  - { name: plain, bindaddr: 127.0.0.1, port: 0 }
upstreams:
  - { name: pbx1, host: 127.0.0.1, port: ${simPort}, username: ${UPSTREAM_USER.name}, secret: ${UPSTREAM_USER.secret}, connections: 2 }
log: { level: info }
users:
${users}`;
}

t.test('SIGHUP reload and SIGTERM drain on a spawned amigate', async (t) => {
  const sim = await startSim({ users: [UPSTREAM_USER] });
  t.teardown(() => sim.close());
  const amigate = await spawnAmigate(t, configText(sim.port, `  ops: { secret: opspw, read: call, write: call }
  gone: { secret: gonepw, read: call }
`));
  const { file, logged } = amigate;
  const port = amigate.portOf('plain');
  await waitUntil(() => sim.sessionCount() >= 2, 10000, 'upstream logged in');

  const ops = await TestClient.connect({ port });
  const gone = await TestClient.connect({ port });
  t.teardown(() => Promise.all([ops.close(), gone.close()]));
  t.equal((await ops.login('ops', 'opspw')).get('Message'), 'Authentication accepted');
  t.equal((await gone.login('gone', 'gonepw')).get('Message'), 'Authentication accepted');
  const denied = await ops.action([['Action', 'CoreStatus']], { id: 'cs1' });
  t.equal(denied.get('Message'), 'Permission denied', 'before the reload: no system write');
  let mark = ops.received.length;
  sim.emitEvent('ReloadProbe', 'system', [['N', '1']]);
  sim.emitEvent('ReloadProbe', 'call', [['N', '2']]);
  await ops.waitFor((m) => m.get('N') === '2', 5000, mark);
  t.notOk(ops.received.slice(mark).some((m) => m.get('N') === '1'), 'no system events yet');

  // SIGHUP with ops widened and gone removed.
  await writeFile(file, configText(sim.port, `  ops: { secret: opspw, read: "system,call", write: "system,call" }
`));
  amigate.kill('SIGHUP');
  await logged((l) => l['msg'] === 'configuration reloaded', 'reloaded');
  await Promise.race([gone.closedPromise, delay(3000)]);
  t.ok(gone.closed, 'a removed user is closed');
  t.ok(!ops.closed, 'the changed user stays connected');
  const allowed = await ops.action([['Action', 'CoreStatus']], { id: 'cs2' });
  t.equal(allowed.get('Response'), 'Success', 'the new write classes apply at once');
  mark = ops.received.length;
  sim.emitEvent('ReloadProbe', 'system', [['N', '3']]);
  t.equal((await ops.waitFor((m) => m.get('N') === '3', 5000, mark)).get('Event'), 'ReloadProbe', 'the new read classes apply at once');

  // An invalid file is refused; the running configuration stays.
  await writeFile(file, configText(sim.port, `  ops: { secret: opspw, read: "system,call", write: "system,call", colour: blue }
`));
  amigate.kill('SIGHUP');
  const rejected = await logged((l) => l['msg'] === 'reload rejected; the running configuration stays in force', 'rejected');
  t.match(JSON.stringify(rejected), /amigate\.yaml:\d+: users\.ops\.colour/, 'the log line names file, line and key');
  const still = await ops.action([['Action', 'CoreStatus']], { id: 'cs3' });
  t.equal(still.get('Response'), 'Success', 'old rights still in force');
  const again = await TestClient.connect({ port });
  t.teardown(() => again.close());
  t.equal((await again.login('ops', 'opspw')).get('Message'), 'Authentication accepted', 'logins still work');

  // SIGTERM while an action is in flight: it finishes, then Event: Shutdown, then exit 0.
  sim.hang(true);
  const inflight = ops.action([['Action', 'CoreStatus']], { id: 'cs4', ms: 8000 });
  await delay(100);
  amigate.kill('SIGTERM');
  await delay(300);
  t.ok(!ops.closed, 'still open while the action is in flight');
  sim.hang(false);
  const done = await inflight;
  t.equal(done.get('Response'), 'Success', 'the in-flight action got its answer');
  const shutdown = await ops.waitFor((m) => m.get('Event') === 'Shutdown', 5000, 0);
  t.equal(shutdown.toString(), 'Event: Shutdown\r\nPrivilege: system,all\r\nShutdown: Cleanly\r\nRestart: False\r\n\r\n');
  await Promise.race([ops.closedPromise, delay(5000)]);
  t.ok(ops.closed, 'then the connection is closed');
  await Promise.race([amigate.exited, delay(10000)]);
  t.equal(amigate.exitCode, 0, `exit code 0 ${amigate.stderr()}`);
});
