// An empty or blank `ActionID:` header is no ActionID (S22): manager.c reads it with
// astman_get_header() (first match, leading blanks skipped) and writes "ActionID:"
// only when that is not empty. Through the proxy, forwarded, list and local replies
// must all leave the line out, exactly as the sim (and Asterisk) does directly.

import t from 'tap';
import { startProxy, UPSTREAM_USER } from '../../helpers/start-proxy.js';
import { loginRaw, type RawAmi } from '../../helpers/sim-control.js';

let marks = 0;

/** Send `request`, then a marker Ping; return the wire text answered before the marker. */
async function answer(c: RawAmi, request: string): Promise<string> {
  const from = c.text().length;
  const mark = `mark${++marks}`;
  c.send(request + `Action: Ping\r\nActionID: ${mark}\r\n\r\n`);
  const end = `Response: Success\r\nActionID: ${mark}\r\n`;
  const text = await c.waitFor((s) => s.indexOf(end, from) >= 0);
  return text.slice(from, text.indexOf(end, from));
}

/** Values that differ between two runs of the same request (durations, clocks). */
function normalise(s: string): string {
  return s.replace(/^(Duration|Seconds|CoreCurrentCalls|Timestamp): .*$/gm, '$1: N');
}

t.test('a blank ActionID comes back as no ActionID, forwarded or answered locally', async (t) => {
  const h = await startProxy(t, {
    users: { ops: { secret: 'opspw', read: 'all', write: 'all' } },
    sim: { preloadChannels: 2 },
  });
  const viaProxy = await loginRaw(t, h.port, 'ops', 'opspw', 'Events: off\r\n');
  const direct = await loginRaw(t, h.sim.port, UPSTREAM_USER.name, UPSTREAM_USER.secret, 'Events: off\r\n');

  const forwarded = [
    'Action: CoreStatus\r\nActionID:\r\n\r\n',
    'Action: CoreShowChannels\r\nActionID:   \r\n\r\n',
    'Action: Getvar\r\nActionID: \r\nVariable: NOPE\r\n\r\n',
  ];
  for (const req of forwarded) {
    const got = await answer(viaProxy, req);
    const want = await answer(direct, req);
    t.ok(got.length > 0, `${req.split('\r\n')[0]}: answered`);
    t.notMatch(got, /^ActionID:/m, `${req.split('\r\n')[0]}: no ActionID line`);
    t.equal(normalise(got), normalise(want), `${req.split('\r\n')[0]}: the same bytes as a direct connection`);
  }
  t.match(await answer(viaProxy, 'Action: CoreShowChannels\r\nActionID:\r\n\r\n'), /Event: CoreShowChannel\r\n[\s\S]*Event: CoreShowChannelsComplete\r\n/, 'the list has items');

  const local = [
    'Action: Ping\r\nActionID:\r\n\r\n',
    'Action: Events\r\nActionID:  \r\nEventMask: off\r\n\r\n',
    'Action: Filter\r\nActionID:\r\nOperation: Add\r\nFilter: Event: Nothing\r\n\r\n',
    'Action: NoSuchActionHere\r\nActionID:\r\n\r\n',
  ];
  for (const req of local) {
    const got = await answer(viaProxy, req);
    t.match(got, /^Response: \w+\r\n/, `${req.split('\r\n')[0]}: answered`);
    t.notMatch(got, /^ActionID:/m, `${req.split('\r\n')[0]}: no ActionID line`);
  }
  t.notMatch(viaProxy.text(), /amg\./, 'no proxy ActionID leaks');
});
