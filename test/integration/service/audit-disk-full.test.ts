// A full disk under log.file, on the real CLI process (issue 12, goal 4):
// amigate keeps answering, counts every line it could not write in
// amigate_log_lines_dropped_total, and says why on stderr once.

import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSim } from '../../../src/sim/server.js';
import { UPSTREAM_USER, waitUntil } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { runAmigate as run } from '../../helpers/spawn-amigate.js';
import { freePort } from '../../helpers/free-port.js';
import { httpGet } from '../../helpers/http-get.js';

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

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
