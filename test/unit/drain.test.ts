// src/drain.ts on its own, with a recording target: the phases run in order
// (not ready before stop accepting, hold before the in-flight wait, Event:
// Shutdown only to system readers), the draintimeout deadline with actions
// still in flight, and repeated run() calls.

import t from 'tap';
import { Drain, type DrainTarget } from '../../src/drain.js';
import type { SessionHandle } from '../../src/session/services.js';
import type { AmiMessage } from '../../src/protocol/message.js';
import { captureLogger } from '../helpers/log-capture.js';

function fakeSession(steps: string[], id: number, readsSystem: boolean): SessionHandle {
  return {
    id, status: 'ready', readMask: readsSystem ? 1 : 2, sendMask: readsSystem ? 1 : 2,
    hold: () => steps.push(`hold ${id}`),
    shutdown: (packet: AmiMessage | undefined) => steps.push(`shutdown ${id}${packet ? ` ${packet.get('Event')}` : ''}`),
    destroy: () => steps.push(`destroy ${id}`),
  } as unknown as SessionHandle;
}

function target(opts: { delay: number; timeoutMs: number; pending: () => number }) {
  const steps: string[] = [];
  const log = captureLogger();
  const sessions = [fakeSession(steps, 1, true), fakeSession(steps, 2, false)];
  const tgt: DrainTarget = {
    logger: log.logger,
    readyDelaySeconds: () => opts.delay,
    drainTimeoutMs: () => opts.timeoutMs,
    listeners: [{ stopAccepting: async () => { steps.push('stop accepting'); }, destroyAll: () => steps.push('destroy listener') }],
    sessions: () => sessions,
    pendingActions: opts.pending,
    httpFronts: () => [{ close: async () => { steps.push('close http'); } }],
    closeUpstreams: async () => { steps.push('close upstreams'); },
    closeAdmin: async () => { steps.push('close admin'); },
    stopped: async () => { steps.push('stopped'); },
  };
  return { steps, log, tgt };
}

t.test('phases in order; draining and accepting follow them', async (t) => {
  let pending = 2;
  const { steps, log, tgt } = target({ delay: 0.2, timeoutMs: 5000, pending: () => pending });
  const d = new Drain(tgt);
  t.same([d.phase, d.draining, d.accepting], ['running', false, true]);
  const done = d.run('test');
  t.same([d.phase, d.draining, d.accepting], ['not-ready', true, true], 'not ready, still accepting');
  await new Promise((r) => setTimeout(r, 400));
  t.same([d.phase, d.draining, d.accepting], ['finishing', true, false], 'waiting for the in-flight actions');
  t.same(steps, ['stop accepting', 'hold 1', 'hold 2'], 'sessions held right after the listeners stopped');
  pending = 0;
  await done;
  t.equal(d.phase, 'stopped');
  t.same(steps, ['stop accepting', 'hold 1', 'hold 2', 'shutdown 1 Shutdown', 'shutdown 2', 'close http', 'destroy 1', 'destroy 2', 'destroy listener', 'close upstreams', 'close admin', 'stopped'],
    'Event: Shutdown only to the system reader; the admin port closes last');
  t.same(log.lines().map((l) => l['msg']), [
    'drain: not ready (readyz 503), still accepting', 'drain: ready delay over', 'drain: stopped accepting; sessions start no new action',
    'drain: in-flight actions finished', 'drain: Event: Shutdown sent; closing', 'stopped',
  ]);
  t.equal(log.find({ msg: 'drain: Event: Shutdown sent; closing' })[0]!['told'], 1);
  t.equal(d.run('again'), d.run('and again'), 'later calls return the same promise');
});

t.test('draintimeout reached: a warning with the count, then the close goes on', async (t) => {
  const { steps, log, tgt } = target({ delay: 0, timeoutMs: 100, pending: () => 3 });
  await new Drain(tgt).run('test');
  const warn = log.find({ msg: 'drain: draintimeout reached with actions in flight' });
  t.equal(warn.length, 1);
  t.equal(warn[0]!['pending'], 3);
  t.equal(warn[0]!['level'], 'warn', 'at warn level');
  t.notOk(log.lines().some((l) => l['msg'] === 'drain: ready delay over'), 'no delay to log with drainreadydelay 0');
  t.equal(steps[steps.length - 1], 'stopped');
});

t.test('a second run() during the ready delay cuts it short', async (t) => {
  const { log, tgt } = target({ delay: 3600, timeoutMs: 100, pending: () => 0 });
  const d = new Drain(tgt);
  const first = d.run('first');
  await new Promise((r) => setTimeout(r, 50));
  t.equal(d.phase, 'not-ready');
  const second = d.run('second');
  t.equal(first, second, 'the same stop');
  await first;
  t.equal(d.phase, 'stopped');
  t.equal(log.find({ msg: 'drain: stop requested again; the ready delay is cut short', reason: 'second' }).length, 1);
});
