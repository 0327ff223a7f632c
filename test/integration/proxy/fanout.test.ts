// Event fan-out through the proxy: read classes all-of per user, Events masks,
// per-user and per-session filters, and a stalled client dropped (queue full,
// or writetimeout) while the others keep their rate, measured against a
// window without a stalled client.

import t from 'tap';
import { startProxy, waitUntil, type ProxyHarness } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

t.test('classes, masks and filters per client', async (t) => {
  const h = await startProxy(t, {
    users: {
      admin: { secret: 'a', read: 'all', write: 'all' },
      caller: { secret: 'c', read: 'call', write: '' },
      filtered: { secret: 'f', read: 'all', write: 'system', eventfilter: ['Event: Hangup'] },
    },
  });
  const mk = async (u: string, s: string, extra: Array<[string, string]> = []) => {
    const c = await TestClient.connect({ port: h.port });
    t.teardown(() => c.close());
    await c.login(u, s, extra);
    return c;
  };
  const admin = await mk('admin', 'a');
  const caller = await mk('caller', 'c');
  const filtered = await mk('filtered', 'f');
  const off = await mk('admin', 'a', [['Events', 'off']]);
  const sysOnly = await mk('admin', 'a');
  await sysOnly.action([['Action', 'Events'], ['EventMask', 'system']]);
  const dyn = await mk('admin', 'a');
  const fr = await dyn.action([['Action', 'Filter'], ['Operation', 'Add'], ['MatchCriteria', 'name(UserEvent)'], ['Filter', '']], { id: 'f1' });
  t.equal(fr.toString(), 'Response: Success\r\nActionID: f1\r\nMessage: Success\r\n\r\n');
  const before = (c: TestClient) => c.received.length;
  const marks = [admin, caller, filtered, off, sysOnly, dyn].map(before);
  h.sim.emitEvent('Newchannel', 'call', [['Channel', 'PJSIP/1-1']]);
  h.sim.emitEvent('VarSet', 'dialplan', [['Variable', 'X']]);
  h.sim.emitEvent('UserEvent', 'user', [['UserEvent', 'Test']]);
  h.sim.emitEvent('Hangup', 'call', [['Channel', 'PJSIP/1-1']]);
  h.sim.emitEvent('Reload', 'system', [['Module', 'All']]);
  h.sim.emitEvent('Mixed', 'system,call', [['X', 'y']]);
  await admin.waitFor((m) => m.get('Event') === 'Mixed', 3000, marks[0]);
  await new Promise((r) => setTimeout(r, 100));
  const names = (c: TestClient, i: number) => c.received.slice(marks[i]).filter((m) => m.isEvent).map((m) => m.get('Event'));
  t.same(names(admin, 0), ['Newchannel', 'VarSet', 'UserEvent', 'Hangup', 'Reload', 'Mixed']);
  t.same(names(caller, 1), ['Newchannel', 'Hangup'], 'call reader: call-only events; Mixed needs system too (all-of)');
  t.same(names(filtered, 2), ['Hangup'], 'eventfilter from the user config');
  t.same(names(off, 3), [], 'Events: off');
  t.same(names(sysOnly, 4), ['Reload'], 'EventMask: system');
  t.same(names(dyn, 5), ['UserEvent'], 'Filter action for this session only');
});

/** Bulk events on a wall-clock schedule (catching up after a late tick, like the sim's generator), tagged with the window and the emit time. */
function pump(h: ProxyHarness, window: string, perSecond: number) {
  const payload = 'x'.repeat(900);
  const start = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) * perSecond) / 1000) - sent;
    for (let i = 0; i < due; i++) h.sim.emitEvent('Bulk', 'user', [['W', window], ['N', String(sent++)], ['T', performance.now().toFixed(2)], ['Payload', payload]]);
  }, 10);
  return { start, get sent() { return sent; }, stop: () => clearInterval(timer) };
}

/** What `c` got of window `w`: how many by `until` (performance.now()), in total, and the p95 emit-to-parse latency. */
function delivered(c: TestClient, w: string, until: number) {
  let byEnd = 0;
  let total = 0;
  const lat: number[] = [];
  c.received.forEach((m, i) => {
    if (m.get('Event') !== 'Bulk' || m.get('W') !== w) return;
    total++;
    const at = c.receivedAt[i]!;
    if (at <= until) byEnd++;
    lat.push(at - Number(m.get('T')));
  });
  lat.sort((a, b) => a - b);
  return { byEnd, total, p95: lat[Math.floor(lat.length * 0.95)] ?? NaN };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a stalled client is dropped and the others keep their rate', async (t) => {
  // 1 MiB queue at ~1.35 MB/s: the stalled client stays queued for most of
  // the window before the queue-full drop, so a fan-out that waited on it
  // would cut the others' rate in that window to well under half.
  const h = await startProxy(t, {
    users: { w: { secret: 'w', read: 'all', write: 'all', writetimeout: 5000 } },
    general: { maxqueuebytes: 1048576 },
  });
  const mk = async () => {
    const c = await TestClient.connect({ port: h.port });
    t.teardown(() => c.close());
    await c.login('w', 'w');
    return c;
  };
  const fast = [await mk(), await mk()];
  const RATE = 1500;
  const W = 1500;
  const measure = async (w: string, whileStalled?: () => Promise<void>) => {
    const p = pump(h, w, RATE);
    await sleep(W);
    const end = performance.now();
    const rates = fast.map((c) => (delivered(c, w, end).byEnd * 1000) / (end - p.start));
    await whileStalled?.();
    p.stop();
    await waitUntil(() => fast.every((c) => delivered(c, w, Infinity).total === p.sent), 8000, `the fast clients to get all of window ${w}`);
    return { rates, p95: fast.map((c) => delivered(c, w, Infinity).p95), sent: p.sent };
  };
  const base = await measure('base');
  const slow = await mk();
  slow.socket.pause(); // never reads again
  const stalled = await measure('stall', () => waitUntil(() => h.proxy.fanout.size === fast.length, 8000, 'the slow client to be dropped'));
  for (const [i, r] of stalled.rates.entries()) {
    t.ok(r >= 0.7 * base.rates[i]!, `fast client ${i}: ${r.toFixed(0)}/s during the stall vs ${base.rates[i]!.toFixed(0)}/s before`);
    // The pump, the proxy and the clients share one event loop, so a stall
    // that cost the proxy CPU would delay the pump and the clock too and could
    // hide from the rate; the emit-to-parse latency cannot hide.
    const bound = Math.max(4 * base.p95[i]!, base.p95[i]! + 250);
    t.ok(stalled.p95[i]! <= bound, `fast client ${i}: p95 latency ${stalled.p95[i]!.toFixed(1)} ms during the stall vs ${base.p95[i]!.toFixed(1)} ms before (bound ${bound.toFixed(0)})`);
  }
  t.pass(`all ${stalled.sent} events of the stalled window delivered to both fast clients`);
  const drop = h.logs().find((l) => l['audit'] === 'slowConsumerDropped');
  t.equal(drop?.['reason'], 'queue-full', 'audited with the queue-full reason');
});

t.test('a client that stops draining is dropped after writetimeout, even under the queue limit', async (t) => {
  // maxqueuebytes far above what this test sends: only the writetimeout
  // timer (S27) can drop the client.
  const h = await startProxy(t, {
    users: { w: { secret: 'w', read: 'all', write: 'all', writetimeout: 300 } },
    general: { maxqueuebytes: 256 * 1048576 },
  });
  const fast = await TestClient.connect({ port: h.port });
  t.teardown(() => fast.close());
  await fast.login('w', 'w');
  const slow = await TestClient.connect({ port: h.port });
  t.teardown(() => slow.close());
  await slow.login('w', 'w');
  slow.socket.pause();
  const p = pump(h, 'wt', 3000);
  await waitUntil(() => h.proxy.fanout.size === 1, 8000, 'the slow client to be dropped');
  p.stop();
  const drop = h.logs().find((l) => l['audit'] === 'slowConsumerDropped');
  t.equal(drop?.['reason'], 'timeout', 'audited with the timeout reason');
  t.ok(Number(drop?.['queuedBytes']) < 256 * 1048576, `dropped with ${String(drop?.['queuedBytes'])} bytes queued`);
  await waitUntil(() => delivered(fast, 'wt', Infinity).total === p.sent, 8000, 'the other client to get everything');
  t.pass(`the other client got all ${p.sent} events`);
  const p95 = delivered(fast, 'wt', Infinity).p95;
  t.ok(p95 < 1000, `the other client's p95 latency stayed at ${p95.toFixed(1)} ms`);
});
