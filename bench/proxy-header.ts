// What reading a PROXY protocol header adds to connection setup (issue 16):
// sequential connect + banner through amigate's plaintext listener without
// proxyprotocol, and through listeners with proxyprotocol v1 and v2 (the
// client writes the header itself, as a balancer would, straight after
// connecting; no balancer in the path). Blocks of each path are interleaved
// so a busy machine slows all three alike. In-process: the proxy, the
// simulated Asterisk and the client share one event loop, as in the tests.
//
//   npm run build && node dist/bench/proxy-header.js [connections per path, default 1000]

import net from 'node:net';
import pino from 'pino';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import { createProxy } from '../src/proxy.js';
import { startSim } from '../src/sim/server.js';

const UP = { name: 'amigate', secret: 'bench-secret', read: 'all', write: 'all' };
const total = Number(process.argv[2] ?? 1000);
const BLOCK = 100;

const V2 = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c, 127, 0, 0, 5, 127, 0, 0, 1, 0x9c, 0x41, 0x13, 0x9e]);

async function connectBanner(port: number, header: Buffer | undefined): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.setNoDelay(true);
    s.once('connect', () => { if (header) s.write(header); });
    s.on('data', (d: Buffer) => {
      if (d.includes(0x0a)) {
        const ms = performance.now() - t0;
        s.destroy();
        resolve(ms);
      }
    });
    s.once('error', reject);
  });
}

async function main(): Promise<void> {
  const sim = await startSim({ users: [UP] });
  const doc = {
    general: { maxconnectionsperip: 1000, authlimitperip: 1000 },
    listeners: [
      { name: 'plain', bindaddr: '127.0.0.1', port: 0 },
      { name: 'v1', bindaddr: '127.0.0.1', port: 0, proxyprotocol: 'v1', trustedproxies: ['127.0.0.1'] },
      { name: 'v2', bindaddr: '127.0.0.1', port: 0, proxyprotocol: 'v2', trustedproxies: ['127.0.0.1'] },
    ],
    upstreams: [{ name: 'pbx1', host: '127.0.0.1', port: sim.port, username: UP.name, secret: UP.secret }],
    log: { level: 'info' },
    users: {},
  };
  const { config } = await parseConfig(stringify(doc), '<bench>', {});
  // The audit (connectionOpened, sessionClosed) is written as deployed, to /dev/null.
  const proxy = await createProxy(config, { logger: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })) });
  const port = (name: string) => proxy.listeners.find((l) => l.name === name)!.address.port;
  const paths: Array<[string, number, Buffer | undefined]> = [
    ['no PROXY header', port('plain'), undefined],
    ['PROXY v1', port('v1'), Buffer.from('PROXY TCP4 127.0.0.5 127.0.0.1 40001 5038\r\n')],
    ['PROXY v2', port('v2'), V2],
  ];
  const times = paths.map(() => [] as number[]);
  for (const [, p, h] of paths) for (let i = 0; i < 50; i++) await connectBanner(p, h); // warm-up
  const wall = paths.map(() => 0);
  for (let done = 0; done < total; done += BLOCK) {
    for (let k = 0; k < paths.length; k++) {
      const [, p, h] = paths[k]!;
      const t0 = performance.now();
      for (let i = 0; i < Math.min(BLOCK, total - done); i++) times[k]!.push(await connectBanner(p, h));
      wall[k]! += performance.now() - t0;
    }
  }
  const q = (xs: number[], f: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * f))]!;
  console.log(`| path | connections | total ms | per connection (mean) ms | p50 ms | p99 ms |`);
  console.log(`|---|---:|---:|---:|---:|---:|`);
  paths.forEach(([name], k) => {
    const xs = times[k]!;
    console.log(`| ${name} | ${xs.length} | ${wall[k]!.toFixed(0)} | ${(wall[k]! / xs.length).toFixed(3)} | ${q(xs, 0.5).toFixed(3)} | ${q(xs, 0.99).toFixed(3)} |`);
  });
  await proxy.close('bench-end');
  await sim.close();
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
