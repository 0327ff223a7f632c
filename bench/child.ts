// One process of the benchmark, by role (argv[2]), driven by bench/run.ts over
// IPC: `sim` (the simulated Asterisk and the event source), `relay` (a raw TCP
// relay that only pipes bytes), `proxy` (amigate, plaintext and TLS), `load`
// (the load generator). Each role answers { id, ...result } to { id, cmd, ... }.

import net from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { startSim } from '../src/sim/server.js';
import { parseConfig } from '../src/config/load.js';
import { createProxy } from '../src/proxy.js';
import { writeDevPki } from '../src/tls/certs.js';
import { LightClient, nowMs, type Target } from './lib/light-client.js';
import { Samples } from './lib/stats.js';

export const BENCH_USER = { name: 'bench', secret: 'bench-secret', read: 'all', write: 'all' };

type Msg = { id: number; cmd: string; [k: string]: unknown };
type Handler = (m: Msg) => Promise<unknown> | unknown;

function serve(handlers: Record<string, Handler>): void {
  process.on('message', (raw) => {
    const m = raw as Msg;
    Promise.resolve()
      .then(() => {
        const h = handlers[m.cmd];
        if (!h) throw new Error(`unknown command ${m.cmd}`);
        return h(m);
      })
      .then((result) => process.send!({ id: m.id, ok: true, result }), (err: unknown) => process.send!({ id: m.id, ok: false, error: String(err) }));
  });
  process.on('disconnect', () => process.exit(0));
  // A normal exit, so that --cpu-prof writes its profile.
  handlers['exit'] = () => { setTimeout(() => process.exit(0), 50); return true; };
}

// A typical channel event (Newstate as Asterisk 22 writes it), with the send time.
const NEWSTATE: Array<[string, string]> = [
  ['Channel', 'PJSIP/1001-0000002a'], ['ChannelState', '6'], ['ChannelStateDesc', 'Up'], ['CallerIDNum', '1001'],
  ['CallerIDName', 'Reception'], ['ConnectedLineNum', '2002'], ['ConnectedLineName', 'Sales'], ['Language', 'en'],
  ['AccountCode', ''], ['Context', 'from-internal'], ['Exten', '2002'], ['Priority', '1'],
  ['Uniqueid', '1795327115.84'], ['Linkedid', '1795327115.84'],
];

async function sim(): Promise<void> {
  const s = await startSim({ users: [{ ...BENCH_USER, writetimeout: 1000 }], authLimit: 1_000_000, authTimeoutMs: 600_000 });
  serve({
    // Emit `rate` events/s for `seconds`, in 10 ms ticks, each stamped with SentAt.
    emit: (m) => new Promise((resolve) => {
      const rate = m['rate'] as number;
      const total = Math.round(rate * (m['seconds'] as number));
      let emitted = 0;
      const started = nowMs();
      const tick = () => {
        const due = Math.min(total, Math.round(((nowMs() - started) / 1000) * rate));
        while (emitted < due) {
          s.emitEvent('Newstate', 'call', [...NEWSTATE, ['SentAt', nowMs().toFixed(3)]]);
          emitted++;
        }
        if (emitted >= total) { clearInterval(timer); resolve({ emitted }); }
      };
      const timer = setInterval(tick, 10);
    }),
    sessions: () => s.sessionCount(),
  });
  process.send!({ ready: true, port: s.port });
}

async function relay(): Promise<void> {
  const target = Number(process.argv[3]);
  const server = net.createServer((down) => {
    const up = net.connect({ host: '127.0.0.1', port: target });
    down.setNoDelay(true);
    up.setNoDelay(true);
    down.pipe(up).pipe(down);
    const kill = () => { down.destroy(); up.destroy(); };
    down.on('error', kill).on('close', kill);
    up.on('error', kill).on('close', kill);
  });
  server.maxConnections = 1_000_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  serve({});
  process.send!({ ready: true, port: (server.address() as net.AddressInfo).port });
}

async function proxy(): Promise<void> {
  const simPort = Number(process.argv[3]);
  const dir = mkdtempSync(join(tmpdir(), 'amigate-bench-'));
  const { paths } = await writeDevPki(dir);
  const doc = {
    general: { authlimit: 1_000_000, maxconnections: 1_000_000, maxconnectionsperip: 1_000_000, maxqueuebytes: 4 << 20, writetimeout: 5000, authtimeout: 600 },
    listeners: [
      { name: 'plain', bindaddr: '127.0.0.1', port: 0 },
      { name: 'tls', bindaddr: '127.0.0.1', port: 0, tls: { certfile: paths.server, privatekey: paths.serverKey } },
      { name: 'web', protocol: 'http', bindaddr: '127.0.0.1', port: 0 }, // WebSocket at /ws (bench/websocket.ts)
    ],
    upstreams: [{ name: 'sim', host: '127.0.0.1', port: simPort, username: BENCH_USER.name, secret: BENCH_USER.secret, connections: 2 }],
    log: { level: 'silent' },
    users: { bench: { secret: BENCH_USER.secret, read: 'all', write: 'all', writetimeout: 5000 } },
  };
  const { config } = await parseConfig(stringify(doc), join(dir, 'bench.yaml'), {});
  const p = await createProxy(config, { logger: pino({ level: 'silent' }) });
  const deadline = Date.now() + 10_000;
  while (!p.cluster.isReady('sim') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const gc = (globalThis as { gc?: () => void }).gc;
  serve({
    rss: () => { gc?.(); gc?.(); return process.memoryUsage().rss; },
    sessions: () => p.fanout.size,
    cpu: () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }, // ms of amigate's CPU so far
  });
  process.send!({ ready: true, plain: p.listeners[0]!.address.port, tls: p.listeners[1]!.address.port, web: p.listeners[2]!.address.port, ca: readFileSync(paths.ca, 'utf8') });
}

async function load(): Promise<void> {
  let clients: LightClient[] = [];
  let lat = new Samples();
  let measuring = false;
  const onEvent = (sentAt: number) => { if (measuring) lat.add(nowMs() - sentAt); };
  const connectAll = async (t: Target, n: number, events: boolean, concurrency = 100) => {
    const out: LightClient[] = [];
    for (let i = 0; i < n; i += concurrency) {
      out.push(...await Promise.all(Array.from({ length: Math.min(concurrency, n - i) }, () => LightClient.login(t, events))));
    }
    return out;
  };
  const closeAll = () => { for (const c of clients) c.close(); clients = []; };
  serve({
    // Closed loop: each client sends the next action as soon as the last one is answered.
    rtt: async (m) => {
      const t = m['target'] as Target;
      const action = m['action'] as string;
      const cs = await connectAll(t, m['clients'] as number, false);
      const samples = new Samples();
      const end = nowMs() + (m['seconds'] as number) * 1000;
      const warm = nowMs() + 200;
      let n = 0;
      const started = nowMs();
      await Promise.all(cs.map(async (c, ci) => {
        let seq = 0;
        while (nowMs() < end && !c.closed) {
          const t0 = nowMs();
          await c.action(`Action: ${action}\r\n`, `${ci}.${seq++}`);
          const t1 = nowMs();
          if (t0 >= warm) { samples.add(t1 - t0); n++; }
        }
      }));
      const elapsed = (nowMs() - Math.max(started, warm)) / 1000;
      for (const c of cs) c.close();
      return { ...samples.summary(), perSecond: n / elapsed };
    },
    subscribe: async (m) => {
      closeAll();
      clients = await connectAll(m['target'] as Target, m['clients'] as number, true);
      for (const c of clients) c.onEvent = onEvent;
      return { clients: clients.length };
    },
    'measure-start': () => { lat = new Samples(); measuring = true; for (const c of clients) c.events = 0; return true; },
    peek: () => clients.reduce((n, c) => n + c.events, 0),
    'measure-stop': () => {
      measuring = false;
      let received = 0;
      let dropped = 0;
      for (const c of clients) { received += c.events; if (c.closed) dropped++; }
      return { received, dropped, ...lat.summary() };
    },
    // Open loop: each client sends `rate` actions/s (while events flow); latency per action.
    paced: async (m) => {
      const rate = m['rate'] as number;
      const seconds = m['seconds'] as number;
      const action = m['action'] as string;
      const samples = new Samples();
      await Promise.all(clients.map(async (c, ci) => {
        await new Promise((r) => setTimeout(r, Math.random() * (1000 / rate)));
        for (let i = 0; i < rate * seconds && !c.closed; i++) {
          const due = nowMs() + 1000 / rate;
          const t0 = nowMs();
          await c.action(`Action: ${action}\r\n`, `p${ci}.${i}`);
          samples.add(nowMs() - t0);
          const wait = due - nowMs();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      }));
      return samples.summary();
    },
    idle: async (m) => {
      closeAll();
      const t0 = nowMs();
      clients = await connectAll(m['target'] as Target, m['clients'] as number, false, m['concurrency'] as number ?? 200);
      return { clients: clients.length, ms: nowMs() - t0 };
    },
    'close-all': () => { closeAll(); return true; },
  });
  process.send!({ ready: true });
}

const roles: Record<string, () => Promise<void>> = { sim, relay, proxy, load };
const role = roles[process.argv[2] ?? ''];
if (!role) {
  process.stderr.write('usage: child.js sim | relay <port> | proxy <simPort> | load\n');
  process.exit(2);
}
role().catch((err: unknown) => { process.stderr.write(`bench ${process.argv[2]}: ${String(err)}\n`); process.exit(1); });
