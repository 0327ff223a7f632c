// Killing one of two amigate instances behind HAProxy (deploy/haproxy/haproxy.cfg)
// under load (issue 16). Two real amigate processes share one simulated
// Asterisk; ten clients, each from its own loopback address, run a closed loop
// of Getvar actions whose ActionIDs collide across clients (1, 2, 3... on
// every connection) and whose Variable names the client, reconnecting and
// logging in again whenever their connection closes. One instance gets
// SIGKILL mid-run. Every response must carry the ActionID and Variable its
// client sent on that connection (no misrouting), every action sent on a
// connection that stayed open must be answered (none lost), and the clients
// must go on through the survivor. The survivor's audit names each client by
// the address and port it used towards HAProxy (the PROXY header across processes).

import t from 'tap';
import { stringify } from 'yaml';
import { startSim } from '../../../src/sim/server.js';
import { UPSTREAM_USER, waitUntil } from '../../helpers/start-proxy.js';
import { spawnAmigate, type SpawnedAmigate } from '../../helpers/spawn-amigate.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { freePort } from '../../helpers/free-port.js';
import { startHaproxy } from '../../helpers/haproxy.js';
import { deployHaproxyConfig } from '../../helpers/deploy-haproxy.js';

const CLIENTS = 10;

interface Conn { localPort: number; sent: number; answered: number; openedAt: number; closedByPeer: boolean; unanswered: number }
interface ClientStats { i: number; conns: Conn[]; misrouted: string[]; connectFailures: number; answeredBefore: number; answeredAfter: number }

async function readyz(port: number): Promise<boolean> {
  try { return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200; } catch { return false; }
}

t.test('SIGKILL one of two instances under load: clients move to the other, nothing misrouted or lost', async (t) => {
  const sim = await startSim({ users: [UPSTREAM_USER] });
  t.teardown(() => sim.close());
  const yaml = stringify({
    general: { authtimeout: 5 },
    listeners: [
      { name: 'ami', bindaddr: '127.0.0.1', port: 0, proxyprotocol: 'v2', trustedproxies: ['127.0.0.1'] },
      { name: 'http', protocol: 'http', bindaddr: '127.0.0.1', port: 0, proxyprotocol: 'v2', trustedproxies: ['127.0.0.1'] },
    ],
    upstreams: [{ name: 'pbx1', host: '127.0.0.1', port: sim.port, username: UPSTREAM_USER.name, secret: UPSTREAM_USER.secret, connections: 2 }],
    admin: { bindaddr: '127.0.0.1', port: 0 },
    log: { level: 'info', auditactions: 'none' },
    users: { loop: { secret: 'looppw', read: 'all', write: 'all' } },
  });
  const a1 = await spawnAmigate(t, yaml, { name: 'amigate1' });
  const a2 = await spawnAmigate(t, yaml, { name: 'amigate2' });
  for (const a of [a1, a2]) await pollReady(a);
  const front = { ami: await freePort(), tls: await freePort(), http: await freePort() };
  // No TLS listener here (spawnAmigate's t.testdir() would empty a certificate
  // directory); the TLS backend points at the plain port and is not used.
  const inst = (a: SpawnedAmigate) => ({ ami: a.portOf('ami'), tls: a.portOf('ami'), http: a.portOf('http'), admin: a.adminPort! });
  await startHaproxy(t, await deployHaproxyConfig({ front, instances: [inst(a1), inst(a2)] }), [front.ami, front.tls, front.http]);

  let stop = false;
  let killedAt: number | undefined;
  const stats: ClientStats[] = [];
  const runClient = async (i: number): Promise<void> => {
    const s: ClientStats = { i, conns: [], misrouted: [], connectFailures: 0, answeredBefore: 0, answeredAfter: 0 };
    stats.push(s);
    const localAddress = `127.0.0.${20 + i}`;
    while (!stop) {
      let c: TestClient;
      try {
        c = await TestClient.connect({ port: front.ami, localAddress });
        // A connection HAProxy made to the dying instance closes without a banner.
        await Promise.race([c.waitBanner(5000), c.closedPromise.then(() => { throw new Error('closed before the banner'); })]);
        const r = await c.login('loop', 'looppw');
        if (r.get('Response') !== 'Success') throw new Error(`login: ${r.get('Message') ?? ''}`);
      } catch {
        s.connectFailures++;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const conn: Conn = { localPort: c.socket.localPort!, sent: 0, answered: 0, openedAt: Date.now(), closedByPeer: false, unanswered: 0 };
      s.conns.push(conn);
      for (let n = 1; !stop; n++) {
        const variable = `C${i}_${n}`;
        const from = c.received.length;
        c.write(`Action: Getvar\r\nActionID: ${n}\r\nVariable: ${variable}\r\n\r\n`);
        conn.sent++;
        let r;
        try {
          r = await c.waitFor((m) => m.isResponse, 10_000, from);
        } catch {
          if (c.closed) conn.closedByPeer = true; else conn.unanswered++;
          break;
        }
        conn.answered++;
        if (killedAt === undefined) s.answeredBefore++; else s.answeredAfter++;
        if (r.get('ActionID') !== String(n) || r.get('Variable') !== variable) s.misrouted.push(`${localAddress} sent ${n}/${variable}, got ${r.get('ActionID') ?? '-'}/${r.get('Variable') ?? '-'}`);
        await new Promise((res) => setTimeout(res, 5));
      }
      if (!conn.closedByPeer) await c.close();
    }
  };
  const runs = Array.from({ length: CLIENTS }, (_, i) => runClient(i));

  // Until every client has been answered on both instances' behalf for a while.
  await waitUntil(() => stats.length === CLIENTS && stats.every((s) => s.answeredBefore >= 20), 30_000, 'every client running');
  const onInstance = (a: SpawnedAmigate) => new Set(a.lines.filter((l) => l['audit'] === 'loginSucceeded').map((l) => String(l['remote'])));
  const before1 = onInstance(a1);
  const before2 = onInstance(a2);
  t.ok(before1.size > 0 && before2.size > 0, `leastconn spread the clients (${before1.size} on amigate1, ${before2.size} on amigate2)`);
  killedAt = Date.now();
  a1.kill('SIGKILL');
  await a1.exited;
  // Every client answered again after the kill, several times.
  await waitUntil(() => stats.every((s) => s.answeredAfter >= 20), 30_000, 'every client answered after the kill');
  const recoveredMs = Date.now() - killedAt;
  stop = true;
  await Promise.all(runs);

  const misrouted = stats.flatMap((s) => s.misrouted);
  t.same(misrouted, [], 'every response carried the ActionID and Variable its client sent');
  const conns = stats.flatMap((s) => s.conns.map((c) => ({ ...c, client: s.i })));
  const stayed = conns.filter((c) => !c.closedByPeer);
  t.same(stayed.filter((c) => c.unanswered > 0 || c.answered !== c.sent), [], 'on every connection that stayed open, every action was answered');
  const cut = conns.filter((c) => c.closedByPeer);
  t.equal(cut.length, before1.size, 'exactly the connections on the killed instance were cut');
  t.ok(cut.every((c) => c.sent - c.answered <= 1), 'a cut connection lost at most the one action in flight (closed loop)');
  t.ok(cut.every((c) => before1.has(`127.0.0.${20 + c.client}:${c.localPort}`)), 'and they were the ones amigate1 had');
  // After the kill, every new connection went to amigate2, which saw the clients' own addresses and ports.
  const later = conns.filter((c) => c.openedAt > killedAt!);
  const on2 = onInstance(a2);
  t.ok(later.length >= before1.size, `the cut clients reconnected (${later.length} new connections)`);
  t.same(later.filter((c) => !on2.has(`127.0.0.${20 + c.client}:${c.localPort}`)), [], 'every reconnection landed on amigate2, audited with the client address and port');
  const sum = (f: (s: ClientStats) => number) => stats.reduce((n, s) => n + f(s), 0);
  t.comment(`answered before the kill: ${sum((s) => s.answeredBefore)}, after: ${sum((s) => s.answeredAfter)}; ` +
    `connections cut: ${cut.length}, actions lost with them: ${cut.reduce((n, c) => n + c.sent - c.answered, 0)}; ` +
    `failed connect/login attempts while HAProxy caught up: ${sum((s) => s.connectFailures)}; every client 20 answers past the kill after ${recoveredMs} ms`);
});

async function pollReady(a: SpawnedAmigate): Promise<void> {
  const end = Date.now() + 20_000;
  while (!(await readyz(a.adminPort!))) {
    if (Date.now() > end) throw new Error('amigate never became ready');
    await new Promise((r) => setTimeout(r, 50));
  }
}
