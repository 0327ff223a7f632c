// The WebSocket front end's cost (issue 14): the TCP plaintext listener beside
// the WebSocket endpoint of an HTTP listener, in both framings (`ami`: the TCP
// bytes in a text frame; `ami-json`: one JSON object per frame, encoded once per
// event for all receivers). Same amigate process, same sim, same load generator
// (bench/lib/ws-light-client.ts): action round trips, then fan-out to up to
// 1,000 subscribed clients.

import { fmt, type LatencySummary } from './lib/stats.js';
import type { Target } from './lib/light-client.js';

interface Caller { call<T>(cmd: string, params?: Record<string, unknown>): Promise<T> }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function websocketBench(load: Caller, sim: Caller, proxy: Caller, tcp: Target, webPort: number, print: (line?: string) => void, quick: boolean): Promise<void> {
  const ws = (protocol: 'ami' | 'ami-json'): Target => ({ ...tcp, ws: { url: `ws://127.0.0.1:${webPort}/ws`, protocol } });
  const paths: Array<[string, Target]> = [['TCP plaintext', tcp], ['WebSocket ami', ws('ami')], ['WebSocket ami-json', ws('ami-json')]];

  const seconds = quick ? 0.5 : 2;
  for (const action of ['Ping', 'CoreStatus']) {
    print(`## WebSocket: ${action} round trip, closed loop (${seconds} s per cell)`);
    print('');
    for (const [, target] of paths) await load.call('rtt', { target, clients: 10, seconds: 0.3, action });
    print('| clients | path | actions/s | p50 ms | p99 ms | max ms | p50 / TCP |');
    print('|---:|---|---:|---:|---:|---:|---:|');
    for (const clients of quick ? [1, 100] : [1, 10, 100]) {
      const res: Array<LatencySummary & { perSecond: number }> = [];
      for (const [, target] of paths) res.push(await load.call('rtt', { target, clients, seconds, action }));
      paths.forEach(([name], i) => {
        const x = res[i]!;
        print(`| ${clients} | ${name} | ${fmt(x.perSecond)} | ${x.p50.toFixed(3)} | ${x.p99.toFixed(3)} | ${x.max.toFixed(1)} | ${(x.p50 / res[0]!.p50).toFixed(2)} |`);
      });
    }
    print('');
  }

  const fanSeconds = quick ? 1 : 3;
  const rate = 200;
  print(`## WebSocket: fan-out of ${rate} Newstate events/s for ${fanSeconds} s to N subscribed clients`);
  print('');
  print('amigate CPU: the proxy process\'s user+system CPU time during the cell (emit and drain), per 1,000 deliveries: what a delivery costs amigate, apart from the load generator\'s share of the machine.');
  print('');
  print('| clients | path | deliveries/s | loss | dropped clients | p50 ms | p99 ms | amigate CPU ms / 1k deliveries | deliveries / TCP |');
  print('|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const clients of quick ? [10, 100] : [10, 100, 1000]) {
    const res: Array<{ received: number; dropped: number; p50: number; p99: number; expected: number; cpuMs: number }> = [];
    for (const [, target] of paths) {
      await load.call('subscribe', { target, clients });
      await sleep(300);
      await load.call('measure-start');
      const cpu0 = await proxy.call<number>('cpu');
      const { emitted } = await sim.call<{ emitted: number }>('emit', { rate, seconds: fanSeconds });
      let last = -1;
      for (let i = 0; i < 40; i++) {
        const now = await load.call<number>('peek');
        if (now >= emitted * clients || now === last) break;
        last = now;
        await sleep(300);
      }
      const r = await load.call<{ received: number; dropped: number; p50: number; p99: number }>('measure-stop');
      const cpuMs = ((await proxy.call<number>('cpu')) - cpu0) / 1000; // the child answers in µs
      await load.call('close-all');
      await sleep(300);
      res.push({ ...r, expected: emitted * clients, cpuMs });
    }
    paths.forEach(([name], i) => {
      const x = res[i]!;
      const dps = x.received / fanSeconds;
      print(`| ${clients} | ${name} | ${fmt(dps)} | ${fmt(x.expected - x.received)} | ${x.dropped} | ${x.p50.toFixed(2)} | ${x.p99.toFixed(2)} | ${x.received > 0 ? ((x.cpuMs * 1000) / x.received).toFixed(1) : '-'} | ${(x.received / res[0]!.received).toFixed(2)} |`);
    });
  }
  print('');
}
