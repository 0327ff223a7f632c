// Catastrophic regexes (issue 4): amigate runs every session on one event
// loop, so a pattern that backtracks exponentially would freeze all of them.
// A client's Filter with such a regex gets Asterisk's compile-error reply and
// is never run; the config loader refuses such commands.* and eventfilter
// patterns (test/unit/config/load.test.ts). Here: through the real proxy, a
// hostile Filter is refused and events built to trigger it do not slow down
// another user's session.

import t from 'tap';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const users = {
  mallory: { secret: 'pw', read: 'user', write: 'system' },
  ops: { secret: 'pw', read: 'user', write: 'system' },
};
// ^(a+)+$ style: on 27 a's and a mismatch, V8 needs ~2^27 steps (seconds) per test.
const EVIL = '(a+)+$';
const BAIT = 'a'.repeat(27) + '!';

t.test('a hostile Filter regex is refused and the proxy stays responsive', async (t) => {
  const h = await startProxy(t, { users, upstream: { keepalive: 0 } });
  const mallory = await TestClient.connect({ port: h.port });
  const ops = await TestClient.connect({ port: h.port });
  t.teardown(() => Promise.all([mallory.close(), ops.close()]));
  await mallory.login('mallory', 'pw');
  await ops.login('ops', 'pw');

  const refused = await mallory.action([['Action', 'Filter'], ['Operation', 'Add'], ['Filter', EVIL]]);
  t.equal(refused.get('Response'), 'Error');
  t.equal(refused.get('Message'), 'Filter did not compile.  Check the syntax of the filter given.', 'Asterisk\'s FILTER_COMPILE_FAIL reply');
  const advanced = await mallory.action([['Action', 'Filter'], ['Operation', 'Add'], ['MatchCriteria', 'header(Data),method(regex)'], ['Filter', EVIL]]);
  t.equal(advanced.get('Message'), 'Filter did not compile.  Check the syntax of the filter given.', 'advanced form too');
  const fine = await mallory.action([['Action', 'Filter'], ['Operation', 'Add'], ['Filter', 'Event: (UserEvent|Bait)']]);
  t.equal(fine.get('Response'), 'Success', 'an ordinary regex is still accepted');

  // Ten bait events: had the filter been added, each would block the loop for seconds.
  const pings: number[] = [];
  for (let i = 0; i < 10; i++) {
    h.sim.emitEvent('Bait', 'user', [['Data', BAIT]]);
    const started = performance.now();
    const pong = await ops.action([['Action', 'Ping']], { ms: 4000 });
    pings.push(performance.now() - started);
    t.equal(pong.get('Response'), 'Success');
  }
  await mallory.waitFor((m) => m.get('Event') === 'Bait' && m.get('Data') === BAIT, 5000);
  t.equal(mallory.events('Bait').length, 10, 'the accepted filter lets the bait through, untouched by the refused one');
  // Generous for a loaded 2-core CI; one evaluation of the refused regex alone takes seconds.
  t.ok(Math.max(...pings) < 1000, `another session's Ping stays fast (max ${Math.max(...pings).toFixed(1)} ms)`);
});
