// The sim's default login-failure delay, over a real socket with default options.
// main/manager.c action_login(): when authenticate() fails it sleep(1)s, sends
// "Authentication failed" and returns -1, which ends the session (S8; captures
// 02a, 02b and 03b answer at t = 1001-1002 ms). Other tests shorten the delay
// with loginFailureDelayMs, so only this one would notice the default drifting.

import t from 'tap';
import { rawAmi, startSimForTest } from '../../helpers/sim-control.js';

const BANNER = 'Asterisk Call Manager/11.0.0\r\n';
/** 1 s minus timer slack; a loaded CI machine only ever makes it longer. */
const MIN_DELAY_MS = 950;

const cases = [
  ['a wrong secret', 'Action: Login\r\nActionID: bad\r\nUsername: admin\r\nSecret: wrong\r\n\r\n', 'ActionID: bad\r\n'],
  ['an unknown user', 'Action: Login\r\nUsername: nosuch\r\nSecret: x\r\n\r\n', ''],
] as const;

for (const [what, login, actionId] of cases) {
  t.test(`${what}: Authentication failed after about 1 s, then the connection closes`, async (t) => {
    const sim = await startSimForTest(t);
    const c = await rawAmi(t, sim.port);
    await c.waitFor((s) => s === BANNER);
    const start = Date.now();
    c.send(login);
    // Nothing may arrive early: the first byte after the banner is the failure.
    await c.waitFor((s) => s.length > BANNER.length, 10_000);
    const answeredMs = Date.now() - start;
    await c.waitEnd(10_000);
    const closedMs = Date.now() - start;
    t.ok(answeredMs >= MIN_DELAY_MS, `answered after ${answeredMs} ms (>= ${MIN_DELAY_MS})`);
    t.ok(closedMs >= answeredMs, `closed after ${closedMs} ms`);
    t.equal(c.text(), `${BANNER}Response: Error\r\n${actionId}Message: Authentication failed\r\n\r\n`, 'the failure and nothing else');
  });
}

t.test('a good login is not delayed (the delay belongs to the failure)', async (t) => {
  const sim = await startSimForTest(t);
  const c = await rawAmi(t, sim.port);
  await c.waitFor((s) => s === BANNER);
  const start = Date.now();
  c.send('Action: Login\r\nUsername: admin\r\nSecret: adminpw\r\nEvents: off\r\n\r\n');
  await c.waitFor(/Message: Authentication accepted\r\n/, 10_000);
  const ms = Date.now() - start;
  t.ok(ms < MIN_DELAY_MS, `accepted after ${ms} ms`);
  t.notOk(c.ended(), 'still connected');
});
