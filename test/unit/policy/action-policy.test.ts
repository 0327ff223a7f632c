import t, { type Test } from 'tap';
import { AmiMessage } from '../../../src/protocol/message.js';
import { parseConfig } from '../../../src/config/load.js';
import { UserStore, type UserRecord } from '../../../src/auth/user-store.js';
import { ActionPrivilegeTable } from '../../../src/policy/action-privileges.js';
import {
  COMMAND_BLACKLISTED, GETVAR_FORBIDDEN, ORIGINATE_FORBIDDEN, STATUS_FORBIDDEN,
  decideAction, localChannelContext, normalizeCliCommand, type ActionDecision,
} from '../../../src/policy/action-policy.js';
import { captureMessages } from '../../helpers/capture-messages.js';

const USERS = `
listeners:
  - { bindaddr: 127.0.0.1, port: 5040 }
upstreams:
  - { name: pbx1, host: 127.0.0.1, username: amigate, secret: s3cret }
users:
  # manager.conf.sample's [mark]
  mark: { secret: x, read: "system,call,log,verbose,command,agent,user", write: "system,call,log,verbose,command,agent,user" }
  # the capture users (../shared/ami-transcripts/README.md)
  reader: { secret: x, read: "call,system" }
  # expressions: allow = Asterisk's own in-action checks (S13) alone
  limited: { secret: x, read: call, write: "call,originate", expressions: allow }
  # the default (expressions: deny): stricter than Asterisk without system
  strict: { secret: x, read: call, write: "call,originate,reporting" }
  admin: { secret: x, read: all, write: all }
  wallboard: { secret: x, read: agent, actions: { allow: [QueueStatus] } }
  crm:
    secret: x
    read: call
    write: call,originate
    actions: { deny: [Hangup] }
    originate: { contexts: [from-crm] }
  crmapp:
    secret: x
    write: originate
    originate: { applications: [Playback] }
  ops:
    secret: x
    write: command,reporting
    commands: { allow: ['^core show channels$', '^core show version$'], deny: ['^core stop'] }
  noevents: { secret: x, read: all, actions: { deny: [events] } }
  custom: { secret: x, write: system, actions: { allow: [PJSIPShowEndpoints, Ping] } }
  queueagi: { secret: x, write: "originate,agi", expressions: allow }
`;

const store = async () => new UserStore((await parseConfig(USERS, '/t/amigate.yaml', {})).config);
// The server's own list, as the pool reads it at login (capture 10: Asterisk 22, no chan_pjsip).
const LIST = captureMessages('10-events-vars-config-listcommands.jsonl').find((m) => m.get('ActionID') === 'lc-1')!;
const table = new ActionPrivilegeTable();
table.refresh(LIST, 'pbx1');
const UNKNOWN = (name: string): Want => ['actions.unknown', `Invalid/unknown command: ${name}. Use Action: ListCommands to show available commands.`];
const msg = (pairs: Array<[string, string]>) => AmiMessage.from(pairs);
const act = (name: string, ...rest: Array<[string, string]>) => msg([['Action', name], ...rest]);

type Want = 'allow' | [rule: string, message: string];
function check(t: Test, user: UserRecord, m: AmiMessage, want: Want, label = ''): void {
  const d: ActionDecision = decideAction(user, m, table);
  if (want === 'allow') t.same(d, { allow: true }, label);
  else t.same(d, { allow: false, rule: want[0], message: want[1] }, label);
}

const DENIED: Want = ['classes', 'Permission denied'];
const ORIGINATE_DENY: Want = ['originate.permissions', ORIGINATE_FORBIDDEN];

t.test('decision table: user x action', async (t) => {
  const users = await store();
  const ping = act('Ping');
  const csc = act('CoreShowChannels');
  const cmd = act('Command', ['Command', 'core show version']);
  const getconfig = act('GetConfig', ['Filename', 'manager.conf']);
  const orig = act('Originate', ['Channel', 'PJSIP/100'], ['Context', 'from-crm'], ['Exten', '200'], ['Priority', '1']);
  const hangup = act('Hangup', ['Channel', 'PJSIP/100-0001']);
  const queue = act('QueueStatus');
  const filter = act('Filter', ['Operation', 'Add'], ['Filter', 'Event: Hangup']);
  const userevent = act('UserEvent', ['UserEvent', 'X']);
  const unknown = act('FooBarBaz');
  const pjsip = act('PJSIPShowEndpoints');
  const rows: Array<[string, Record<string, Want>]> = [
    ['mark', { ping: 'allow', csc: 'allow', cmd: 'allow', getconfig: 'allow', orig: DENIED, hangup: 'allow', queue: 'allow', filter: 'allow', userevent: 'allow', unknown: UNKNOWN('FooBarBaz') }],
    ['reader', { ping: 'allow', csc: DENIED, cmd: DENIED, getconfig: DENIED, orig: DENIED, hangup: DENIED, queue: 'allow', filter: DENIED, userevent: DENIED }],
    ['limited', { ping: 'allow', csc: DENIED, cmd: DENIED, getconfig: DENIED, orig: 'allow', hangup: 'allow', queue: 'allow', filter: DENIED }],
    ['admin', { ping: 'allow', csc: 'allow', cmd: 'allow', getconfig: 'allow', orig: 'allow', hangup: 'allow', queue: 'allow', filter: 'allow', userevent: 'allow', pjsip: UNKNOWN('PJSIPShowEndpoints') }],
    ['wallboard', { ping: 'allow', queue: 'allow', csc: DENIED, hangup: DENIED, userevent: DENIED, unknown: UNKNOWN('FooBarBaz') }],
    ['crm', { ping: 'allow', orig: 'allow', hangup: ['actions.deny', 'Permission denied: actions.deny (Hangup)'], queue: 'allow', csc: DENIED }],
    ['ops', { cmd: 'allow', csc: 'allow', getconfig: DENIED }],
    ['custom', { ping: 'allow', pjsip: 'allow', csc: ['actions.allow', 'Permission denied: actions.allow (CoreShowChannels)'], queue: ['actions.allow', 'Permission denied: actions.allow (QueueStatus)'] }],
  ];
  const msgs: Record<string, AmiMessage> = { ping, csc, cmd, getconfig, orig, hangup, queue, filter, userevent, unknown, pjsip };
  for (const [name, cells] of rows) {
    const user = users.get(name)!;
    for (const [key, want] of Object.entries(cells)) check(t, user, msgs[key]!, want, `${name} ${key}`);
  }
  check(t, users.get('wallboard')!, act('queuestatus'), 'allow', 'action names are case-insensitive');
  check(t, users.get('noevents')!, act('Events', ['EventMask', 'on']), ['actions.deny', 'Permission denied: actions.deny (Events)'], 'session actions can be denied explicitly');
  check(t, users.get('reader')!, act('Logoff'), 'allow', 'session actions need no class');
  check(t, users.get('reader')!, msg([['ActionID', 'x']]), 'allow', 'no Action: the session answers "Missing action in request"');
});

t.test('class decisions match Asterisk 22 in captures 08 and 09', async (t) => {
  const users = await store();
  for (const [file, user] of [['08-reader-events.jsonl', 'reader'], ['09-errors-limited.jsonl', 'limited']] as const) {
    const requests = captureMessages(file, 'c2s');
    const responses = captureMessages(file, 's2c').filter((m) => m.isResponse);
    t.equal(requests.length, responses.length, `${file}: paired`);
    let compared = 0;
    requests.forEach((req, i) => {
      const action = req.getNonEmpty('Action');
      if (action === undefined || /^log(in|off)$/i.test(action) || table.get(action) === undefined) return;
      const asteriskDenied = responses[i]!.get('Message') === 'Permission denied';
      const d = decideAction(users.get(user)!, req, table);
      t.equal(d.allow, !asteriskDenied, `${file} ${action} ${req.get('ActionID')}`);
      if (!d.allow) t.equal(d.message, 'Permission denied');
      compared++;
    });
    t.ok(compared >= 3, `${file}: ${compared} decisions compared`);
  }
});

t.test('Originate: Asterisk application and data permissions (S13)', async (t) => {
  const users = await store();
  const limited = users.get('limited')!; // write call,originate: no system
  const admin = users.get('admin')!;
  const agi = users.get('queueagi')!;
  const o = (app: string, data = '') => act('Originate', ['Channel', 'PJSIP/100'], ['Application', app], ['Data', data]);
  const forbidden: Want = ['originate.permissions', ORIGINATE_FORBIDDEN];
  for (const app of ['System', 'TrySystem', 'Exec', 'TryExec', 'AGI', 'EAGI', 'agi', 'MixMonitor', 'ExternalIVR', 'DBdeltree', 'Originate', 'Reload', 'SYSTEM']) {
    check(t, limited, o(app, 'x'), forbidden, `${app} needs system`);
    check(t, admin, o(app, 'x'), 'allow', `${app} with system`);
  }
  for (const fn of ['${SHELL(rm -rf /)}', '${EVAL(${X})}', '${CURL(http://x)}', '${DB(a/b)}', '${FILE(/etc/passwd)}', '${ODBC_X()}', '${REALTIME(x)}', 'DB_DELETE']) {
    check(t, limited, o('Playback', fn), forbidden, `data ${fn} needs system`);
    check(t, admin, o('Playback', fn), 'allow', `data ${fn} with system`);
  }
  check(t, limited, o('Playback', '${shell(ls)}'), 'allow', 'data functions are matched case-sensitively, as Asterisk does');
  check(t, limited, o('Playback', 'hello-world'), 'allow');
  check(t, limited, act('Originate', ['Channel', 'PJSIP/100'], ['Context', 'x'], ['Exten', '1'], ['Priority', '1'], ['Data', '${SHELL(x)}']), 'allow', 'Data only matters with an Application');
  check(t, limited, o('Queue', 'support'), 'allow', 'Queue without an AGI argument');
  check(t, limited, o('Queue', 'support,t,,,,agi://evil'), forbidden, 'Queue with an AGI argument needs agi or system');
  check(t, agi, o('Queue', 'support,t,,,,agi://evil'), 'allow', '... agi is enough');
  check(t, admin, o('Queue', 'support,t,,,,agi://evil'), 'allow', '... or system');
  check(t, limited, o('Queue', 'support,"t,x",,,,agi://evil'), forbidden, 'quoted commas do not split');
  check(t, limited, o('Queue', 'support,t,(a,b),,agi://in-5th,'), 'allow', 'commas in parentheses do not split: the 6th argument is empty');
  check(t, agi, o('Queue', 'support,t,,,,agi://x,${SHELL(x)}'), forbidden, 'every matching entry must be satisfied (never looser than Asterisk)');
  check(t, limited, act('Originate', ['Channel', 'PJSIP/100'], ['Application', 'Playback'], ['Application', 'System']), 'allow', 'the first Application header is the one Asterisk runs');
});

t.test('Getvar and Status variables (S13)', async (t) => {
  const users = await store();
  const limited = users.get('limited')!;
  const admin = users.get('admin')!;
  check(t, limited, act('Getvar', ['Variable', 'SHELL(id)']), ['getvar.permissions', GETVAR_FORBIDDEN], 'Getvar SHELL');
  check(t, limited, act('Getvar', ['Variable', 'x${EVAL(y)}']), ['getvar.permissions', GETVAR_FORBIDDEN], 'Getvar EVAL');
  check(t, admin, act('Getvar', ['Variable', 'SHELL(id)']), 'allow');
  check(t, limited, act('Getvar', ['Variable', 'CHANNEL(name)']), 'allow');
  check(t, limited, act('Status', ['Variables', 'A,SHELL(id)']), ['status.permissions', STATUS_FORBIDDEN], 'Status Variables');
  check(t, limited, act('Status'), 'allow');
});

t.test('Command: blacklist, allow and deny regexes', async (t) => {
  const users = await store();
  const mark = users.get('mark')!;
  const ops = users.get('ops')!;
  const c = (text: string) => act('Command', ['Command', text]);
  const bl: Want = ['command.blacklist', COMMAND_BLACKLISTED];
  for (const text of ['module load chan_sip.so', 'module unload res_pjsip.so', 'restart gracefully', 'MODULE  LOAD x', '  module\tload x', 'module "load" x', 'mod\\ule load x']) {
    check(t, mark, c(text), bl, JSON.stringify(text));
  }
  check(t, mark, c('module reload res_pjsip.so'), 'allow');
  check(t, mark, c('restart now'), 'allow', 'only the Asterisk blacklist applies to mark');
  check(t, mark, c('module'), 'allow');
  check(t, ops, c('core show channels'), 'allow');
  check(t, ops, c('  core   show "channels" '), 'allow', 'matched against the CLI words joined by one space');
  check(t, ops, c('CORE SHOW CHANNELS'), 'allow', 'case-insensitive (CLI words match with strcasecmp)');
  check(t, ops, c('core show channels verbose'), ['commands.allow', 'Permission denied: commands.allow does not match'], 'anchored allow pattern');
  check(t, ops, c('core show version'), 'allow');
  check(t, ops, c('core stop now'), ['commands.deny', 'Permission denied: commands.deny (^core stop)'], 'deny');
  check(t, ops, c('core "stop" gracefully'), ['commands.deny', 'Permission denied: commands.deny (^core stop)'], 'quotes do not dodge deny');
  check(t, ops, act('Command'), ['commands.allow', 'Permission denied: commands.allow does not match'], 'no Command header');
  check(t, ops, c('module load x'), bl, 'the blacklist comes first');
  t.equal(normalizeCliCommand(' a  "b c"\\ d\te '), 'a b c d e');
});

t.test('Originate: contexts and applications', async (t) => {
  const users = await store();
  const crm = users.get('crm')!;
  const crmapp = users.get('crmapp')!;
  const o = (...h: Array<[string, string]>) => act('Originate', ...h);
  check(t, crm, o(['Channel', 'PJSIP/100'], ['Context', 'from-crm'], ['Exten', '200'], ['Priority', '1']), 'allow');
  check(t, crm, o(['Channel', 'PJSIP/100'], ['Context', 'from-internal'], ['Exten', '200'], ['Priority', '1']), ['originate.contexts', 'Permission denied: originate.contexts (from-internal)']);
  check(t, crm, o(['Channel', 'PJSIP/100'], ['Context', 'FROM-CRM'], ['Exten', '200']), ['originate.contexts', 'Permission denied: originate.contexts (FROM-CRM)'], 'contexts are exact');
  check(t, crm, o(['Channel', 'PJSIP/100'], ['Exten', '200']), ['originate.contexts', 'Permission denied: originate.contexts ()'], 'no Context');
  check(t, crm, o(['Channel', 'Local/100@from-internal'], ['Context', 'from-crm'], ['Exten', '1']), ['originate.contexts', 'Permission denied: originate.contexts (from-internal)'], 'a Local channel enters the dialplan too');
  check(t, crm, o(['Channel', 'local/100@from-crm/n'], ['Context', 'from-crm'], ['Exten', '1']), 'allow', 'Local options and case');
  check(t, crm, o(['Channel', 'Local/100'], ['Context', 'from-crm'], ['Exten', '1']), ['originate.contexts', 'Permission denied: originate.contexts (default)'], 'Local without @ is the default context');
  check(t, crm, o(['Channel', 'PJSIP/100'], ['Application', 'Playback'], ['Data', 'x']), ['originate.applications', 'Permission denied: originate.applications (Playback)'], 'with only contexts set, applications are closed');
  check(t, crmapp, o(['Channel', 'PJSIP/100'], ['Application', 'playback'], ['Data', 'x']), 'allow', 'application names are case-insensitive');
  check(t, crmapp, o(['Channel', 'PJSIP/100'], ['Application', 'Dial'], ['Data', 'PJSIP/200']), ['originate.applications', 'Permission denied: originate.applications (Dial)']);
  check(t, crmapp, o(['Channel', 'PJSIP/100'], ['Context', 'any'], ['Exten', '1']), ['originate.contexts', 'Permission denied: originate.contexts (any)'], 'with only applications set, contexts are closed');
  check(t, crmapp, o(['Channel', 'Local/1@evil'], ['Application', 'Playback']), ['originate.contexts', 'Permission denied: originate.contexts (evil)']);
  check(t, users.get('limited')!, o(['Channel', 'Local/1@anything'], ['Context', 'x'], ['Exten', '1']), 'allow', 'no originate rules: anything');
  t.equal(localChannelContext('PJSIP/100@x'), undefined);
  t.equal(localChannelContext('Local/a@b@c/n'), 'b@c');
  t.equal(localChannelContext('Local'), undefined);
});

t.test('unknown actions: Asterisk\'s answer, decided before any permission (issue 11 item 4)', async (t) => {
  const users = await store();
  const two = new ActionPrivilegeTable();
  two.refresh(LIST, 'pbx1');
  two.refresh(new AmiMessage(LIST.lines.filter((l) => !/^Queue/.test(l))), 'pbx2'); // pbx2: no app_queue
  const d = (user: string, m: AmiMessage, servers?: readonly string[]) => decideAction(users.get(user)!, m, two, servers);
  t.same(d('reader', act('FooBarBaz'), ['pbx1', 'pbx2']), { allow: false, rule: 'actions.unknown', message: UNKNOWN('FooBarBaz')[1] }, 'no write classes at all: still "unknown", as process_message() answers');
  t.same(d('crm', act('fooBARbaz')), { allow: false, rule: 'actions.unknown', message: UNKNOWN('fooBARbaz')[1] }, 'the client\'s spelling');
  t.same(d('admin', act('QueueAdd'), ['pbx1', 'pbx2']), { allow: true, servers: ['pbx1'] }, 'known on pbx1 only: sent there only');
  t.same(d('admin', act('QueueAdd'), ['pbx2']), { allow: false, rule: 'actions.unknown', message: UNKNOWN('QueueAdd')[1] }, 'a user of pbx2 alone: unknown');
  t.same(d('admin', act('QueueAdd'), ['pbx2', 'pbx3']), { allow: false, rule: 'actions.unverified', message: 'Permission denied: action list not loaded (QueueAdd)' }, 'pbx3 has no list yet: fail closed');
  t.same(d('admin', act('Originate', ['Channel', 'Local/1@x'], ['Context', 'x'], ['Exten', '1'], ['Priority', '1']), ['pbx3']), { allow: true }, 'core actions need no list');
  t.same(d('reader', act('QueueAdd'), ['pbx1', 'pbx2']), { allow: false, rule: 'classes', message: 'Permission denied' }, 'known but not permitted: Permission denied');
  t.same(d('custom', act('PJSIPShowEndpoints'), ['pbx1']), { allow: true }, 'actions.allow naming it sends it on: Asterisk answers for itself');
  t.same(d('wallboard', act('PJSIPShowEndpoints'), ['pbx1']), { allow: false, rule: 'actions.unknown', message: UNKNOWN('PJSIPShowEndpoints')[1] }, 'an allow list without it: unknown, not actions.allow');
  t.same(d('crm', act('Hangup'), ['pbx1']), { allow: false, rule: 'actions.deny', message: 'Permission denied: actions.deny (Hangup)' }, 'deny still applies to known actions');
});

t.test('expressions (issue 11 item 12): every header of Originate, Setvar, Getvar and Status', async (t) => {
  const users = await store();
  const strict = users.get('strict')!;
  const limited = users.get('limited')!; // expressions: allow
  const admin = users.get('admin')!;
  const refused = (h: string): Want => ['expressions', `Permission denied: expressions (${h})`];
  const base: Record<string, Array<[string, string]>> = {
    Originate: [['Channel', 'Local/100@test'], ['Context', 'test'], ['Exten', '100'], ['Priority', '1'], ['Timeout', '30000'], ['CallerID', '"A" <1>'], ['Account', 'acc'], ['Async', 'true'], ['Codecs', 'ulaw'], ['EarlyMedia', 'no'], ['Variable', 'A=1'], ['ChannelId', 'c1'], ['OtherChannelId', 'c2'], ['PreDialGoSub', 'sub,s,1'], ['Application', 'Playback'], ['Data', 'hello']],
    Setvar: [['Channel', 'PJSIP/1-1'], ['Variable', 'A'], ['Value', 'x']],
    Getvar: [['Channel', 'PJSIP/1-1'], ['Variable', 'A']],
    Status: [['Channel', 'PJSIP/1-1'], ['Variables', 'A,B'], ['AllVariables', 'no']],
  };
  for (const [action, headers] of Object.entries(base)) {
    check(t, strict, act(action, ...headers), 'allow', `${action}: plain values pass`);
    for (let i = 0; i < headers.length; i++) {
      const [h, v] = headers[i]!;
      for (const expr of ['${SH${X}ELL(id)}', '$[1+1]']) {
        const m = act(action, ...headers.map((p, j): [string, string] => j === i ? [h, v + expr] : p));
        check(t, strict, m, refused(h), `${action} ${h} ${expr}: refused`);
        check(t, limited, m, 'allow', `${action} ${h} ${expr}: expressions: allow = Asterisk's checks only`);
        check(t, admin, m, 'allow', `${action} ${h} ${expr}: system is never refused`);
      }
    }
  }
  check(t, strict, act('Getvar', ['Variable', 'A'], ['ActionID', '${X}']), 'allow', 'ActionID is only echoed');
  check(t, strict, act('Getvar', ['Variable', 'A'], ['Variable', '${X}']), refused('Variable'), 'a repeated header counts too');
  check(t, strict, act('UserEvent', ['UserEvent', 'x'], ['Body', '${SHELL(id)}']), ['classes', 'Permission denied'], 'other actions are not examined (strict has no user class)');
  check(t, users.get('mark')!, act('UserEvent', ['UserEvent', 'x'], ['Body', '${X}']), 'allow', 'UserEvent copies headers into an event, nothing evaluates them');
  // Function calls by name: manager.c's own system-only list (originate_app_permissions[]).
  for (const [action, h, v] of [
    ['Getvar', 'Variable', 'FILE(/etc/shadow)'], ['Getvar', 'Variable', 'db_exists(a/b)'], ['Getvar', 'Variable', 'ODBC_SQL(x)'],
    ['Setvar', 'Variable', 'DB(cf/100)'], ['Setvar', 'Variable', 'FILE(/etc/asterisk/extensions.conf,,,a)'], ['Setvar', 'Variable', 'REALTIME_STORE(x)'],
    ['Status', 'Variables', 'CALLERID(num),CURL(http://x)'], ['Originate', 'Variable', 'A=1,FILE(/tmp/x)=y'],
  ] as const) {
    check(t, strict, act(action, [h, v]), refused(h), `${action} ${h}: ${v}`);
    check(t, limited, act(action, [h, v]), 'allow', `${action} ${h}: ${v} with expressions: allow`);
  }
  for (const v of ['MIXMONITOR_FILENAME', 'CALLERID(num)', 'CHANNEL(name)', 'CDR(billsec)', 'FILTER(a,b)', 'DEVICE_STATE(PJSIP/1)']) {
    check(t, strict, act('Getvar', ['Variable', v]), 'allow', `Getvar ${v}: not a system-only function call`);
  }
  check(t, strict, act('Originate', ['Channel', 'Local/1@test'], ['Application', 'Playback'], ['Data', 'FILE(x)']), ORIGINATE_DENY, 'Asterisk\'s own Data check comes first, with its text');
  check(t, strict, act('Getvar', ['Variable', '${SHELL(id)}']), ['getvar.permissions', GETVAR_FORBIDDEN], '... and Getvar\'s');
});
