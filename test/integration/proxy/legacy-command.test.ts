// Asterisk <= 13 `Response: Follows` Command output through the proxy (S24):
// the raw body up to `--END COMMAND--` is relayed intact, the client's ActionID
// comes back byte-exact (inner and trailing blanks kept), and a request
// without one gets a reply without one. The reference is the sim's own answer
// to the same request on a direct connection.

import t from 'tap';
import { startProxy, UPSTREAM_USER } from '../../helpers/start-proxy.js';
import { loginRaw, type RawAmi } from '../../helpers/sim-control.js';

const END = '--END COMMAND--\r\n\r\n';

/** Send `request` and return the `Response: Follows` packet it gets, as wire text. */
async function follows(c: RawAmi, request: string): Promise<string> {
  const from = c.text().length;
  c.send(request);
  const at = (s: string) => s.indexOf('Response: Follows', from);
  const text = await c.waitFor((s) => at(s) >= 0 && s.indexOf(END, at(s)) > 0);
  const start = at(text);
  return text.slice(start, text.indexOf(END, start) + END.length);
}

t.test('legacy Response: Follows keeps its body and the client ActionID byte-exact', async (t) => {
  const h = await startProxy(t, {
    users: { ops: { secret: 'opspw', read: 'all', write: 'all' } },
    sim: { legacyCommand: true, preloadChannels: 2 },
  });
  const viaProxy = await loginRaw(t, h.port, 'ops', 'opspw');
  const direct = await loginRaw(t, h.sim.port, UPSTREAM_USER.name, UPSTREAM_USER.secret);

  const withId = 'Action: Command\r\nActionID:  a b  \r\nCommand: core show channels\r\n\r\n';
  const got = await follows(viaProxy, withId);
  const want = await follows(direct, withId);
  t.equal(got, want, 'the same bytes as Asterisk sends');
  t.match(got, /^Response: Follows\r\nPrivilege: Command\r\nActionID: a b  \r\nChannel {58}/, 'ActionID with its blanks, then the raw body');
  t.match(got, /\nPJSIP\/parked-00000001 .*\n2 active channels\n0 active calls\n0 calls processed\n--END COMMAND--\r\n\r\n$/);

  const noId = 'Action: Command\r\nCommand: core show version\r\n\r\n';
  const got2 = await follows(viaProxy, noId);
  t.equal(got2, await follows(direct, noId));
  t.match(got2, /^Response: Follows\r\nPrivilege: Command\r\nAsterisk GIT-22[^\r\n]*\n--END COMMAND--\r\n\r\n$/, 'no ActionID when none was sent');
  t.notMatch(viaProxy.text(), /amg\./, 'no proxy ActionID leaks');
});
