// users.<name>.expressions (issue 11 item 12). Asterisk's own guards (S13) are
// substring checks, so `Data: ${SH${X}ELL(id)}` (the name is only built when
// the dialplan evaluates it), `CallerID: ${SHELL(id)}` and `Variable:
// X=${SHELL(id)}` pass them for a user without `system`. amigate refuses `${`
// and `$[` in every header of Originate, Setvar, Getvar and Status for such a
// user, and calls of manager.c's system-only functions in their variable
// headers, unless the user has `expressions: allow`. One request per header,
// through the real proxy; a refused request never reaches Asterisk.

import t from 'tap';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';

// Values that pass every S13 check, so only the expressions rule can refuse them.
const BASE: Record<string, Array<[string, string]>> = {
  Originate: [
    ['Channel', 'Local/100@test'], ['Context', 'test'], ['Exten', '100'], ['Priority', '1'], ['Timeout', '30000'],
    ['CallerID', '"A" <100>'], ['Account', 'acc'], ['Async', 'true'], ['Codecs', 'ulaw'], ['EarlyMedia', 'no'],
    ['Variable', 'A=1'], ['ChannelId', 'c1'], ['OtherChannelId', 'c2'], ['PreDialGoSub', 'sub,s,1'],
    ['Application', 'Playback'], ['Data', 'hello-world'],
  ],
  Setvar: [['Channel', 'PJSIP/none-1'], ['Variable', 'A'], ['Value', 'x']],
  Getvar: [['Channel', 'PJSIP/none-1'], ['Variable', 'A']],
  Status: [['Channel', 'PJSIP/none-1'], ['Variables', 'A,B'], ['AllVariables', 'no']],
};

t.test('${ and $[ in any header, and system-only function calls, need system or expressions: allow', async (t) => {
  const h = await startProxy(t, {
    users: {
      strict: { secret: 'pw', read: 'call', write: 'call,originate,reporting,user' },
      loose: { secret: 'pw', read: 'call', write: 'call,originate,reporting', expressions: 'allow' },
      sys: { secret: 'pw', read: 'call', write: 'system,call,originate,reporting' },
    },
    upstream: { keepalive: 0 },
  });
  const c: Record<string, TestClient> = {};
  for (const u of ['strict', 'loose', 'sys']) {
    c[u] = await TestClient.connect({ port: h.port });
    t.teardown(() => c[u]!.close());
    await c[u]!.login(u, 'pw');
  }
  let n = 0;
  /** Send; returns the response text and whether the request reached the simulated Asterisk. */
  const send = async (user: string, action: string, headers: Array<[string, string]>) => {
    const probe = `x${++n}`;
    const r = await c[user]!.action([['Action', action], ...headers, ['X-Probe', probe]], { id: probe, ms: 10000 });
    return { text: r.toString(), id: probe, arrived: h.sim.received.filter((x) => x.msg.get('X-Probe') === probe).length };
  };
  const refused = (id: string, header: string) => `Response: Error\r\nActionID: ${id}\r\nMessage: Permission denied: expressions (${header})\r\n\r\n`;

  let denials = 0;
  for (const [action, headers] of Object.entries(BASE)) {
    for (let i = 0; i < headers.length; i++) {
      const [name, value] = headers[i]!;
      for (const expr of ['${SH${X}ELL(id)}', '$[1+1]']) {
        const with_ = headers.map((p, j): [string, string] => j === i ? [name, value + expr] : p);
        const s = await send('strict', action, with_);
        t.equal(s.text, refused(s.id, name), `strict ${action} ${name}: ${expr} refused`);
        t.equal(s.arrived, 0, `strict ${action} ${name}: never reached Asterisk`);
        denials++;
      }
      const l = await send('loose', action, headers.map((p, j): [string, string] => j === i ? [name, value + '${SH${X}ELL(id)}'] : p));
      t.equal(l.arrived, 1, `expressions: allow ${action} ${name}: reached Asterisk (its own checks pass it)`);
    }
  }
  // Calls of the functions manager.c reserves for system (originate_app_permissions[]), by name.
  for (const [action, name, value] of [
    ['Getvar', 'Variable', 'FILE(/etc/shadow)'], ['Setvar', 'Variable', 'DB(cf/100)'],
    ['Status', 'Variables', 'CALLERID(num),CURL(http://example.invalid/)'], ['Originate', 'Variable', 'A=1,FILE(/tmp/x)=y'],
  ] as const) {
    const headers: Array<[string, string]> = action === 'Originate' ? [...BASE['Originate']!.filter(([k]) => k !== 'Variable'), [name, value]] : [[name, value]];
    const s = await send('strict', action, headers);
    t.equal(s.text, refused(s.id, name), `strict ${action} ${name}: ${value} refused`);
    t.equal(s.arrived, 0);
    denials++;
    t.equal((await send('loose', action, headers)).arrived, 1, `expressions: allow ${action} ${name}: ${value} reaches Asterisk`);
  }
  // What stays open for the strict user.
  for (const [action, headers] of [
    ['Getvar', [['Variable', 'MIXMONITOR_FILENAME']]], ['Getvar', [['Variable', 'CALLERID(num)']]],
    ['Originate', BASE['Originate']!], ['UserEvent', [['UserEvent', 'Note'], ['Body', '${X}']]],
  ] as Array<[string, Array<[string, string]>]>) {
    const r = await send('strict', action, headers);
    t.equal(r.arrived, 1, `strict ${action} ${headers.map(([k, v]) => `${k}=${v}`).join(' ')}: reaches Asterisk`);
  }
  const idProbe = `x${++n}`;
  const withId = await c['strict']!.action([['Action', 'Getvar'], ['Variable', 'A'], ['X-Probe', idProbe]], { id: '${X}' + idProbe });
  t.equal(withId.get('ActionID'), '${X}' + idProbe, 'an ActionID is only echoed, never evaluated: not examined');
  t.equal(h.sim.received.filter((x) => x.msg.get('X-Probe') === idProbe).length, 1);
  const sys = await send('sys', 'Originate', BASE['Originate']!.map(([k, v]): [string, string] => k === 'Data' ? [k, '${SH${X}ELL(id)}'] : [k, v]));
  t.equal(sys.arrived, 1, 'a system user is never refused');
  // Asterisk's own checks keep their text and come first.
  const g = await send('strict', 'Getvar', [['Variable', '${SHELL(id)}']]);
  t.equal(g.text, `Response: Error\r\nActionID: ${g.id}\r\nMessage: GetVar Access Forbidden: Variable\r\n\r\n`, 'Getvar SHELL: Asterisk\'s answer');

  const audited = h.logs().filter((l) => l['audit'] === 'action' && l['rule'] === 'expressions');
  t.equal(audited.length, denials, 'every refusal is audited with rule expressions');
});
