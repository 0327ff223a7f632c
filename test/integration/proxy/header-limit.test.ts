// Asterisk's 128-line request limit (S4) through the proxy (docs/reliability.md):
// a 128-line request with its own ActionID is rewritten in place and runs as on a
// direct connection; one without an ActionID becomes 129 lines once amigate adds
// its routing ActionID, and gets Asterisk's too-many-lines error with no ActionID
// (no proxy ID leaks), after which the session goes on.

import t from 'tap';
import { startProxy, UPSTREAM_USER } from '../../helpers/start-proxy.js';
import { loginRaw, type RawAmi } from '../../helpers/sim-control.js';

async function firstReply(c: RawAmi, request: string): Promise<string> {
  const from = c.text().length;
  c.send(request);
  const text = await c.waitFor((s) => s.indexOf('\r\n\r\n', from) > 0);
  return text.slice(from, text.indexOf('\r\n\r\n', from) + 4);
}

/** CoreStatus padded with X headers to `lines` lines in all. */
function request(lines: number, actionId?: string): string {
  const head = ['Action: CoreStatus', ...(actionId === undefined ? [] : [`ActionID: ${actionId}`])];
  const pad = Array.from({ length: lines - head.length }, (_, i) => `X${i}: y`);
  return [...head, ...pad, '', ''].join('\r\n');
}

t.test('a 128-line request through the proxy', async (t) => {
  const h = await startProxy(t, { users: { ops: { secret: 'opspw', read: 'all', write: 'all' } } });
  const c = await loginRaw(t, h.port, 'ops', 'opspw', 'Events: off\r\n');
  const d = await loginRaw(t, h.sim.port, UPSTREAM_USER.name, UPSTREAM_USER.secret, 'Events: off\r\n');

  t.match(await firstReply(d, request(128)), /^Response: Success\r\n/, 'direct: 128 lines run');
  t.match(await firstReply(c, request(128, 'full')), /^Response: Success\r\nActionID: full\r\nCoreStartupDate: /, 'with an ActionID: runs, ActionID restored');
  t.equal(await firstReply(c, request(128)), 'Response: Error\r\nMessage: Too many lines in message or allocation failure\r\n\r\n',
    'without one: 129 lines upstream, Asterisk\'s error, no ActionID');
  t.match(await firstReply(c, request(127)), /^Response: Success\r\nCoreStartupDate: /, '127 lines without an ActionID still run');
  t.notMatch(c.text(), /amg\./, 'no proxy ActionID leaks');
});
