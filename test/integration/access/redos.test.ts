// Regular expressions run in linear time (issue 11.6). amigate runs every
// session on one event loop: with a backtracking engine one client's
// `Filter: .*.*.*ZZ` froze the whole proxy for 80 s, and `(.|[^Z])*ZZ`,
// `(\s|.)*ZZ`, `(a|a)*b` passed the old safe-regex2 screen too. Here, through
// the real proxy over sockets: those Filters are accepted as Asterisk accepts
// them, events built to be their worst case flow, and an unrelated client's
// Ping is answered promptly; config patterns of the same shapes (eventfilter,
// commands.allow, log.sensitive) load and run the same way; and the simulated
// Asterisk's own Filter matching is linear too.

import t from 'tap';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import { startSim } from '../../../src/sim/server.js';

/** The four patterns, plus the classic exponential ones. */
const HOSTILE = ['.*.*.*ZZ', '(.|[^Z])*ZZ', '(\\s|.)*ZZ', '(a|a)*b', '(a+)+$', '(x*)*y'];
/** Worst case for all of them: long, no 'ZZ', no 'b', no 'y', ends in a non-'a'. */
const BAIT = 'a'.repeat(3000) + '!';
const BAITS = 10;
/** Generous for a loaded 2-core CI; a backtracking engine needs minutes to forever per event. */
const PING_BOUND_MS = 1500;

const users = {
  mallory: { secret: 'pw', read: 'user', write: 'system' },
  ops: { secret: 'pw', read: 'user', write: 'system' },
};

async function pingTimes(h: { sim: { emitEvent(n: string, c: string, hs: Array<[string, string]>): void } }, ops: TestClient): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < BAITS; i++) {
    h.sim.emitEvent('Bait', 'user', [['Seq', String(i)], ['Data', BAIT]]);
    const started = performance.now();
    const pong = await ops.action([['Action', 'Ping']], { ms: 10_000 });
    times.push(performance.now() - started);
    if (pong.get('Response') !== 'Success') throw new Error('Ping failed');
  }
  return times;
}

t.test("a client's hostile Filter patterns are accepted and run in linear time", async (t) => {
  const h = await startProxy(t, { users, upstream: { keepalive: 0 } });
  const mallory = await TestClient.connect({ port: h.port });
  const ops = await TestClient.connect({ port: h.port });
  t.teardown(() => Promise.all([mallory.close(), ops.close()]));
  await mallory.login('mallory', 'pw');
  await ops.login('ops', 'pw');

  for (const filter of HOSTILE) {
    const r = await mallory.action([['Action', 'Filter'], ['Operation', 'Add'], ['Filter', filter]]);
    t.equal(r.get('Response'), 'Success', `Filter: ${filter} is accepted (Asterisk's regcomp() accepts it too)`);
  }
  const adv = await mallory.action([['Action', 'Filter'], ['Operation', 'Add'], ['MatchCriteria', 'header(Data),method(regex)'], ['Filter', '(a|a)*b']]);
  t.equal(adv.get('Response'), 'Success', 'the advanced form too');
  const bait = await mallory.action([['Action', 'Filter'], ['Operation', 'Add'], ['Filter', 'Event: Bait']]);
  t.equal(bait.get('Response'), 'Success');
  // Backreferences are what the linear-time engine cannot run: Asterisk's compile-error reply.
  const backref = await mallory.action([['Action', 'Filter'], ['Operation', 'Add'], ['Filter', '(Event: [A-Z]+).*\\1']]);
  t.equal(backref.get('Message'), 'Filter did not compile.  Check the syntax of the filter given.', 'a backreference is refused as FILTER_COMPILE_FAIL');

  const pings = await pingTimes(h, ops);
  await mallory.waitFor((m) => m.get('Event') === 'Bait' && m.get('Seq') === String(BAITS - 1), 10_000);
  t.same(mallory.events('Bait').map((m) => m.get('Seq')), Array.from({ length: BAITS }, (_, i) => String(i)), 'every event is tested against the filters and flows, in order');
  t.ok(mallory.events('Bait').every((m) => m.get('Data') === BAIT), 'untouched');
  t.ok(Math.max(...pings) < PING_BOUND_MS, `the unrelated client's Ping stays fast (max ${Math.max(...pings).toFixed(1)} ms)`);
});

t.test('config patterns of the same shapes load and run in linear time', async (t) => {
  const h = await startProxy(t, {
    users: {
      cfg: {
        secret: 'pw', read: 'user', write: 'system,command,user',
        eventfilter: [...HOSTILE, { matchcriteria: 'header(Data),method(regex)', filter: '(.|[^Z])*ZZ' }, 'Event: Bait'],
        commands: { allow: ['^core show (\\w+\\s?)+$'], deny: ['^(a|a)*b'] },
      },
      ops: users.ops,
    },
    logSensitive: ['^Variable: (\\w+=?)+$', '.*.*.*ZZ'],
    upstream: { keepalive: 0 },
  });
  const cfg = await TestClient.connect({ port: h.port });
  const ops = await TestClient.connect({ port: h.port });
  t.teardown(() => Promise.all([cfg.close(), ops.close()]));
  await cfg.login('cfg', 'pw');
  await ops.login('ops', 'pw');

  // 30 words and a '!': (\w+\s?)+$ is exponential in the words for a backtracking engine.
  const started = performance.now();
  const cmd = await cfg.action([['Action', 'Command'], ['Command', 'core show ' + 'word '.repeat(30) + '!']], { ms: 10_000 });
  t.equal(cmd.get('Message'), 'Permission denied: commands.allow does not match', 'commands.allow is evaluated (and does not match)');
  const ok = await cfg.action([['Action', 'Command'], ['Command', 'core show version']]);
  t.not(ok.get('Message'), 'Permission denied: commands.allow does not match', 'and matches where it should');
  // log.sensitive runs on every audited header line: the value is the worst case for (\w+=?)+$.
  const ue = await cfg.action([['Action', 'UserEvent'], ['UserEvent', 'probe'], ['Variable', 'a'.repeat(30) + '!']], { ms: 10_000 });
  t.equal(ue.get('Response'), 'Success');
  const elapsed = performance.now() - started;
  t.ok(elapsed < 3 * PING_BOUND_MS, `commands and log.sensitive answered promptly (${elapsed.toFixed(1)} ms)`);

  const pings = await pingTimes(h, ops);
  await cfg.waitFor((m) => m.get('Event') === 'Bait' && m.get('Seq') === String(BAITS - 1), 10_000);
  t.equal(cfg.events('Bait').length, BAITS, 'the configured filters let every bait event through');
  t.ok(Math.max(...pings) < PING_BOUND_MS, `the unrelated client's Ping stays fast (max ${Math.max(...pings).toFixed(1)} ms)`);
});

t.test("the simulated Asterisk's own Filter matching is linear too", async (t) => {
  const sim = await startSim({ users: [{ name: 'admin', secret: 'pw', read: 'all', write: 'all' }] });
  t.teardown(() => sim.close());
  const c = await TestClient.connect({ port: sim.port });
  t.teardown(() => c.close());
  await c.login('admin', 'pw');
  for (const filter of [...HOSTILE, 'Event: Bait']) {
    const r = await c.action([['Action', 'Filter'], ['Operation', 'Add'], ['Filter', filter]]);
    t.equal(r.get('Response'), 'Success', `sim accepts ${filter}`);
  }
  const started = performance.now();
  for (let i = 0; i < BAITS; i++) sim.emitEvent('Bait', 'user', [['Seq', String(i)], ['Data', BAIT]]);
  await c.waitFor((m) => m.get('Event') === 'Bait' && m.get('Seq') === String(BAITS - 1), 10_000);
  t.equal(c.events('Bait').length, BAITS);
  t.ok(performance.now() - started < PING_BOUND_MS, `${BAITS} events matched promptly (${(performance.now() - started).toFixed(1)} ms)`);
});
