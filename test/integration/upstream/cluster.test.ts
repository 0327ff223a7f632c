// The upstream cluster against the simulated Asterisk 22 (src/sim) over real
// TCP on 127.0.0.1: login, one event stream per server, spreading, losses,
// keepalive, restart and a second server. Timers are shortened; every wait is bounded.

import t, { type Test } from 'tap';
import pino from 'pino';
import { AmiMessage } from '../../../src/protocol/message.js';
import { classBit } from '../../../src/protocol/privileges.js';
import { Cluster, type ClusterOptions } from '../../../src/upstream/cluster.js';
import type { UpstreamConfig, UpstreamListener, UpstreamRef } from '../../../src/upstream/types.js';
import type { AmigateError } from '../../../src/errors.js';
import { UpstreamUnavailableError } from '../../../src/errors.js';
import { startSim, type Sim, type SimOptions } from '../../../src/sim/server.js';

const silent = pino({ level: 'silent' });
const USER = { name: 'amigate', secret: 'upstream-secret', read: 'all', write: 'all' };

async function sim(t: Test, opts: SimOptions = {}): Promise<Sim> {
  const s = await startSim({ users: [USER], ...opts });
  t.teardown(() => s.close());
  return s;
}

function recorder() {
  const messages: Array<{ msg: AmiMessage; ref: UpstreamRef }> = [];
  const downs: Array<{ ref: UpstreamRef; err: AmigateError }> = [];
  const states: Array<[string, boolean]> = [];
  const listener: UpstreamListener = {
    message: (msg, ref) => { messages.push({ msg, ref }); },
    connectionDown: (ref, err) => { downs.push({ ref, err }); },
    serverState: (server, ready) => { states.push([server, ready]); },
  };
  return { listener, messages, downs, states, events: (name: string) => messages.filter((m) => m.msg.isEvent && m.msg.get('Event') === name) };
}

function upstream(name: string, port: number, over: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { name, host: '127.0.0.1', port, username: USER.name, secret: USER.secret, connections: 2, keepalive: 0, keepalivemisses: 3, ...over };
}

function cluster(t: Test, configs: UpstreamConfig[], opts: Partial<ClusterOptions> = {}) {
  const rec = recorder();
  const c = new Cluster(configs, rec.listener, { logger: silent, retryDelay: () => 20, readyTimeoutMs: 300, ...opts });
  t.teardown(() => c.close());
  c.start();
  return { cluster: c, ...rec };
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let seq = 0;
const ping = () => new AmiMessage(['Action: Ping', `ActionID: amg.it.${++seq}`]);
const responses = (h: ReturnType<typeof recorder>) => h.messages.filter((m) => m.msg.isResponse);

t.test('MD5 login, banner, ListCommands privileges, one event connection', async (t) => {
  const s = await sim(t);
  const h = cluster(t, [upstream('pbx1', s.port)]);
  await waitFor(() => h.cluster.isReady('pbx1'), 3000, 'ready');
  t.same(h.states, [['pbx1', true]]);
  const challenges = s.received.filter((r) => r.action.toLowerCase() === 'challenge');
  const logins = s.received.filter((r) => r.action.toLowerCase() === 'login');
  t.equal(challenges.length, 2, 'both connections ask for a challenge');
  t.equal(logins.length, 2);
  t.ok(logins.every((l) => l.msg.get('AuthType') === 'MD5' && !l.msg.has('Secret')), 'MD5 key, no Secret on the wire');
  t.same(logins.map((l) => l.msg.get('Events')).sort(), ['off', 'on']);
  t.equal(h.cluster.banner(), 'Asterisk Call Manager/11.0.0');
  const privs = h.cluster.actionPrivileges('pbx1')!;
  t.ok(privs.size >= 90, `${privs.size} actions listed`);
  t.same(privs.get('originate'), { name: 'Originate', mask: classBit('originate') });
  t.equal(privs.get('ping')!.mask, 0);
  t.equal(privs.get('coreshowchannels')!.mask, classBit('system')! | classBit('reporting')!);
  t.equal(h.events('FullyBooted').length, 1, 'FullyBooted from the event connection only');
  const st = h.cluster.stats().servers[0]!;
  t.match(st, { name: 'pbx1', state: 'ready', connectionsReady: 2, connectionsTotal: 2 });
  t.equal(st.connections.filter((c) => c.events).length, 1);
});

t.test('each broadcast event arrives once with 3 connections; actions spread over all of them', async (t) => {
  const s = await sim(t);
  const h = cluster(t, [upstream('pbx1', s.port, { connections: 3 })]);
  await waitFor(() => h.cluster.isReady('pbx1') && h.cluster.stats().servers[0]!.connectionsReady === 3, 3000, 'ready');
  for (let i = 0; i < 5; i++) s.emitEvent('UserEvent', 'user', [['UserEvent', `n${i}`]]);
  await waitFor(() => h.events('UserEvent').length >= 5, 2000, 'events');
  await new Promise((r) => setTimeout(r, 50));
  t.equal(h.events('UserEvent').length, 5, 'no duplicates');
  t.same(h.events('UserEvent').map((e) => e.msg.get('UserEvent')), ['n0', 'n1', 'n2', 'n3', 'n4'], 'in order');
  const refs = Array.from({ length: 9 }, () => h.cluster.send(['pbx1'], ping()));
  t.equal(new Set(refs.map((r) => r.id)).size, 3, 'all three connections used');
  await waitFor(() => responses(h).length === 9, 2000, 'responses');
  for (const r of responses(h)) t.equal(r.msg.get('Ping'), 'Pong');
  t.equal(h.cluster.stats().servers[0]!.pending, 0);
  t.notOk(h.messages.some((m) => (m.msg.get('ActionID') ?? '').startsWith('amigate-int-')), 'no internal reply leaks');
});

t.test('dropConnections(): connectionDown for in-flight actions, then reconnect', async (t) => {
  const s = await sim(t);
  const h = cluster(t, [upstream('pbx1', s.port)]);
  await waitFor(() => h.cluster.isReady('pbx1'), 3000, 'ready');
  s.hang(true);
  const ref = h.cluster.send(['pbx1'], ping());
  await new Promise((r) => setTimeout(r, 20));
  s.dropConnections();
  s.hang(false);
  await waitFor(() => h.downs.some((d) => d.ref === ref), 2000, 'connectionDown for the in-flight action');
  t.equal(h.downs.find((d) => d.ref === ref)!.err.message, 'Upstream connection lost');
  t.equal(h.downs.length, 2, 'once per lost connection');
  await waitFor(() => h.states.length >= 3 && h.cluster.isReady('pbx1'), 3000, 'back');
  t.same(h.states, [['pbx1', true], ['pbx1', false], ['pbx1', true]]);
  const again = h.cluster.send(['pbx1'], ping());
  t.equal(again.generation, 2);
  await waitFor(() => responses(h).some((r) => r.ref === again), 2000, 'answer on the new connection');
  t.equal(h.events('FullyBooted').length, 2, 'one FullyBooted per server (re)login');
});

t.test('keepalive detects a hung Asterisk', async (t) => {
  const s = await sim(t);
  const h = cluster(t, [upstream('pbx1', s.port, { connections: 1, keepalive: 0.05, keepalivemisses: 2 })], { loginTimeoutMs: 300 });
  await waitFor(() => h.cluster.isReady('pbx1'), 3000, 'ready');
  s.hang(true);
  const hungAt = Date.now();
  await waitFor(() => h.downs.length === 1, 2000, 'keepalive death');
  const took = Date.now() - hungAt;
  t.ok(took < 1000, `declared dead after ${took} ms`);
  t.match((h.downs[0]!.err.cause as Error).message, /keepalive/);
  t.same(h.states, [['pbx1', true], ['pbx1', false]]);
  s.hang(false);
  await waitFor(() => h.cluster.isReady('pbx1'), 3000, 'back after the hang');
});

t.test('restart(): Shutdown makes the server unavailable at once; it is back after the restart', async (t) => {
  const s = await sim(t);
  const h = cluster(t, [upstream('pbx1', s.port)]);
  await waitFor(() => h.cluster.isReady('pbx1'), 3000, 'ready');
  const restarted = s.restart(200);
  await waitFor(() => !h.cluster.isReady('pbx1'), 1000, 'not ready');
  t.equal(h.events('Shutdown').length, 1, 'Shutdown passed on once');
  t.throws(() => h.cluster.send(['pbx1'], ping()), UpstreamUnavailableError);
  await restarted;
  await waitFor(() => h.cluster.isReady('pbx1'), 5000, 'back');
  t.same(h.states, [['pbx1', true], ['pbx1', false], ['pbx1', true]]);
  const ref = h.cluster.send(['pbx1'], ping());
  await waitFor(() => responses(h).some((r) => r.ref === ref), 2000, 'answered after the restart');
});

t.test('two servers: preference order, failover, events tagged by their connection', async (t) => {
  const a = await sim(t);
  const b = await sim(t);
  const h = cluster(t, [upstream('a', a.port), upstream('b', b.port)]);
  await waitFor(() => h.cluster.isReady('a') && h.cluster.isReady('b'), 3000, 'both ready');
  t.equal(h.cluster.send(['a', 'b'], ping()).server, 'a');
  t.equal(h.cluster.send(['b', 'a'], ping()).server, 'b');
  b.emitEvent('UserEvent', 'user', [['UserEvent', 'from-b']]);
  await waitFor(() => h.events('UserEvent').length === 1, 2000, 'event from b');
  t.equal(h.events('UserEvent')[0]!.ref.server, 'b');
  await a.close();
  await waitFor(() => !h.cluster.isReady('a'), 2000, 'a down');
  t.equal(h.cluster.send(['a', 'b'], ping()).server, 'b', 'fails over to b');
  t.same(h.cluster.stats().servers.map((s) => [s.name, s.ready]), [['a', false], ['b', true]]);
});

t.test('a wrong secret never becomes ready and keeps retrying', async (t) => {
  const s = await sim(t);
  const h = cluster(t, [upstream('pbx1', s.port, { secret: 'wrong', connections: 1 })]);
  await waitFor(() => (h.cluster.stats().servers[0]!.connections[0]!.lastError ?? '').includes('Authentication failed'), 4000, 'auth failure');
  t.equal(h.cluster.isReady('pbx1'), false);
  t.same(h.states, []);
  t.equal(h.cluster.stats().servers[0]!.connections[0]!.lastError!.includes('wrong'), false, 'the secret is not in the error');
});
