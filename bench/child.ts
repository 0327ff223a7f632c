// One process of the benchmark, by role (argv[2]), driven by bench/run.ts over
// IPC: `sim` (the simulated Asterisk and the event source), `relay` (a raw TCP
// relay that only pipes bytes), `tlsrelay` (the same behind a TLS terminator:
// the like-for-like baseline of amigate's TLS listener), `proxy` (amigate as
// deployed: default log level, audit written to a file), `load` (the load
// generator). Each role answers { id, ...result } to { id, cmd, ... }; every
// role answers `cpu` (its CPU time so far, µs).

import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, readFileSync, rmSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startSim } from '../src/sim/server.js';
import { parseConfig } from '../src/config/load.js';
import { createProxy } from '../src/proxy.js';
import { writeDevPki } from '../src/tls/certs.js';
import { LightClient, nowMs, type Target } from './lib/light-client.js';
import { ClosedLoop } from './lib/closed-loop.js';
import { Samples } from './lib/stats.js';

export const BENCH_USER = { name: 'bench', secret: 'bench-secret', read: 'all', write: 'all' };
/** The stalled clients' user: a long writetimeout on every path, so they stay stalled (not dropped) while measured. */
export const STALL_USER = { name: 'stall', secret: 'stall-secret', read: 'all', write: 'all' };
const STALL_WRITETIMEOUT = 120_000;

type Msg = { id: number; cmd: string; [k: string]: unknown };
type Handler = (m: Msg) => Promise<unknown> | unknown;

function serve(handlers: Record<string, Handler>): void {
  handlers['cpu'] ??= () => { const u = process.cpuUsage(); return u.user + u.system; };
  handlers['cpu-split'] ??= () => process.cpuUsage();
  // Read and write syscalls so far (Linux /proc/self/io; zeros elsewhere): bench/cpu-per-action.ts.
  handlers['io'] ??= () => {
    try {
      const io = readFileSync('/proc/self/io', 'utf8');
      const n = (k: string) => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(io)?.[1] ?? 0);
      return { syscr: n('syscr'), syscw: n('syscw') };
    } catch { return { syscr: 0, syscw: 0 }; }
  };
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
  const s = await startSim({
    users: [{ ...BENCH_USER, writetimeout: 1000 }, { ...STALL_USER, writetimeout: STALL_WRITETIMEOUT }],
    authLimit: 1_000_000, authTimeoutMs: 600_000,
  });
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

/** Pipe `down` to a new connection to the sim and back, TCP_NODELAY both ways, no parsing. */
function pipeToSim(down: net.Socket, target: number): void {
  const up = net.connect({ host: '127.0.0.1', port: target });
  down.setNoDelay(true);
  up.setNoDelay(true);
  down.pipe(up).pipe(down);
  const kill = () => { down.destroy(); up.destroy(); };
  down.on('error', kill).on('close', kill);
  up.on('error', kill).on('close', kill);
}

async function relay(): Promise<void> {
  const target = Number(process.argv[3]);
  const server = net.createServer((down) => pipeToSim(down, target));
  server.maxConnections = 1_000_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  serve({});
  process.send!({ ready: true, port: (server.address() as net.AddressInfo).port });
}

/** A TLS terminator in front of the plain relay: the same certificate kind and protocol amigate's TLS listener uses. */
async function tlsRelay(): Promise<void> {
  const target = Number(process.argv[3]);
  const dir = mkdtempSync(join(tmpdir(), 'amigate-bench-tlsrelay-'));
  const { paths } = await writeDevPki(dir);
  const server = tls.createServer({ cert: readFileSync(paths.server), key: readFileSync(paths.serverKey), minVersion: 'TLSv1.2' }, (down) => pipeToSim(down, target));
  server.maxConnections = 1_000_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const ca = readFileSync(paths.ca, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  serve({});
  process.send!({ ready: true, port: (server.address() as net.AddressInfo).port, ca });
}

async function proxy(): Promise<void> {
  const simPort = Number(process.argv[3]);
  const dir = mkdtempSync(join(tmpdir(), 'amigate-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const { paths } = await writeDevPki(dir);
  const logFile = join(dir, 'amigate.log');
  // As deployed: default log level (info), every action audited to a file. Only the
  // limits are raised, so that the load generator's thousands of logins fit.
  const doc = (auditactions: string) => ({
    general: { authlimit: 1_000_000, authlimitperip: 1_000_000, maxconnections: 1_000_000, maxconnectionsperip: 1_000_000, maxqueuebytes: 4 << 20, writetimeout: 5000, authtimeout: 600 },
    listeners: [
      { name: 'plain', bindaddr: '127.0.0.1', port: 0 },
      { name: 'tls', bindaddr: '127.0.0.1', port: 0, tls: { certfile: paths.server, privatekey: paths.serverKey } },
      { name: 'web', protocol: 'http', bindaddr: '127.0.0.1', port: 0 }, // WebSocket at /ws (bench/websocket.ts)
    ],
    upstreams: [{ name: 'sim', host: '127.0.0.1', port: simPort, username: BENCH_USER.name, secret: BENCH_USER.secret, connections: 2 }],
    log: { file: logFile, auditactions },
    users: {
      bench: { secret: BENCH_USER.secret, read: 'all', write: 'all', writetimeout: 5000 },
      stall: { secret: STALL_USER.secret, read: 'all', write: 'all', writetimeout: STALL_WRITETIMEOUT },
    },
  });
  const configFor = async (actions: string) => (await parseConfig(stringify(doc(actions)), join(dir, 'bench.yaml'), {})).config;
  const p = await createProxy(await configFor('all'));
  const deadline = Date.now() + 10_000;
  while (!p.cluster.isReady('sim') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const gc = (globalThis as { gc?: () => void }).gc;
  // The audit file is read incrementally: action records and bytes so far.
  let readTo = 0;
  let actionRecords = 0;
  let carry = '';
  const buf = Buffer.alloc(1 << 20);
  serve({
    rss: () => { gc?.(); gc?.(); return process.memoryUsage().rss; },
    sessions: () => p.fanout.size,
    /** log.auditactions, applied by a config reload as an operator would. */
    audit: async (m) => { await p.reload(await configFor(m['actions'] as string)); return true; },
    'audit-file': async () => {
      await new Promise((r) => setTimeout(r, 300)); // let the last batch reach the file
      const size = statSync(logFile).size;
      const fd = openSync(logFile, 'r');
      try {
        while (readTo < size) {
          const n = readSync(fd, buf, 0, buf.length, readTo);
          if (n <= 0) break;
          readTo += n;
          const text = carry + buf.toString('latin1', 0, n);
          const cut = text.lastIndexOf('\n') + 1;
          carry = text.slice(cut);
          for (let i = text.indexOf('"audit":"action"'); i >= 0 && i < cut; i = text.indexOf('"audit":"action"', i + 16)) actionRecords++;
        }
      } finally { closeSync(fd); }
      return { bytes: size, actionRecords };
    },
  });
  process.send!({ ready: true, plain: p.listeners[0]!.address.port, tls: p.listeners[1]!.address.port, web: p.listeners[2]!.address.port, ca: readFileSync(paths.ca, 'utf8') });
}

async function load(): Promise<void> {
  let clients: LightClient[] = [];
  let lat = new Samples();
  let measuring = false;
  let loop: ClosedLoop | undefined;
  let stalled: { clients: LightClient[]; timer: NodeJS.Timeout; sent: number } | undefined;
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
    // One closed-loop cell: warm up 200 ms, then measure `seconds`.
    rtt: async (m) => {
      // `request` (header lines), or `action` (a name only, as bench/tunnel.ts passes it).
      const request = (m['request'] as string | undefined) ?? `Action: ${m['action'] as string}\r\n`;
      const l = new ClosedLoop(await connectAll(m['target'] as Target, m['clients'] as number, false), request);
      await new Promise((r) => setTimeout(r, 200));
      const w = await l.window(m['seconds'] as number);
      await l.stop();
      return { ...w, answered: l.answered };
    },
    // A closed loop that keeps running between windows (stall.ts).
    'loop-start': async (m) => {
      loop = new ClosedLoop(await connectAll(m['target'] as Target, m['clients'] as number, false), m['request'] as string);
      return true;
    },
    'loop-window': (m) => loop!.window(m['seconds'] as number),
    'loop-answered': () => loop?.answered ?? 0,
    'loop-stop': async () => { const n = loop?.answered ?? 0; await loop?.stop(); loop = undefined; return n; },
    // Clients that log in, stop reading, and keep sending `request` at `rate`/s each.
    'stall-start': async (m) => {
      const t = { ...(m['target'] as Target), user: STALL_USER.name, secret: STALL_USER.secret };
      const cs = await connectAll(t, m['clients'] as number, false);
      for (const c of cs) c.stopReading();
      const text = m['request'] as string;
      const perTick = (m['rate'] as number) / 100; // 10 ms ticks
      let due = 0;
      const s = { clients: cs, sent: 0, timer: setInterval(() => {
        due += perTick;
        for (; due >= 1; due--) for (const c of cs) { c.send(`${text}ActionID: s${s.sent}\r\n\r\n`); s.sent++; }
      }, 10) };
      stalled = s;
      return cs.length;
    },
    'stall-stop': () => {
      if (!stalled) return 0;
      clearInterval(stalled.timer);
      const open = stalled.clients.filter((c) => !c.closed).length;
      for (const c of stalled.clients) c.close();
      stalled = undefined;
      return open;
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

const roles: Record<string, () => Promise<void>> = { sim, relay, tlsrelay: tlsRelay, proxy, load };
const role = roles[process.argv[2] ?? ''];
if (!role) {
  process.stderr.write('usage: child.js sim | relay <port> | tlsrelay <port> | proxy <simPort> | load\n');
  process.exit(2);
}
role().catch((err: unknown) => { process.stderr.write(`bench ${process.argv[2]}: ${String(err)}\n`); process.exit(1); });
