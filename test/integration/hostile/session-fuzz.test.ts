// Property-based fuzzing of whole sessions through the real proxy against the
// simulated Asterisk: the property in src/fuzz/session-properties.ts (three
// clients pipeline random sequences with colliding ActionIDs; every reply must
// be the one for its action, its user and its client, in order, once), run
// with a fixed seed and few cases for CI. `npm run fuzz` runs it longer.

import t from 'tap';
import fc from 'fast-check';
import { AmiMessage } from '../../../src/protocol/message.js';
import { ACTIONS, SESSION_FUZZ_USERS, sessionProperty, verify, type Step } from '../../../src/fuzz/session-properties.js';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const at = (name: string) => ACTIONS.findIndex((a) => a.name === name);
const packet = (text: string) => new AmiMessage(text.split('\r\n').filter((l) => l.length > 0));

t.test('the checker catches what ActionIDs alone would not', async (t) => {
  const me = { index: 0, user: 'full' as const, variable: 'FUZZ_C0', value: 'c0.1' };
  const steps: Step[] = [[at('Getvar own'), '1'], [at('Ping'), '1']];
  const ok = [packet('Response: Success\r\nActionID: 1\r\nVariable: FUZZ_C0\r\nValue: c0.1'), packet('Response: Success\r\nActionID: 1\r\nPing: Pong')];
  t.same(verify(ok, steps, me), { done: true });
  const swapped = [packet('Response: Success\r\nActionID: 1\r\nVariable: FUZZ_C2\r\nValue: c2.1'), ok[1]!];
  t.match(verify(swapped, steps, me).error, /Getvar own.*Variable/, 'another client\'s Getvar reply with the same ActionID');
  const wrongKind = [ok[0]!, packet('Response: Error\r\nActionID: 1\r\nMessage: Permission denied')];
  t.match(verify(wrongKind, steps, me).error, /Ping.*Response Error/, 'a denial where a Pong was due');
  const list: Step[] = [[at('CoreShowChannels'), 'x']];
  const intruder = [packet('Response: Success\r\nActionID: x\r\nEventList: start\r\nMessage: Channels will follow'), packet('Event: Newchannel\r\nChannel: a')];
  t.match(verify(intruder, list, me).error, /inside the list/, 'a broadcast inside a list');
  const foreignItem = [intruder[0]!, packet('Event: CoreShowChannel\r\nActionID: y')];
  t.match(verify(foreignItem, list, me).error, /inside the list/, 'another ActionID inside a list');
  t.same(verify([intruder[0]!], list, me), { done: false }, 'an open list is not done');
});

t.test('random pipelined sessions: one reply per action, in order, the right one, never crossed', async (t) => {
  const h = await startProxy(t, { users: SESSION_FUZZ_USERS });
  let cases = 0;
  await fc.assert(sessionProperty(h.port, () => { cases++; }), { seed: 4242, numRuns: 40 });
  t.comment(`${cases} cases`);
  t.equal(cases, 40, 'every case ran');
  const ping = await TestClient.connect({ port: h.port });
  t.teardown(() => ping.close());
  t.equal((await ping.login('full', 'pw')).get('Message'), 'Authentication accepted', 'the proxy is still fine');
});
