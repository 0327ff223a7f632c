// The 30-second soak in CI (issue 6 item 6): 200 clients with colliding
// ActionIDs, generated events, churn and an upstream outage every 10 s (a
// graceful restart, then an abrupt kill), all through one amigate. Nothing may
// be misrouted (wrong ActionID, or a reply that does not fit the action or the
// client) or hang, and every action sent is accounted for: answered, or cut
// because its client went away.

import t from 'tap';
import { formatReport, runSoak } from '../../../src/soak/soak.js';

t.test('30 s soak: 0 misrouted, 0 hung', { timeout: 90_000 }, async (t) => {
  const r = await runSoak({ seconds: 30, clients: 200, restartEvery: 10, eventsPerSecond: 200, seed: 7 });
  t.comment(formatReport(r));
  t.ok(r.sent > 10_000, `a real load (${r.sent} actions)`);
  t.ok(r.restarts >= 2, `the upstream went away (${r.restarts} times)`);
  t.ok(r.kills >= 1 && r.restarts - r.kills >= 1, `both kinds: ${r.restarts - r.kills} graceful restarts, ${r.kills} kills`);
  t.equal(r.misrouted, 0, 'misrouted');
  t.equal(r.hung, 0, 'hung');
  t.equal(r.answered + r.cutByChurn + r.cutByDrop, r.sent, 'every action answered or cut by a documented cause');
  t.ok(r.answeredError > 0 && r.answeredOk > r.answeredError, 'errors during outages, successes otherwise');
  t.ok(r.eventsReceived > 0, 'events flowed');
  t.ok((r.closeCauses['client-closed'] ?? 0) > 0, `close causes recorded (${JSON.stringify(r.closeCauses)})`);
  const [first, ...rest] = r.rssMiB;
  t.ok(Math.max(...rest) < first! + 600, `RSS bounded (${r.rssMiB.join(' -> ')} MiB)`);
});
