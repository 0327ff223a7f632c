// The tunnel's cost (issue 14): action round trips through `amigate tunnel` in
// front of amigate's TLS listener, against the plaintext listener (what a
// legacy client uses on the gate host itself) and the TLS listener reached
// directly (what a TLS-capable client gets). The tunnel runs in bench/run.ts's
// own process, apart from amigate and the load generator.

import { Tunnel } from '../src/tunnel/tunnel.js';
import { fmt, type LatencySummary } from './lib/stats.js';
import type { Target } from './lib/light-client.js';

interface Caller { call<T>(cmd: string, params?: Record<string, unknown>): Promise<T> }

export async function tunnelBench(load: Caller, plain: Target, tlsTarget: Target & { tls: { ca: string } }, print: (line?: string) => void, quick: boolean): Promise<void> {
  const tunnel = new Tunnel({
    name: 'bench', listenHost: '127.0.0.1', listenPort: 0, connectHost: '127.0.0.1', connectPort: tlsTarget.port,
    ca: Buffer.from(tlsTarget.tls.ca), servername: 'localhost',
  });
  await tunnel.listen();
  const paths: Array<[string, Target]> = [
    ['amigate plaintext', plain],
    ['amigate TLS (client does TLS)', tlsTarget],
    ['amigate tunnel -> amigate TLS', { port: tunnel.address.port, user: plain.user, secret: plain.secret }],
  ];
  const seconds = quick ? 0.5 : 2;
  try {
    print(`## Tunnel: Ping round trip, closed loop (${seconds} s per cell)`);
    print('');
    print('amigate answers Ping itself, so each cell is the client-side path alone: the tunnel adds one local hop plus the TLS it does for the client.');
    print('');
    for (const [, target] of paths) await load.call('rtt', { target, clients: 10, seconds: 0.3, action: 'Ping' });
    print('| clients | path | actions/s | p50 ms | p99 ms | p50 added vs plaintext | p50 / TLS direct |');
    print('|---:|---|---:|---:|---:|---:|---:|');
    for (const clients of quick ? [1, 10] : [1, 10, 100]) {
      const res: Array<LatencySummary & { perSecond: number }> = [];
      for (const [, target] of paths) res.push(await load.call('rtt', { target, clients, seconds, action: 'Ping' }));
      paths.forEach(([name], i) => {
        const x = res[i]!;
        print(`| ${clients} | ${name} | ${fmt(x.perSecond)} | ${x.p50.toFixed(3)} | ${x.p99.toFixed(3)} | ${((x.p50 - res[0]!.p50) * 1000).toFixed(0)} us | ${(x.p50 / res[1]!.p50).toFixed(2)} |`);
      });
    }
    print('');
  } finally {
    await tunnel.close();
  }
}
