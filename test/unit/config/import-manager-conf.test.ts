import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { formatFinding, importManagerConf, type Finding, type ImportResult } from '../../../src/config/import-manager-conf.js';
import { run } from '../../../src/cli/import-manager-conf.js';
import { parseConfig } from '../../../src/config/load.js';
import { asteriskAllows, parseAclValue } from '../../../src/config/manager-conf/acl-rules.js';
import { Acl } from '../../../src/policy/acl.js';
import type { CliIo } from '../../../src/cli/types.js';
import { loadTranscript, stream } from '../../helpers/transcripts.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/manager-conf');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

/** Import, check the YAML parses back to exactly `users`, and that no finding quotes a secret. */
function imp(t: Test, text: string, secrets: string[] = []): ImportResult {
  const r = importManagerConf(text, { source: 'manager.conf' });
  const doc = parse(r.yaml) as { users: unknown };
  t.same(Object.keys(doc), ['users'], 'the YAML has users: only (general: is commented)');
  t.same(doc.users, r.users, 'the YAML parses back to the users returned');
  const all = [...secrets, ...Object.values(r.users).flatMap((u) => (u.secret !== undefined ? [u.secret] : []))];
  const text2 = r.findings.map((f) => formatFinding(f, 'manager.conf')).join('\n');
  for (const s of all) t.notOk(text2.includes(s), `no finding quotes the secret ${JSON.stringify(s.slice(0, 2))}…`);
  return r;
}

/** [line, regex] pairs, in order, for the findings. */
function findingsLike(t: Test, findings: Finding[], expected: Array<[number | undefined, RegExp]>): void {
  t.equal(findings.length, expected.length, `${expected.length} finding(s): ${findings.map((f) => `${f.line}: ${f.message}`).join(' | ')}`);
  expected.forEach(([line, re], i) => {
    t.equal(findings[i]?.line, line, `finding ${i} line`);
    t.match(findings[i]?.message, re, `finding ${i} text`);
  });
}

/** The commented general block, uncommented and parsed. */
function generalBlock(yaml: string): unknown {
  const start = yaml.indexOf('# general:');
  if (start < 0) return undefined;
  const lines = yaml.slice(start).split('\n');
  const block = [];
  for (const l of lines) {
    if (!l.startsWith('# ')) break;
    block.push(l.slice(2));
  }
  return (parse(block.join('\n')) as { general: unknown }).general;
}

const PLAIN = /plain secrets copied/;
/** The multi-tenant note (docs/tenants.md): manager.conf has no per-customer scope. */
const NO_SCOPE = /users read or act on calls .*manager\.conf has no per-customer scope.*docs\/tenants\.md/;

t.test('fixture: the sample user [mark] uncommented', async (t) => {
  const r = imp(t, fixture('sample-mark.conf'));
  t.same(r.users, {
    mark: {
      secret: 'mysecret',
      read: 'system,call,log,verbose,command,agent,user',
      write: 'system,call,agent,user,config,command,reporting,originate,message',
      deny: ['0.0.0.0/0.0.0.0', '::/0'],
      eventfilter: ['Event: Newchannel', 'Channel: (PJ)?SIP/(james|jim|john)-', '!Channel: DAHDI/'],
      displayconnects: true,
      writetimeout: 100,
    },
  }, 'acl= fails closed: deny everything, no permit');
  t.same(r.general, {});
  findingsLike(t, r.findings, [
    [9, /port = 5038 is not carried over/],
    [10, /bindaddr = 0\.0\.0\.0 is not carried over/],
    [36, /acl = named_acl_example: named ACLs .* cannot log in until/],
    [39, /setvar PBXACCOUNT=\.\.\. is not carried over/],
    [undefined, PLAIN],
  ]);
  t.notMatch(r.findings.map((f) => f.message).join('\n'), /edvina/, 'setvar values are not echoed');
  t.match(r.yaml, /# named ACL\(s\) named_acl_example .* inline rules were: deny 0\.0\.0\.0\/0\.0\.0\.0, permit 209\.16\.236\.73\/255\.255\.255\.0/);
  t.match(r.yaml, /# plain secret from manager\.conf: allows Login and MD5 Challenge; use `amigate hash-secret`/);
});

t.test('fixture: the transcripts\' three users', async (t) => {
  const r = imp(t, fixture('transcripts.conf'));
  t.same(r.users, {
    admin: { secret: 'adminpw', read: 'all', write: 'all' },
    reader: { secret: 'readerpw', read: 'call,system', write: '' },
    limited: { secret: 'limitedpw', read: 'call', write: 'call,originate' },
  });
  t.same(r.general, { displayconnects: true, allowmultiplelogin: true });
  t.same(generalBlock(r.yaml), { displayconnects: true, allowmultiplelogin: true });
  findingsLike(t, r.findings, [
    [4, /webenabled = yes is not carried over: AMI over HTTP/],
    [5, /port = 15038/],
    [6, /bindaddr = 127\.0\.0\.1/],
    [undefined, /plain secrets copied for 3 user\(s\) \(\[admin\], \[reader\], \[limited\]\).*amigate hash-secret/],
    [undefined, NO_SCOPE],
  ]);

  // The fixture is what the capture's GetConfig of manager.conf (scenario 10) shows.
  const s2c = stream(loadTranscript('10-events-vars-config-listcommands.jsonl'), 's2c');
  const reply = s2c.slice(s2c.indexOf('ActionID: gc-1\r\n'));
  const conf = reply.slice(0, reply.indexOf('\r\n\r\n')).split('\r\n')
    .map((l) => /^Category-\d+: (.*)$/.exec(l)?.[1] !== undefined ? `[${/^Category-\d+: (.*)$/.exec(l)![1]}]` : /^Line-\d+-\d+: (.*)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined).join('\n');
  t.match(conf, /\[admin\]\nsecret=adminpw/);
  t.same(importManagerConf(conf).users, r.users, 'the users match the real capture');
});

t.test('fixture: a FreePBX-style file with #include lines', async (t) => {
  const r = imp(t, fixture('freepbx.conf'));
  t.same(r.users, {
    admin: {
      secret: 'amp111',
      read: 'system,call,log,verbose,command,agent,user,config,command,dtmf,reporting,cdr,dialplan,originate,message',
      write: 'system,call,log,verbose,command,agent,user,config,command,dtmf,reporting,cdr,dialplan,originate,message',
      permit: ['127.0.0.1/255.255.255.0'],
      deny: ['0.0.0.0/0.0.0.0'],
      displayconnects: false,
      writetimeout: 5000,
    },
  }, 'displayconnects=no in [general] is kept on the user');
  t.same(r.general, { displayconnects: false });
  t.same(r.directives.map((d) => [d.name, d.argument, d.line]), [['include', 'manager_additional.conf', 23], ['include', 'manager_custom.conf', 24]]);
  findingsLike(t, r.findings, [
    [10, /port = 5038/],
    [11, /bindaddr/],
    [13, /timestampevents = yes is not carried over/],
    [23, /#include manager_additional\.conf is not followed: import that file too/],
    [24, /#include manager_custom\.conf is not followed/],
    [undefined, PLAIN],
  ]);
  t.match(r.yaml, /^# #include manager_custom\.conf \(line 24\) was not followed\.$/m);
  t.match(r.yaml, /# displayconnects: false from \[general\] line 12\n {2}admin:/);
  t.match(r.yaml, /IPv6 peers are not restricted/);
});

t.test('fixture: templates, multiple inheritance and (+)', async (t) => {
  const r = imp(t, fixture('templates.conf'));
  const base = { read: 'call,agent,user', write: 'originate,call', permit: ['10.20.0.0/255.255.0.0'], deny: ['0.0.0.0/0.0.0.0'], writetimeout: 500 };
  t.same(r.users, {
    crm1: { secret: 'crm1secret', ...base, eventfilter: ['Event: Newchannel'] },
    crm2: { secret: 'crm2secret', ...base, write: 'originate', permit: ['10.20.0.0/255.255.0.0', '10.30.0.0/16'] },
    wallboard: { secret: 'wallboardsecret', ...base, read: 'system,reporting', eventfilter: ['!Event: (Newexten|VarSet)'] },
  }, 'templates are not users; later settings win; permit/eventfilter accumulate');
  t.same(Object.keys(r.users), ['crm1', 'crm2', 'wallboard'], 'in file order');
  findingsLike(t, r.findings, [[undefined, PLAIN], [undefined, NO_SCOPE]]);
  t.match(r.yaml, /# manager\.conf line 25, inherits \[crm-base\], \[monitor-base\]\n/);
});

t.test('fixture: advanced and legacy event filters', async (t) => {
  const r = imp(t, fixture('advanced-filters.conf'));
  t.same(r.users.dashboard, {
    secret: 'dash-secret',
    read: 'call,agent',
    write: '',
    eventfilter: [
      { matchcriteria: 'action(include),name(Newchannel)', filter: '' },
      { matchcriteria: 'action(include),name(Hangup)', filter: '' },
      { matchcriteria: 'action(exclude),header(Channel),method(starts_with)', filter: 'Local/' },
      { matchcriteria: 'header(Channel),method(regex)', filter: '(PJ)?SIP/(james|jim|john)-' },
      { matchcriteria: 'name(QueueMemberStatus)', filter: '' },
      'Event: QueueCallerAbandon',
      '!Channel: DAHDI/',
    ],
  });
  findingsLike(t, r.findings, [
    [18, /eventfilter\(name\(Newstate\)\) = Up: Asterisk rejects this filter/],
    [19, /action\(drop\).*rejects/],
    [20, /empty expression/],
    [undefined, PLAIN],
  ]);
});

t.test('fixture: CRLF, odd spacing, any key case, [general] last', async (t) => {
  const r = imp(t, fixture('crlf-spacing.conf'), ['not-this-one']);
  t.same(r.users, {
    'ops.team-1@site': {
      secret: 's3cr;et#1',
      read: 'call,system',
      write: 'originate,call',
      // permit, then a deny over it, then a permit: one ordered list, exact.
      permit: ['192.168.10.0/24', '!0.0.0.0/0', '192.168.20.5'],
      allowmultiplelogin: false,
      displayconnects: false,
      writetimeout: 250,
    },
  }, 'the block comment hides the second secret; \\; is a literal semicolon');
  t.same(r.general, { authtimeout: 10, authlimit: 100, allowmultiplelogin: true, displayconnects: false });
  t.same(generalBlock(r.yaml), r.general);
  findingsLike(t, r.findings, [
    [13, /writetimeout = "250ms" is read as 250/],
    [18, /cannot be an amigate user name/],
    [undefined, PLAIN],
  ]);
  t.equal(r.findings[1]!.section, ' user with blanks ');
});

t.test('users Asterisk cannot log in as, or that amigate cannot take as they are', async (t) => {
  const r = imp(t, '[nosecret]\nread=all\n[empty]\nsecret=\n[__proto__]\nsecret=proto-pw\n[' + 'x'.repeat(79) + ']\nsecret=long-pw\n[]\nsecret=nameless-pw\n[two words]\nsecret=tw-pw\n', ['proto-pw', 'nameless-pw', 'tw-pw']);
  t.same(r.users.nosecret, { read: 'all' });
  t.same(r.users.empty, {});
  t.ok(Object.hasOwn(r.users, '__proto__'), 'a section named __proto__ is an ordinary user');
  t.equal(r.users['__proto__']?.secret, 'proto-pw');
  t.ok(r.users['x'.repeat(79)]);
  t.notOk('' in r.users);
  t.notOk('two words' in r.users);
  findingsLike(t, r.findings, [
    [1, /no secret: nobody can log in/],
    [4, /empty secret: Asterisk accepts a Login with an empty Secret/],
    [9, /cannot be an amigate user name/],
    [11, /cannot be an amigate user name/],
    [undefined, PLAIN],
  ]);
});

t.test('duplicate sections: names are case-insensitive, and ACL/filters/setvar start over', async (t) => {
  const r = imp(t, [
    '[alice]', 'secret=alice-pw', 'read=call', 'deny=0.0.0.0/0.0.0.0', 'permit=10.0.0.0/8', 'eventfilter=Event: A', 'setvar=X=1',
    '[ALICE]', 'write=originate', 'permit=192.168.0.0/16', 'eventfilter=Event: B', 'allowmultiplelogin=maybe',
  ].join('\n'));
  t.same(r.users, { alice: { secret: 'alice-pw', read: 'call', write: 'originate', permit: ['192.168.0.0/16'], eventfilter: ['Event: B'], allowmultiplelogin: false } });
  findingsLike(t, r.findings, [
    [8, /\[alice\] is defined again \(first at line 1\)/],
    [10, /permit without any deny/],
    [12, /allowmultiplelogin = "maybe" is not a yes\/no word: Asterisk reads it as no/],
    [undefined, PLAIN],
  ]);
  t.notMatch(r.findings.map((f) => f.message).join('\n'), /setvar X/, 'the first section\'s setvar is gone, as in Asterisk');
});

t.test('ACL translation: permit-only, !, IPv4-mapped, invalid entries', async (t) => {
  const r = imp(t, ['[a]', 'secret=a-pw', 'permit=10.0.0.0/8', '[b]', 'secret=b-pw', 'deny=0.0.0.0/0,!10.1.0.0/16,::/0', 'permit = ::ffff:10.2.0.0/255.255.0.0, bogus, 10.3.0.0/16'].join('\n'));
  t.same(r.users.a, { secret: 'a-pw', permit: ['10.0.0.0/8'] });
  t.same(r.users.b, { secret: 'b-pw', permit: ['10.1.0.0/16', '10.2.0.0/255.255.0.0'], deny: ['0.0.0.0/0', '::/0'] },
    '"!" moves an entry to the other list; a mapped address becomes IPv4; an invalid entry drops the rest of its line');
  const msgs = r.findings.map((f) => f.message).join('\n');
  t.match(msgs, /permit without any deny: Asterisk starts from "allow"/);
  t.match(msgs, /permit "bogus": "bogus" is not an IPv4 or IPv6 address; Asterisk ignores it and the 1 entry after it/);
  t.match(msgs, /blanks around a comma-separated entry/);
  t.notMatch(r.yaml, /IPv6 peers are not restricted/, 'no IPv6 note when an IPv6 rule exists');
  const odd = imp(t, '[c]\nsecret=c-pw\ndeny=0.0.0.0/0\npermit=10.0.0.1/255.0.0.255\n');
  t.same(odd.users.c, { secret: 'c-pw', deny: ['0.0.0.0/0.0.0.0', '::/0'] }, 'a non-contiguous mask fails closed');
  t.match(odd.findings.map((f) => f.message).join('\n'), /non-contiguous netmasks are not carried over/);
});

t.test('ACL translation: an order that two lists cannot express is written as one ordered permit list (exact)', async (t) => {
  const r = imp(t, ['[d]', 'secret=d-pw', 'deny=0.0.0.0/0.0.0.0', 'permit=10.0.0.0/8', 'deny=10.1.0.0/16', 'permit=10.1.2.0/24'].join('\n'));
  t.same(r.users.d, { secret: 'd-pw', permit: ['!0.0.0.0/0.0.0.0', '10.0.0.0/8', '!10.1.0.0/16', '10.1.2.0/24'] });
  t.notMatch(r.findings.map((f) => f.message).join('\n'), /left out|cannot express|permit without any deny/, 'no false warning');
  t.match(r.yaml, /one ordered permit list/);
  const loaded = await parseConfig(wrapped(r), 'ordered.yaml', {});
  t.same(loaded.warnings.filter((w) => /permit without deny/.test(w)), [], 'the loader sees the "!" entries as denies');
  const acl = Acl.compile(loaded.config.users['d']!.deny, loaded.config.users['d']!.permit);
  t.same(['10.9.9.9', '10.1.9.9', '10.1.2.3', '8.8.8.8'].map((a) => acl.allows(a)), [true, false, true, false], 'as Asterisk walks it');
});

t.test('read/write quirks are copied as written and explained', async (t) => {
  const r = imp(t, '[u]\nsecret=u-pw\nread = call, system\nwrite = Call,SYSTEM\n[v]\nsecret=v-pw\nread=c,system\nwrite=all\n');
  t.same(r.users.u, { secret: 'u-pw', read: 'call, system', write: 'Call,SYSTEM' });
  t.same(r.users.v, { secret: 'v-pw', read: 'c,system', write: 'all' });
  findingsLike(t, r.findings, [
    [3, /read = call, system means "call" to Asterisk .* not "system,call"/],
    [4, /write = Call,SYSTEM means "none" .* not "system,call"/],
    [7, /read = c,system means "system,call,command,config,cdr,cc"/],
    [undefined, PLAIN],
    [undefined, NO_SCOPE],
  ]);
});

t.test('[general]: mapped keys, invalid numbers, keys with no equivalent, a second [general]', async (t) => {
  const r = imp(t, [
    '[general]', 'enabled = no', 'authtimeout = 0', 'authlimit = abc', 'authtimeout = 15', 'webenabled = no', 'timestampevents = no',
    'debug = on', 'httptimeout = 60', 'channelvars = A,B', 'disabledevents =', 'brokeneventsaction = yes', 'tlsenable = yes',
    'sslcert = /etc/x.pem', 'frobnicate = 1', 'displayconnects = off',
    '[General]', 'authlimit = 5',
    '[u]', 'secret = u-secret', 'displayconnects = yes', 'writetimeout = 50', 'nonsense = 1', 'eventfilterx = y', 'eventfilter(bad) = z',
  ].join('\n'));
  t.same(r.general, { authtimeout: 15, displayconnects: false });
  t.same(r.users.u, { secret: 'u-secret', displayconnects: true });
  findingsLike(t, r.findings, [
    [2, /enabled = no: this Asterisk accepts no AMI logins/],
    [3, /authtimeout = "0" is invalid/],
    [4, /authlimit = "abc" is invalid/],
    [8, /debug = on is not carried over/],
    [9, /httptimeout = 60 is not carried over/],
    [10, /channelvars = A,B is not carried over/],
    [12, /brokeneventsaction = yes/],
    [13, /tlsenable is not carried over: amigate's TLS is set per listener/],
    [14, /sslcert is not carried over/],
    [15, /frobnicate is not a manager\.conf \[general\] option/],
    [17, /a second \[General\] section \(the first is at line 1\)/],
    [22, /writetimeout = "50" is invalid/],
    [23, /nonsense is not a manager\.conf user option/],
    [24, /eventfilterx is neither eventfilter nor eventfilter\(criteria\)/],
    [25, /eventfilter\(bad\): malformed criteria/],
    [undefined, PLAIN],
  ]);
});

t.test('files Asterisk refuses report errors, and the YAML says so', async (t) => {
  const r = imp(t, 'secret = orphan-pw\n[u]\nsecret=u-pw\n[v](missing)\nsecret=v-pw\n#exec /usr/local/bin/users\n', ['orphan-pw']);
  t.same(r.findings.filter((f) => f.level === 'error').map((f) => f.line), [1, 4]);
  t.match(formatFinding(r.findings[0]!, 'm.conf'), /^m\.conf:1: error: a setting before any \[section\]/);
  t.match(r.findings.find((f) => f.line === 6)?.message, /#exec \/usr\/local\/bin\/users is not run/);
  t.match(r.yaml, /reported 2 warning\(s\) and 2 error\(s\)/);
  t.same(r.users, { u: { secret: 'u-pw' } }, 'the lines under the bad header are dropped, not given to [u]');
});

t.test('an empty file gives an empty users map', async (t) => {
  const r = imp(t, '');
  t.same(r.users, {});
  t.same(r.findings, []);
  t.match(r.yaml, /^users: \{\}$/m);
  t.match(formatFinding({ level: 'warning', message: 'm' }, 'f'), /^f: m$/);
});

// --- the CLI (src/cli/import-manager-conf.ts) --------------------------------

function cliIo(): { io: CliIo; out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  stdout.on('data', (c: Buffer) => o.push(c));
  stderr.on('data', (c: Buffer) => e.push(c));
  return {
    io: { stdout, stderr, stdin: new PassThrough(), env: {} },
    out: () => Buffer.concat(o).toString('utf8'),
    err: () => Buffer.concat(e).toString('utf8'),
  };
}

t.test('cli: prints the YAML on stdout and the findings on stderr, never a secret', async (t) => {
  const file = join(FIXTURES, 'sample-mark.conf');
  const c = cliIo();
  t.equal(await run([file], c.io), 0);
  t.equal(c.out(), importManagerConf(fixture('sample-mark.conf'), { source: file }).yaml);
  t.match(c.err(), `amigate: warning: ${file}:36: [mark] acl = named_acl_example`);
  t.equal(c.err().split('\n').filter((l) => l.startsWith('amigate: warning: ')).length, 5);
  t.notMatch(c.err(), /mysecret|edvina/);
});

t.test('cli: --out writes an owner-only file and refuses to overwrite without --force', async (t) => {
  const dir = t.testdir({ 'manager.conf': fixture('crlf-spacing.conf') });
  const out = join(dir, 'users.yaml');
  const c = cliIo();
  t.equal(await run([join(dir, 'manager.conf'), '--out', out], c.io), 0);
  t.equal(c.out(), '', 'nothing on stdout');
  t.match(c.err(), /wrote 1 user\(s\) to .*users\.yaml/);
  t.notMatch(c.err(), /s3cr|not-this-one/);
  t.equal((await stat(out)).mode & 0o777, 0o600);
  t.same((parse(await readFile(out, 'utf8')) as { users: object }).users, importManagerConf(fixture('crlf-spacing.conf')).users);
  await t.rejects(run([join(dir, 'manager.conf'), '-o', out], cliIo().io), { code: 'AMIGATE_ERR_USAGE', message: /refusing to overwrite .*--force/ });
  t.equal(await run([join(dir, 'manager.conf'), '-o', out, '--force'], cliIo().io), 0);
});

t.test('cli: exit 1 when Asterisk would refuse the file; usage and read errors', async (t) => {
  const dir = t.testdir({ 'bad.conf': 'orphan = 1\n[u]\nsecret = u-pw\n' });
  const c = cliIo();
  t.equal(await run([join(dir, 'bad.conf')], c.io), 1);
  t.match(c.err(), /^amigate: .*bad\.conf:1: error: a setting before any \[section\]/m);
  t.match(c.out(), /users:\n/, 'the best-effort YAML is still printed');
  const missing = cliIo();
  t.equal(await run([join(dir, 'nope.conf')], missing.io), 1);
  t.match(missing.err(), /amigate: cannot read .*nope\.conf/);
  await t.rejects(run([], cliIo().io), { code: 'AMIGATE_ERR_USAGE', message: /usage: amigate import-manager-conf/ });
  await t.rejects(run(['a', 'b'], cliIo().io), { code: 'AMIGATE_ERR_USAGE' });
  const h = cliIo();
  t.equal(await run(['--help'], h.io), 0);
  t.match(h.out(), /usage: amigate import-manager-conf/);
});

t.test('docs/import-manager-conf.md shows the real output for freepbx.conf', async (t) => {
  const doc = readFileSync(join(FIXTURES, '../../../docs/import-manager-conf.md'), 'utf8');
  const m = /freepbx\.conf`:\n\n```yaml\n([\s\S]*?)```\n/.exec(doc);
  t.ok(m, 'the example is there');
  t.equal(m?.[1], importManagerConf(fixture('freepbx.conf'), { source: '/etc/asterisk/manager.conf' }).yaml);
});

// --- the output loads with the real config loader ----------------------------

const WRAP = [
  'listeners:',
  '  - { name: plain, bindaddr: 127.0.0.1, port: 0 }',
  'upstreams:',
  '  - { name: pbx1, host: 127.0.0.1, port: 5038, username: amigate, secret: upstream-secret }',
  '',
].join('\n');

/** The import's YAML, with the general block uncommented, plus listeners/upstreams. */
function wrapped(r: ImportResult): string {
  const yaml = r.yaml.replace(/^# (general:|  \w+: .*)$/gm, '$1');
  return yaml + WRAP;
}

t.test('every fixture\'s output loads with parseConfig, general block uncommented', async (t) => {
  for (const name of ['sample-mark.conf', 'transcripts.conf', 'freepbx.conf', 'templates.conf', 'advanced-filters.conf', 'crlf-spacing.conf']) {
    const r = importManagerConf(fixture(name));
    const loaded = await parseConfig(wrapped(r), `${name}.yaml`, {});
    t.same(Object.keys(loaded.config.users), Object.keys(r.users), `${name}: every user loads`);
    for (const [k, v] of Object.entries(r.general)) t.equal(loaded.config.general[k as keyof typeof r.general], v, `${name}: general.${k}`);
    for (const [n, u] of Object.entries(r.users)) {
      const c = loaded.config.users[n]!;
      t.equal(c.secret, u.secret, `${name}: ${n} secret`);
      t.equal(c.read, u.read ?? '', `${name}: ${n} read`);
      t.same(c.eventfilter, u.eventfilter ?? [], `${name}: ${n} eventfilter`);
    }
  }
});

t.test('ACL semantics survive the round trip through src/policy/acl.ts', async (t) => {
  // Each case: manager.conf permit/deny lines in order; the loaded Acl must
  // agree with Asterisk on every address (Asterisk's walk: acl-rules.ts asteriskAllows).
  const cases: Array<{ lines: Array<['permit' | 'deny', string]>; exact: boolean }> = [
    { lines: [['deny', '0.0.0.0/0.0.0.0'], ['permit', '127.0.0.1/255.255.255.0'], ['permit', '10.0.0.0/8']], exact: true },
    { lines: [['permit', '192.168.10.0/24'], ['deny', '0.0.0.0/0'], ['permit', '192.168.20.5']], exact: true },
    { lines: [['deny', '0.0.0.0/0,!10.1.0.0/16'], ['deny', '::/0'], ['permit', '2001:db8::/32']], exact: true },
    { lines: [['permit', '10.0.0.0/8'], ['deny', '10.1.0.0/16'], ['permit', '10.1.2.0/24']], exact: true },
    // A deny after a permit: written as one ordered permit list with "!", still exact.
    { lines: [['deny', '0.0.0.0/0'], ['permit', '10.0.0.0/8'], ['deny', '10.1.0.0/16']], exact: true },
    { lines: [['permit', '::ffff:10.2.0.0/255.255.0.0']], exact: true },
    { lines: [['deny', '::ffff:10.1.2.3']], exact: true },
    { lines: [['permit', '10.0.0.0/8'], ['deny', '::/0,0.0.0.0/0'], ['permit', '2001:db8::/32,!2001:db8:1::/48']], exact: true },
  ];
  const probes = ['127.0.0.1', '10.1.2.3', '10.1.3.3', '10.9.9.9', '192.168.10.7', '192.168.20.5', '8.8.8.8', '::ffff:10.1.2.3', '2001:db8::1', '2001:db9::1', '::1'];
  for (const [i, c] of cases.entries()) {
    const text = `[u${i}]\nsecret = case-${i}-pw\n` + c.lines.map(([s, v]) => `${s} = ${v}`).join('\n') + '\n';
    const r = importManagerConf(text);
    const loaded = await parseConfig(wrapped(r), 'acl.yaml', {});
    const u = loaded.config.users[`u${i}`]!;
    const acl = Acl.compile(u.deny, u.permit);
    const original = c.lines.flatMap(([s, v], j) => parseAclValue(s, v, j + 3).rules);
    let same = true;
    for (const p of probes) {
      const ast = asteriskAllows(original, p);
      const ami = acl.allows(p);
      if (ami && !ast) t.fail(`case ${i}: amigate admits ${p}, Asterisk refuses it`);
      if (ami !== ast) same = false;
    }
    t.equal(same, c.exact, `case ${i}: ${c.exact ? 'exact' : 'narrower, never wider'}`);
  }
});
