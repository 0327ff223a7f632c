// Fan-out of events produced *through the path under test* (issue 11): one
// client sends `Action: UserEvent` at a steady rate through the path (direct,
// relay, amigate, amigate TLS), and N subscribed clients of the load process
// count the `Event: UserEvent` broadcasts that come back. Asterisk (the sim:
// action_userevent()) copies the action's headers into the event, the routing
// ActionID and the sender's `SentAt:` stamp included, so amigate must broadcast
// an event that carries one of its own ActionIDs, usually after the response.
// The sender logs in with events on and counts its own copies too.
//
// The sender runs in the bench's main process (otherwise idle while a cell
// runs), the listeners in the load process.

import { LightClient, nowMs, type Target } from './lib/light-client.js';
import { fmt, type LatencySummary } from './lib/stats.js';

/** What this scenario needs of bench/run.ts's Child. */
export interface BenchChild { call<T>(cmd: string, params?: Record<string, unknown>): Promise<T> }
export interface BenchPath { key: string; name: string; target: Target }

interface Cell { sent: number; expected: number; received: number; own: number; p50: number; p99: number; seconds: number }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Send `rate` UserEvents/s for `seconds` (10 ms ticks; each waits for its response, so never more than one in flight). */
async function send(sender: LightClient, rate: number, seconds: number): Promise<number> {
  const total = Math.round(rate * seconds);
  const started = nowMs();
  let sent = 0;
  while (sent < total && !sender.closed) {
    const due = Math.min(total, Math.floor(((nowMs() - started) / 1000) * rate) + 1);
    while (sent < due && !sender.closed) {
      await sender.action(`Action: UserEvent\r\nUserEvent: BenchUserEvent\r\nSentAt: ${nowMs().toFixed(3)}\r\n`, `ue.${sent}`);
      sent++;
    }
    await sleep(10);
  }
  return sent;
}

async function cell(load: BenchChild, path: BenchPath, clients: number, rate: number, seconds: number): Promise<Cell> {
  await load.call('subscribe', { target: path.target, clients });
  const sender = await LightClient.login(path.target, true);
  await sleep(300);
  await load.call('measure-start');
  sender.events = 0;
  const sent = await send(sender, rate, seconds);
  const expected = sent * clients;
  // Let what is in flight arrive: until all expected arrived or nothing moved for 300 ms (bounded).
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const now = await load.call<number>('peek');
    if ((now >= expected && sender.events >= sent) || now === last) break;
    last = now;
    await sleep(300);
  }
  const r = await load.call<LatencySummary & { received: number }>('measure-stop');
  const own = sender.events;
  sender.close();
  await load.call('close-all');
  await sleep(200);
  return { sent, expected, received: r.received, own, p50: r.p50, p99: r.p99, seconds };
}

export async function userEventFanout(load: BenchChild, paths: readonly BenchPath[], print: (line?: string) => void, quick: boolean): Promise<void> {
  const rate = 500;
  const clients = 100;
  const seconds = quick ? 1 : 3;
  print(`## UserEvent fan-out: ${rate} \`Action: UserEvent\`/s sent through the path for ${seconds} s, to ${clients} subscribed clients`);
  print('');
  print('The events are made by the path under test (Asterisk copies the action\'s ActionID into the broadcast), not by the sim\'s generator.');
  print('');
  print('| path | UserEvents sent | deliveries expected | delivered | loss | sender\'s own copies | p50 ms | p99 ms |');
  print('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const path of paths) {
    const x = await cell(load, path, clients, rate, seconds);
    print(`| (${path.key}) ${path.name} | ${fmt(x.sent)} | ${fmt(x.expected)} | ${fmt(x.received)} | ${fmt(x.expected - x.received)} | ${fmt(x.own)} of ${fmt(x.sent)} | ${x.p50.toFixed(2)} | ${x.p99.toFixed(2)} |`);
  }
  print('');
}
