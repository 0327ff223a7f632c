// A rolling restart behind a real HAProxy drops no action (issue 16,
// docs/scale-out.md). Two amigate processes in front of one simulated
// Asterisk, HAProxy in TCP mode balancing to both with a health check on each
// instance's /readyz; ten clients through HAProxy in a closed loop of Getvar
// actions with colliding ActionIDs, each logging in again when its connection
// closes. SIGTERM to instance a (drainreadydelay 2 s): HAProxy sees its
// /readyz 503 and marks it DOWN before it stops accepting, so every reconnect
// lands on b and gets a banner; every action is answered exactly once with its
// own response (an action a held at the stop was never run: the client resends
// it on b, and Asterisk runs each action exactly once); a exits 0. Started
// again, a takes new connections.
// HAProxy sends PROXY v2 headers (send-proxy-v2), as docs/scale-out.md and
// deploy/haproxy/haproxy.cfg deploy it; its checks go to the admin port.

import t from 'tap';
import { startSim } from '../../../src/sim/server.js';
import { UPSTREAM_USER, waitUntil } from '../../helpers/start-proxy.js';
import { spawnAmigate, type SpawnedAmigate } from '../../helpers/spawn-amigate.js';
import { startHaproxy } from '../../helpers/haproxy.js';
import { freePort } from '../../helpers/free-port.js';
import { httpGet } from '../../helpers/http-get.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
const CLIENTS = 10;
const READY_DELAY_S = 2;

function amigateYaml(simPort: number, port: number, admin: number): string {
  return `general: { drainreadydelay: ${READY_DELAY_S}, draintimeout: 5000, authlimitperip: 50 }
listeners:
  - { name: plain, bindaddr: 127.0.0.1, port: ${port}, proxyprotocol: v2, trustedproxies: [127.0.0.1] }
upstreams:
  - { name: pbx1, host: 127.0.0.1, port: ${simPort}, username: ${UPSTREAM_USER.name}, secret: ${UPSTREAM_USER.secret}, connections: 2 }
admin: { bindaddr: 127.0.0.1, port: ${admin} }
log: { level: info }
users:
  ops: { secret: opspw, read: "system,call", write: "call,reporting" }
`;
}

/** HAProxy's view of each server of backend `amigate` (stats CSV: status column). */
async function serverStates(statsPort: number): Promise<Record<string, string>> {
  const { body } = await httpGet(statsPort, '/stats;csv');
  const [head, ...rows] = body.trim().split('\n');
  const cols = head!.replace(/^# /, '').split(',');
  const px = cols.indexOf('pxname'), sv = cols.indexOf('svname'), st = cols.indexOf('status');
  const out: Record<string, string> = {};
  for (const r of rows) {
    const f = r.split(',');
    if (f[px] === 'amigate' && f[sv] !== 'BACKEND') out[f[sv]!] = f[st]!;
  }
  return out;
}

/** One sample of a Prometheus counter or gauge (0 when absent). */
async function sample(adminPort: number, series: string): Promise<number> {
  const { body } = await httpGet(adminPort, '/metrics');
  const line = body.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

interface ClientStats {
  /** Each Variable this client asked for, in order, and how many responses it got. */
  answered: Map<string, number>;
  sent: string[];
  resent: number;
  connections: number;
  /** Connections that got no banner or whose login failed. */
  failedConnects: string[];
  /** Responses that were not the answer to the action in flight (misrouted or extra). */
  wrong: string[];
  shutdowns: number;
  /** Answered actions after `mark` was set (progress checks). */
  progress: number;
  clients: TestClient[];
}

/** A client in a closed loop: Getvar RR_<i>_<n> with ActionID <n> (the same ids in every client), reconnecting after a close. */
async function runClient(i: number, port: number, stop: () => boolean, s: ClientStats): Promise<void> {
  let n = 0;
  while (!stop()) {
    let c: TestClient;
    try {
      c = await TestClient.connect({ port });
      s.clients.push(c);
      await c.waitBanner(10_000);
      const ok = await c.login('ops', 'opspw');
      if (ok.get('Response') !== 'Success') throw new Error(`login: ${ok.get('Message')}`);
    } catch (err) {
      s.failedConnects.push(String(err));
      await delay(200);
      continue;
    }
    s.connections++;
    let shutdown = false;
    void c.waitFor((m) => m.get('Event') === 'Shutdown', 600_000).then(() => { shutdown = true; s.shutdowns++; }, () => {});
    while (!stop() && !c.closed && !shutdown) {
      const id = String(n);
      const variable = `RR_${i}_${n}`;
      if (s.sent[s.sent.length - 1] === variable) s.resent++;
      else s.sent.push(variable);
      let r;
      try {
        r = await c.action([['Action', 'Getvar'], ['Variable', variable]], { id, ms: 20_000 });
      } catch {
        break; // closed before the answer: resent on the next connection
      }
      if (r.get('Variable') !== variable || r.get('Response') !== 'Success') s.wrong.push(r.toString());
      s.answered.set(variable, (s.answered.get(variable) ?? 0) + 1);
      s.progress++;
      n++;
      await delay(15);
    }
    // Every response this connection carried must be one this client asked for.
    for (const m of c.received) {
      if (m.isResponse && m.has('Variable') && !String(m.get('Variable')).startsWith(`RR_${i}_`)) s.wrong.push(m.toString());
    }
    if (!stop()) await c.closedPromise;
  }
}

t.test('rolling restart behind HAProxy: readiness first, then drain; no action lost or misrouted', async (t) => {
  const sim = await startSim({ users: [UPSTREAM_USER] });
  t.teardown(() => sim.close());
  const [pa, aa, pb, ab, fe, st] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const yamlA = amigateYaml(sim.port, pa!, aa!);
  let a: SpawnedAmigate = await spawnAmigate(t, yamlA, { name: 'a' });
  await spawnAmigate(t, amigateYaml(sim.port, pb!, ab!), { name: 'b' });
  const haproxy = await startHaproxy(t, `
frontend ami
  bind 127.0.0.1:${fe}
  default_backend amigate
backend amigate
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 250ms fall 2 rise 2
  server a 127.0.0.1:${pa} send-proxy-v2 check port ${aa}
  server b 127.0.0.1:${pb} send-proxy-v2 check port ${ab}
listen stats
  mode http
  bind 127.0.0.1:${st}
  stats enable
  stats uri /stats
`, [fe!, st!]);
  const states = () => serverStates(st!);
  for (const deadline = Date.now() + 30_000; ;) {
    const s = await states();
    if (s['a'] === 'UP' && s['b'] === 'UP') break;
    if (Date.now() > deadline) throw new Error(`haproxy never saw both UP: ${JSON.stringify(s)} ${haproxy.output()}`);
    await delay(100);
  }

  let stopping = false;
  const stats: ClientStats[] = [];
  const loops: Array<Promise<void>> = [];
  t.teardown(() => { stopping = true; return Promise.all(stats.flatMap((s) => s.clients.map((c) => c.close()))); });
  for (let i = 0; i < CLIENTS; i++) {
    const s: ClientStats = { answered: new Map(), sent: [], resent: 0, connections: 0, failedConnects: [], wrong: [], shutdowns: 0, progress: 0, clients: [] };
    stats.push(s);
    loops.push(runClient(i, fe!, () => stopping, s));
  }
  const allProgressed = async (min: number, what: string) => {
    for (const s of stats) s.progress = 0;
    await waitUntil(() => stats.every((s) => s.progress >= min), 60_000, what);
  };
  await allProgressed(10, 'every client running');
  const onA = await sample(aa!, 'amigate_downstream_connections_active{listener="plain"}');
  const onB = await sample(ab!, 'amigate_downstream_connections_active{listener="plain"}');
  t.equal(onA + onB, CLIENTS, `the clients are spread over both instances (a ${onA}, b ${onB})`);
  t.ok(onA >= 3 && onB >= 3, 'round robin put clients on each');

  // SIGTERM to a; watch HAProxy's view of it meanwhile.
  let downSeenAt: number | undefined;
  const watching = (async () => {
    while (a.exitCode === undefined && downSeenAt === undefined) {
      if ((await states())['a'] === 'DOWN') downSeenAt = Date.now();
      else await delay(50);
    }
  })();
  a.kill('SIGTERM');
  const notReady = await a.logged((l) => l['msg'] === 'drain: not ready (readyz 503), still accepting', 'a not ready');
  const stopped = await a.logged((l) => l['msg'] === 'drain: stopped accepting; sessions start no new action', 'a stopped accepting', 30_000);
  await Promise.race([a.exited, delay(30_000)]);
  await watching;
  t.equal(a.exitCode, 0, `a exits 0 ${a.stderr()}`);
  t.ok(downSeenAt !== undefined, 'HAProxy marked a DOWN');
  const notReadyAt = Date.parse(String(notReady['time'])), stoppedAt = Date.parse(String(stopped['time']));
  t.ok(downSeenAt! >= notReadyAt, `after a turned not ready (${downSeenAt! - notReadyAt} ms later)`);
  t.ok(downSeenAt! < stoppedAt, `before a stopped accepting (${stoppedAt - downSeenAt!} ms earlier)`);

  // The clients that were on a got Event: Shutdown and continue on b.
  await allProgressed(10, 'every client running on b');
  t.equal(stats.reduce((n, s) => n + s.shutdowns, 0), onA, 'every client on a got Event: Shutdown');
  t.equal(await sample(ab!, 'amigate_downstream_connections_active{listener="plain"}'), CLIENTS, 'all clients are on b');
  t.same(await states(), { a: 'DOWN', b: 'UP' });

  // a again, on the same ports: HAProxy takes it back and new connections reach it.
  a = await spawnAmigate(t, yamlA, { name: 'a2' });
  for (const deadline = Date.now() + 30_000; (await states())['a'] !== 'UP';) {
    if (Date.now() > deadline) throw new Error('haproxy never saw a UP again');
    await delay(100);
  }
  const fresh = await Promise.all([0, 1, 2, 3].map(() => TestClient.connect({ port: fe! })));
  t.teardown(() => Promise.all(fresh.map((c) => c.close())));
  for (const c of fresh) t.equal((await c.login('ops', 'opspw')).get('Response'), 'Success');
  t.ok(await sample(aa!, 'amigate_downstream_connections_active{listener="plain"}') >= 1, 'new connections reach the restarted a');

  stopping = true;
  await Promise.race([Promise.all(loops), delay(30_000)]);

  // Every action: sent once or resent after a close, answered exactly once, run by Asterisk exactly once.
  const ran = new Map<string, number>();
  for (const r of sim.received) {
    const v = r.action.toLowerCase() === 'getvar' ? r.msg.get('Variable') : undefined;
    if (v?.startsWith('RR_')) ran.set(v, (ran.get(v) ?? 0) + 1);
  }
  let actions = 0, resent = 0;
  for (const [i, s] of stats.entries()) {
    t.same(s.failedConnects, [], `client ${i}: every connection got a banner and logged in`);
    t.same(s.wrong, [], `client ${i}: no misrouted or extra response`);
    const last = s.sent[s.sent.length - 1];
    const unanswered = s.sent.filter((v) => (s.answered.get(v) ?? 0) !== 1 && v !== last);
    t.same(unanswered, [], `client ${i}: every action answered exactly once (${s.sent.length} actions, ${s.connections} connections)`);
    const twice = s.sent.filter((v) => (ran.get(v) ?? 0) > 1);
    t.same(twice, [], `client ${i}: Asterisk ran none twice`);
    actions += s.sent.length;
    resent += s.resent;
  }
  t.ok(actions >= CLIENTS * 30, `${actions} actions in all, ${resent} resent after a close`);
  t.ok(resent <= onA, 'at most one action resent per client that was on a (the one held at the stop)');
});
