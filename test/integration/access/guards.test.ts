// The checks Asterisk makes inside actions against the session's write classes
// (S13), made per client by amigate, and the per-user Command and Originate
// rules (issue 4 items 2-3). Asterisk's own denials keep Asterisk's text; the
// rules amigate adds name themselves. A denied action never reaches Asterisk.

import t from 'tap';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

const ORIGINATE_FORBIDDEN = 'Originate Access Forbidden: Please consult the Asterisk documentation for more information.';

t.test('Originate, Getvar, Status and Command guards per client', async (t) => {
  const h = await startProxy(t, {
    users: {
      // originate + call, but not system: the S13 checks apply
      dialer: { secret: 'pw', read: 'call', write: 'call,originate,reporting' },
      // system too: Asterisk would allow these, so amigate must not refuse them
      ops: { secret: 'pw', read: 'all', write: 'system,call,originate,command', commands: { allow: ['^core show ', '^pjsip show '], deny: ['^core show (hints|file)'] } },
      crm: {
        secret: 'pw', read: 'call', write: 'call,originate',
        originate: { contexts: ['test'], applications: ['Playback'] },
      },
      root: { secret: 'pw', read: 'all', write: 'all' },
    },
    upstream: { keepalive: 0 },
  });
  const clients: Record<string, TestClient> = {};
  for (const u of ['dialer', 'ops', 'crm', 'root']) {
    const c = await TestClient.connect({ port: h.port });
    t.teardown(() => c.close());
    await c.login(u, 'pw');
    clients[u] = c;
  }
  let n = 0;
  // [user, action headers, expected Message when denied (undefined = must reach Asterisk)]
  const cases: Array<[string, Array<[string, string]>, string | undefined]> = [
    // Originate applications that need system (manager.c originate app check)
    ['dialer', [['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Application', 'System'], ['Data', 'id'], ['Async', 'true']], ORIGINATE_FORBIDDEN],
    ['dialer', [['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Application', 'exec'], ['Data', 'Playback(x)'], ['Async', 'true']], ORIGINATE_FORBIDDEN],
    ['dialer', [['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Application', 'Playback'], ['Data', '${SHELL(id)}'], ['Async', 'true']], ORIGINATE_FORBIDDEN],
    ['dialer', [['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Application', 'Playback'], ['Data', 'hello-world'], ['Async', 'true']], undefined],
    ['ops', [['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Application', 'System'], ['Data', 'true'], ['Async', 'true']], undefined],
    // SHELL and EVAL in Getvar and Status Variables
    ['dialer', [['Action', 'Getvar'], ['Variable', 'SHELL(id)']], 'GetVar Access Forbidden: Variable'],
    ['dialer', [['Action', 'Getvar'], ['Variable', 'EVAL(${X})']], 'GetVar Access Forbidden: Variable'],
    ['dialer', [['Action', 'Getvar'], ['Variable', 'EPOCH']], undefined],
    ['dialer', [['Action', 'Status'], ['Variables', 'SHELL(id)']], 'Status Access Forbidden: Variables'],
    ['ops', [['Action', 'Getvar'], ['Variable', 'SHELL(true)']], undefined],
    // Command: Asterisk's blacklist, then the user's regexes over the normalised CLI text
    ['root', [['Action', 'Command'], ['Command', 'module unload chan_pjsip.so']], 'Command blacklisted'],
    ['root', [['Action', 'Command'], ['Command', '  module   load  x.so']], 'Command blacklisted'],
    ['ops', [['Action', 'Command'], ['Command', 'core show version']], undefined],
    ['ops', [['Action', 'Command'], ['Command', 'core   show   channels']], undefined],
    ['ops', [['Action', 'Command'], ['Command', 'pjsip show endpoints']], undefined],
    ['ops', [['Action', 'Command'], ['Command', 'core show hints']], 'Permission denied: commands.deny (^core show (hints|file))'],
    ['ops', [['Action', 'Command'], ['Command', 'core stop now']], 'Permission denied: commands.allow does not match'],
    ['ops', [['Action', 'Command'], ['Command', 'CORE STOP NOW']], 'Permission denied: commands.allow does not match'],
    // originate.contexts and originate.applications
    ['crm', [['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Context', 'test'], ['Exten', '100'], ['Priority', '1'], ['Async', 'true']], undefined],
    ['crm', [['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Context', 'default'], ['Exten', '100'], ['Priority', '1']], 'Permission denied: originate.contexts (default)'],
    ['crm', [['Action', 'Originate'], ['Channel', 'Local/100@internal'], ['Context', 'test'], ['Exten', '100'], ['Priority', '1']], 'Permission denied: originate.contexts (internal)'],
    ['crm', [['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Application', 'Playback'], ['Data', 'hello-world'], ['Async', 'true']], undefined],
    ['crm', [['Action', 'Originate'], ['Channel', 'Local/100@test'], ['Application', 'Dial'], ['Data', 'PJSIP/1']], 'Permission denied: originate.applications (Dial)'],
  ];
  for (const [user, headers, denied] of cases) {
    const probe = `g${++n}`;
    const r = await clients[user]!.action([...headers, ['X-Guard-Probe', probe]], { id: probe });
    const what = `${user} ${headers.slice(1).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    const arrived = h.sim.received.filter((x) => x.msg.get('X-Guard-Probe') === probe).length;
    if (denied !== undefined) {
      t.equal(r.toString(), `Response: Error\r\nActionID: ${probe}\r\nMessage: ${denied}\r\n\r\n`, `${what}: denied`);
      t.equal(arrived, 0, `${what}: never reached Asterisk`);
    } else {
      t.equal(arrived, 1, `${what}: reached Asterisk once`);
      t.notMatch(r.get('Message') ?? '', /Forbidden|Permission denied|blacklisted/, `${what}: not refused`);
    }
  }
  const audited = h.logs().filter((l) => l['audit'] === 'action' && l['result'] === 'denied');
  t.equal(audited.length, cases.filter((c) => c[2] !== undefined).length, 'each denial is audited');
  t.ok(audited.every((l) => typeof l['rule'] === 'string' && (l['rule'] as string).length > 0), 'with the rule that denied it');
});
