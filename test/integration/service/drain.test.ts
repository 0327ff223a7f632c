// The drain order behind a load balancer (src/drain.ts, docs/scale-out.md):
// a stop first turns /readyz to 503 (`draining: true`, /healthz stays 200)
// while the listeners still accept and serve for general.drainreadydelay
// seconds; then it stops accepting and sessions start no new action (an action
// sent now is never forwarded: unanswered at Event: Shutdown means not run),
// in-flight actions finish, Event: Shutdown, close. A second stop request (a
// second SIGTERM to the process) cuts the delay short.

import t from 'tap';
import { parseConfig } from '../../../src/config/load.js';
import { ConfigInvalidError } from '../../../src/errors.js';
import { httpGet as get } from '../../helpers/http-get.js';
import { startProxy, UPSTREAM_USER, waitUntil } from '../../helpers/start-proxy.js';
import { startSim } from '../../../src/sim/server.js';
import { spawnAmigate } from '../../helpers/spawn-amigate.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
const USERS = { ops: { secret: 'opspw', read: 'system,call', write: 'call,reporting' } };
const getvar = (name: string): Array<[string, string]> => [['Action', 'Getvar'], ['Variable', name]];
const simGetvars = (received: ReadonlyArray<{ action: string; msg: { get(k: string): string | undefined } }>) =>
  received.filter((r) => r.action.toLowerCase() === 'getvar').map((r) => r.msg.get('Variable'));

t.test('general.drainreadydelay: a number of seconds, default 0, refused below 0 with file:line:key', async (t) => {
  const text = (general: string) => `general: ${general}
listeners:
  - { name: plain, bindaddr: 127.0.0.1, port: 0 }
upstreams:
  - { name: pbx1, host: 127.0.0.1, username: u, secret: s }
users: {}
`;
  t.equal((await parseConfig(text('{}'), '/x/amigate.yaml', {})).config.general.drainreadydelay, 0);
  t.equal((await parseConfig(text('{ drainreadydelay: 2.5 }'), '/x/amigate.yaml', {})).config.general.drainreadydelay, 2.5);
  const err = await parseConfig(text('{ drainreadydelay: -1 }'), '/x/amigate.yaml', {}).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof ConfigInvalidError, 'refused');
  t.match((err as ConfigInvalidError).problems, [{ line: 1, key: 'general.drainreadydelay', message: />= 0/ }]);
});

t.test('not ready first, still serving for the delay; then stop accepting, hold new actions, finish in-flight ones', async (t) => {
  const h = await startProxy(t, { users: USERS, admin: true, general: { drainreadydelay: 1.5 } });
  const admin = h.proxy.adminPort!;
  const a = await TestClient.connect({ port: h.port });
  t.teardown(() => a.close());
  t.equal((await a.login('ops', 'opspw')).get('Response'), 'Success');
  t.equal((await get(admin, '/readyz')).status, 200);

  const started = Date.now();
  const closed = h.proxy.close('test');
  const ready = await get(admin, '/readyz');
  t.equal(ready.status, 503, '/readyz answers 503 at once');
  t.same(JSON.parse(ready.body), { ready: false, upstreams: [{ name: 'pbx1', ready: true }], draining: true }, 'and says why');
  t.equal((await get(admin, '/healthz')).status, 200, '/healthz stays 200: the process is alive');

  // During the delay: a new connection is accepted and served, the old one too.
  const b = await TestClient.connect({ port: h.port });
  t.teardown(() => b.close());
  t.equal((await b.login('ops', 'opspw')).get('Response'), 'Success', 'a new client logs in during the delay');
  t.equal((await b.action(getvar('DURING_B'), { id: 'same' })).get('Variable'), 'DURING_B', 'and is served');
  t.equal((await a.action(getvar('DURING_A'), { id: 'same' })).get('Variable'), 'DURING_A', 'the old client is served too');
  t.notOk(h.logs().some((l) => l['msg'] === 'drain: stopped accepting; sessions start no new action'), 'not yet stopped accepting');

  // An action in flight when the delay ends (Asterisk hangs) ...
  h.sim.hang(true);
  const inflight = a.action(getvar('INFLIGHT_A'), { id: 'x1', ms: 10_000 });
  await waitUntil(() => h.logs().some((l) => l['msg'] === 'drain: stopped accepting; sessions start no new action'), 10_000, 'stopped accepting');
  const stoppedAt = h.logs().find((l) => l['msg'] === 'drain: ready delay over')!;
  t.ok(Number(stoppedAt['waitedMs']) >= 1400, `the delay was waited out (${String(stoppedAt['waitedMs'])} ms)`);
  t.ok(Date.now() - started >= 1400, 'not before drainreadydelay');
  // ... a new connection is refused now ...
  const refused = await TestClient.connect({ port: h.port }).then((c) => c.close().then(() => 'accepted'), () => 'refused');
  t.equal(refused, 'refused', 'no new connection after the delay');
  // ... and an action sent now is held: never forwarded, never answered.
  const markB = b.received.length;
  b.write('Action: Getvar\r\nVariable: AFTER_B\r\nActionID: x2\r\n\r\n');
  await delay(150);
  h.sim.hang(false);
  t.equal((await inflight).get('Variable'), 'INFLIGHT_A', 'the in-flight action finishes');
  await closed;
  const shutdownB = await b.waitFor((m) => m.get('Event') === 'Shutdown', 5000, markB);
  t.equal(shutdownB.toString(), 'Event: Shutdown\r\nPrivilege: system,all\r\nShutdown: Cleanly\r\nRestart: False\r\n\r\n');
  t.notOk(b.received.slice(markB).some((m) => m.isResponse), 'the held action got no response');
  t.notOk(simGetvars(h.sim.received).includes('AFTER_B'), 'and never reached Asterisk');
  t.same(simGetvars(h.sim.received), ['DURING_B', 'DURING_A', 'INFLIGHT_A'], 'Asterisk ran exactly the answered actions');

  const phases = h.logs().map((l) => String(l['msg'])).filter((m) => m.startsWith('drain:') || m === 'stopped');
  t.same(phases, [
    'drain: not ready (readyz 503), still accepting',
    'drain: ready delay over',
    'drain: stopped accepting; sessions start no new action',
    'drain: in-flight actions finished',
    'drain: Event: Shutdown sent; closing',
    'stopped',
  ], 'each phase logged, in order');
});

t.test('a second close() cuts the ready delay short', async (t) => {
  const h = await startProxy(t, { users: USERS, admin: true, general: { drainreadydelay: 60 } });
  const first = h.proxy.close('first');
  await waitUntil(() => h.logs().some((l) => l['msg'] === 'drain: not ready (readyz 503), still accepting'), 5000, 'not ready');
  t.equal((await get(h.proxy.adminPort!, '/readyz')).status, 503, 'not ready');
  const started = Date.now();
  const second = h.proxy.close('second');
  await Promise.race([first, delay(20_000)]);
  t.ok(Date.now() - started < 20_000, 'stopped long before the 60 s delay');
  await second;
  t.ok(h.logs().some((l) => l['msg'] === 'drain: stop requested again; the ready delay is cut short' && l['reason'] === 'second'), 'logged with its reason');
  t.ok(h.logs().some((l) => l['msg'] === 'stopped'), 'stopped');
});

t.test('a spawned amigate: SIGTERM turns /readyz 503 at once, a second SIGTERM skips the delay, exit 0', async (t) => {
  const sim = await startSim({ users: [UPSTREAM_USER] });
  t.teardown(() => sim.close());
  const amigate = await spawnAmigate(t, `general: { drainreadydelay: 120 }
listeners:
  - { name: plain, bindaddr: 127.0.0.1, port: 0 }
upstreams:
  - { name: pbx1, host: 127.0.0.1, port: ${sim.port}, username: ${UPSTREAM_USER.name}, secret: ${UPSTREAM_USER.secret}, connections: 1 }
admin: { bindaddr: 127.0.0.1, port: 0 }
log: { level: info }
users: {}
`);
  const admin = amigate.adminPort!;
  await waitUntil(() => sim.sessionCount() >= 1, 10_000, 'upstream logged in');
  const readyBefore = Date.now() + 10_000;
  while ((await get(admin, '/readyz')).status !== 200 && Date.now() < readyBefore) await delay(50);
  amigate.kill('SIGTERM');
  await amigate.logged((l) => l['msg'] === 'drain: not ready (readyz 503), still accepting', 'not ready');
  const r = await get(admin, '/readyz');
  t.equal(r.status, 503, '/readyz 503 at once');
  t.equal((JSON.parse(r.body) as { draining?: boolean }).draining, true, 'draining: true');
  t.equal((await get(admin, '/healthz')).status, 200, '/healthz 200');
  const c = await TestClient.connect({ port: amigate.portOf('plain') });
  t.teardown(() => c.close());
  t.ok(await c.waitBanner(), 'still accepting during the delay');
  await c.close();
  amigate.kill('SIGTERM');
  await Promise.race([amigate.exited, delay(20_000)]);
  t.equal(amigate.exitCode, 0, `exit 0 long before the 120 s delay ${amigate.stderr()}`);
  t.ok(amigate.lines.some((l) => l['msg'] === 'drain: stop requested again; the ready delay is cut short'), 'the second SIGTERM is logged');
});
