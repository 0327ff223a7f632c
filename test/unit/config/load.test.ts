import t from 'tap';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, parseConfig, keyPath, deepFreeze } from '../../../src/config/load.js';
import { DEFAULTS } from '../../../src/config/schema.js';
import { ConfigInvalidError, type ConfigProblem } from '../../../src/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const fixtures = join(root, 'test/fixtures/config');

const MIN = `
listeners:
  - { name: local, bindaddr: 127.0.0.1, port: 5040 }
upstreams:
  - { name: pbx1, host: 127.0.0.1, username: amigate, secret: s3cret }
`;

async function problemsOf(p: Promise<unknown>): Promise<ConfigProblem[]> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ConfigInvalidError) return [...err.problems];
    throw err;
  }
  throw new Error('expected ConfigInvalidError');
}

t.test('config/amigate.example.yaml loads (every key), with its secrets in place', async (t) => {
  const dir = t.testdir({ config: {}, config_secrets: {} });
  await mkdir(join(dir, 'config/secrets'), { recursive: true });
  await copyFile(join(root, 'config/amigate.example.yaml'), join(dir, 'config/amigate.example.yaml'));
  await writeFile(join(dir, 'config/secrets/wallboard'), 'wb-secret\n');
  const env = { AMI_UPSTREAM_SECRET: 'up', AMI_MARK_SECRET: 'mark', AMI_CRM_SECRET: 'crm', AMI_READER_SECRET: 'reader' };
  const { config, warnings } = await loadConfig(join(dir, 'config/amigate.example.yaml'), env);
  t.same(warnings, [], 'the example is clean');
  t.equal(config.listeners.length, 5);
  t.equal(config.listeners[4]!.proxyprotocol, 'v2');
  t.same(config.listeners[4]!.trustedproxies, ['10.0.0.5', '10.0.0.6']);
  t.same(config.listeners[3]!.http, { httptimeout: 60, allowget: false, realm: 'asterisk', servername: 'Asterisk', maxhttpsessions: 1000, maxbodybytes: 16384 });
  t.equal(config.listeners[3]!.protocol, 'http');
  t.equal(config.listeners[0]!.protocol, 'ami');
  t.equal(config.listeners[0]!.http, undefined);
  t.equal(config.listeners[0]!.tls!.certfile, join(dir, 'certs/dev/server.crt'), 'cert paths are relative to the config file; they need not exist');
  t.equal(config.listeners[2]!.tls!.verifyclient, true);
  t.equal(config.upstreams[0]!.secret, 'up');
  t.equal(config.users['wallboard']!.secret, 'wb-secret', '{ file: } is relative to the config file, trailing newline dropped');
  t.match(config.users['admin']!.secret, /^\$scrypt\$/);
  t.same(config.users['crm']!.originate, { contexts: ['from-crm'], applications: ['Playback'] });
  t.same(config.users['wallboard']!.eventfilter[1], { matchcriteria: 'action(exclude),name(VarSet)', filter: '' });
  t.equal(config.users['crm']!.allowmultiplelogin, false);
  t.equal(config.users['reader']!.write, '', 'missing write = none');
  t.equal(config.admin!.port, 9189);
  t.equal(config.log.file, null);
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.users['crm']!.actions.allow) && Object.isFrozen(config.listeners[0]!.tls), 'deep-frozen');
});

t.test('config/amigate.dev.yaml loads', async (t) => {
  const { config, warnings } = await loadConfig(join(root, 'config/amigate.dev.yaml'), { AMI_UPSTREAM_SECRET: 'u', AMIGATE_DEMO_SECRET: 'd' });
  t.same(warnings, []);
  t.same(config.listeners.map((l) => [l.name, l.bindaddr, l.port, !!l.tls]), [['tls', '127.0.0.1', 5039, true], ['plain', '127.0.0.1', 5040, false]]);
  t.equal(config.listeners[0]!.tls!.certfile, join(root, 'certs/dev/server.crt'));
  t.same([config.upstreams[0]!.host, config.upstreams[0]!.port, config.upstreams[0]!.username], ['127.0.0.1', 5038, 'amigate']);
  t.same(config.admin, { bindaddr: '127.0.0.1', port: 9189 });
  t.ok(config.users['demo']);
});

t.test('defaults are applied from DEFAULTS', async (t) => {
  const { config } = await parseConfig(MIN + 'users:\n  u: { secret: x }\n', '/etc/amigate/a.yaml', {});
  t.same(config.general, DEFAULTS.general);
  t.same(config.log, DEFAULTS.log);
  t.equal(config.admin, undefined);
  t.same(config.upstreams[0], { name: 'pbx1', host: '127.0.0.1', port: 5038, username: 'amigate', secret: 's3cret', connections: 2, keepalive: 10, keepalivemisses: 3, maxlinebytes: 1048576, maxheaders: 100000, boottimeout: 2000 });
  const u = config.users['u']!;
  t.same([u.read, u.write, u.permit, u.deny, u.eventfilter], ['', '', [], [], []], 'least privilege');
  t.same([u.allowmultiplelogin, u.displayconnects, u.writetimeout, u.maxsessions, u.serverheader], [true, true, 1000, 0, false]);
  t.same([u.actions, u.commands, u.originate, u.certificate, u.upstreams], [{ allow: undefined, deny: [] }, { allow: undefined, deny: [] }, { contexts: undefined, applications: undefined }, undefined, undefined]);
  t.equal(config.file, '/etc/amigate/a.yaml');
});

t.test('message size limits: downstream at most Asterisk\'s own, upstream at least that', async (t) => {
  const ok = await parseConfig(MIN.replace('secret: s3cret }', 'secret: s3cret, maxlinebytes: 4096, maxheaders: 500, boottimeout: 0 }')
    + 'general: { maxlinebytes: 512, maxheaders: 64 }\n', 'a.yaml', {});
  t.same([ok.config.general.maxlinebytes, ok.config.general.maxheaders], [512, 64]);
  t.same([ok.config.upstreams[0]!.maxlinebytes, ok.config.upstreams[0]!.maxheaders, ok.config.upstreams[0]!.boottimeout], [4096, 500, 0]);
  const bad = await problemsOf(parseConfig(MIN.replace('secret: s3cret }', 'secret: s3cret, maxlinebytes: 100, maxheaders: 10 }')
    + 'general: { maxlinebytes: 2048, maxheaders: 129 }\n', 'a.yaml', {}));
  t.same(bad.map((p) => `${p.key}: ${p.message}`).sort(), [
    'general.maxheaders: must be <= 128',
    'general.maxlinebytes: must be <= 1024',
    'upstreams[0].maxheaders: must be >= 128',
    'upstreams[0].maxlinebytes: must be >= 1024',
  ]);
});

t.test('user defaults follow general; names and paths resolve', async (t) => {
  const { config } = await parseConfig(`
general: { allowmultiplelogin: false, displayconnects: false, writetimeout: 250 }
listeners:
  - { bindaddr: 127.0.0.1, port: 5040 }
upstreams:
  - { host: 127.0.0.1, username: amigate, secret: s3cret, tls: { cafile: ca.pem } }
log: { file: logs/amigate.log }
users:
  u: { secret: x, read: [system, call], permit: "10.0.0.0/8, 192.168.0.0/16", deny: 0.0.0.0/0 }
`, '/srv/amigate/amigate.yaml', {});
  const u = config.users['u']!;
  t.same([u.allowmultiplelogin, u.displayconnects, u.writetimeout], [false, false, 250]);
  t.equal(u.read, 'system,call', 'a YAML list joins to the manager.conf form');
  t.same(u.permit, ['10.0.0.0/8', '192.168.0.0/16'], 'comma lists split as ast_append_ha() does');
  t.equal(config.listeners[0]!.name, '127.0.0.1:5040');
  t.equal(config.upstreams[0]!.name, '127.0.0.1:5038');
  t.equal(config.upstreams[0]!.tls!.cafile, '/srv/amigate/ca.pem');
  t.equal(config.log.file, '/srv/amigate/logs/amigate.log');
});

t.test('secrets: env, file, errors', async (t) => {
  const dir = t.testdir({ 'pw.txt': 'from-file\r\n', 'empty.txt': '', 'nl.txt': 'a\nb' });
  const file = join(dir, 'amigate.yaml');
  const text = (secret: string) => MIN.replace('secret: s3cret', `secret: ${secret}`);
  t.equal((await parseConfig(text('{ env: UP }'), file, { UP: 'from-env' })).config.upstreams[0]!.secret, 'from-env');
  t.equal((await parseConfig(text('{ file: pw.txt }'), file, {})).config.upstreams[0]!.secret, 'from-file');
  t.equal((await parseConfig(text(`{ file: ${join(dir, 'pw.txt')} }`), '/elsewhere/x.yaml', {})).config.upstreams[0]!.secret, 'from-file', 'absolute path');
  t.match(await problemsOf(parseConfig(text('{ env: UP }'), file, { UP: '' })), [{ key: 'upstreams[0].secret', message: /UP is empty/ }]);
  t.match(await problemsOf(parseConfig(text('{ file: empty.txt }'), file, {})), [{ key: 'upstreams[0].secret', message: /is empty/ }]);
  t.match(await problemsOf(parseConfig(text('{ file: nl.txt }'), file, {})), [{ key: 'upstreams[0].secret', message: /CR or LF/ }]);
  t.match(await problemsOf(parseConfig(text('{ env: A, file: b }'), file, {})), [{ key: 'upstreams[0].secret', line: 5 }]);
});

// Each invalid fixture -> exactly these problems (line, key, message pattern).
const INVALID: Record<string, Array<[number | undefined, string, RegExp]>> = {
  'invalid-yaml-syntax.yaml': [[8, '(yaml)', /same column/]],
  'invalid-unknown-key.yaml': [[2, 'general.authtimout', /unknown key \(allowed: banner, authtimeout/], [10, 'users.alice.reed', /unknown key/]],
  'invalid-missing-sections.yaml': [[1, 'listeners', /is required/], [1, 'upstreams', /is required/]],
  'invalid-plaintext-listener.yaml': [[3, 'listeners[1]', /"lan" on 0.0.0.0 has no tls.*insecure: true/]],
  'invalid-duplicate-port.yaml': [[3, 'listeners[1].port', /5039 is already used by listeners\[0\] \(a\)/], [6, 'admin.port', /already used/]],
  'invalid-duplicate-upstream.yaml': [[5, 'upstreams[1].name', /duplicate upstream name "pbx1"/]],
  'invalid-unknown-upstream-ref.yaml': [[8, 'users.alice.upstreams[1]', /unknown upstream "pbx2" \(configured: pbx1\)/]],
  'invalid-acl.yaml': [
    [8, 'users.alice.deny', /not an IPv4 netmask/],
    [11, 'users.alice.permit[1]', /10\.0\.0\.300.*not an IPv4 or IPv6 address/],
    [12, 'users.alice.permit[2]', /prefix length 129/],
  ],
  'invalid-eventfilter.yaml': [
    [9, 'users.alice.eventfilter[0]', /does not compile/],
    [10, 'users.alice.eventfilter[1]', /none/],
    [11, 'users.alice.eventfilter[2]', /must be a string or \{ matchcriteria, filter \}/],
  ],
  'invalid-commands-regex.yaml': [[11, 'users.alice.commands.deny[0]', /missing closing \)/]],
  // What the linear-time engine cannot run is refused with a reason; the exponential shapes
  // on lines 10, 14 and 18 load (they run in linear time).
  'invalid-linear-regex.yaml': [
    [10, 'users.alice.commands.allow[0]', /\^core show \(\?!channels\)\/: lookahead and lookbehind .* not supported: amigate matches with a linear-time engine/],
    [11, 'users.alice.commands.deny[0]', /backreferences .* not supported/],
    [15, 'users.alice.eventfilter[2]', /back reference \\1: backreferences are not supported/],
    [16, 'users.alice.eventfilter[3]', /at most 1000 repetitions/],
    [17, 'users.alice.eventfilter[4]', /\\< must be followed by a letter, digit or _/],
    [19, 'log.sensitive[1]', /lookahead and lookbehind/],
  ],
  'invalid-types.yaml': [
    [2, 'general.authtimeout', />= 1/],
    [3, 'general.writetimeout', />= 100/],
    [4, 'general.allowmultiplelogin', /boolean/],
    [6, 'listeners[0].port', /<= 65535/],
    [9, 'log.level', /one of: trace, debug/],
    [13, 'users.alice.maxsessions', />= 0/],
  ],
  'invalid-secret-ref.yaml': [
    [4, 'upstreams[0].secret', /AMIGATE_TEST_MISSING is not set/],
    [7, 'users.alice.secret', /cannot read secret file .*no-such-secret-file \(ENOENT\)/],
    [9, 'users.bob.secret', /must be a string, \{ env: NAME \} or \{ file: path \}/],
  ],
  'invalid-hash.yaml': [[7, 'users.alice.secret', /invalid \$scrypt\$ hash: N must be a power of two/]],
  'invalid-banner.yaml': [[2, 'general.banner', /Asterisk Call Manager/]],
  'invalid-verifyclient-no-ca.yaml': [[5, 'listeners[0].tls.verifyclient', /needs cafile/]],
  'invalid-user-names.yaml': [[8, 'users.Alice', /case-insensitive/], [10, 'users.bad name', /printable ASCII/]],
  'invalid-bindaddr.yaml': [[2, 'listeners[0].bindaddr', /not an IP address/]],
  'invalid-root.yaml': [[1, '(root)', /must be object/]],
};

t.test('invalid fixtures: every problem, with file:line: key', async (t) => {
  for (const [name, expected] of Object.entries(INVALID)) {
    const file = join(fixtures, name);
    const problems = await problemsOf(loadConfig(file, {}));
    t.same(problems.map((p) => [p.line, p.key]), expected.map(([l, k]) => [l, k]), `${name}: lines and keys`);
    problems.forEach((p, i) => {
      t.equal(p.file, file);
      t.match(p.message, expected[i]![1 + 1] as RegExp, `${name}: ${p.key}`);
    });
  }
  t.ok(Object.keys(INVALID).length >= 10);
});

t.test('the error message lists every problem as file:line: key: message', async (t) => {
  const file = join(fixtures, 'invalid-types.yaml');
  const err = await loadConfig(file, {}).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof ConfigInvalidError);
  const e = err as ConfigInvalidError;
  t.equal(e.code, 'AMIGATE_ERR_CONFIG_INVALID');
  t.match(e.message, `${file}:2: general.authtimeout: must be >= 1`);
  t.match(e.message, `${file}:13: users.alice.maxsessions: must be >= 0`);
});

t.test('listeners[].protocol: http keys are defaulted there and refused on an AMI listener', async (t) => {
  const { config } = await parseConfig(`
listeners:
  - { name: web, bindaddr: 127.0.0.1, port: 8088, protocol: http, allowget: false }
upstreams:
  - { name: pbx1, host: 127.0.0.1, username: amigate, secret: s3cret }
`, '/x/a.yaml', {});
  t.same(config.listeners[0]!.http, { ...DEFAULTS.listener.http, allowget: false });
  const problems = await problemsOf(parseConfig(`
listeners:
  - { name: ami, bindaddr: 127.0.0.1, port: 5038, httptimeout: 30 }
  - name: web
    bindaddr: 127.0.0.1
    port: 8088
    protocol: http
    realm: 'a"b'
    protocol2: x
upstreams:
  - { name: pbx1, host: 127.0.0.1, username: amigate, secret: s3cret }
`, '/x/a.yaml', {}));
  t.same(problems.map((p) => [p.line, p.key]), [[3, 'listeners[0].httptimeout'], [8, 'listeners[1].realm'], [9, 'listeners[1].protocol2']]);
  t.match(problems[0]!.message, /only a listener with protocol: http takes this key/);
  t.match(problems[1]!.message, /must not contain/);
  t.match(problems[2]!.message, /unknown key/);
});

t.test('an unreadable file', async (t) => {
  t.match(await problemsOf(loadConfig('/nonexistent/amigate.yaml')), [{ key: '(file)', line: undefined, message: /ENOENT/ }]);
});

t.test('warnings name their key', async (t) => {
  const { warnings } = await parseConfig(`
listeners:
  - { name: lan, bindaddr: 0.0.0.0, port: 5040, insecure: true }
  - { name: mtls, bindaddr: 127.0.0.1, port: 5041, tls: { certfile: a, privatekey: b } }
upstreams:
  - { name: pbx1, host: 10.1.1.1, username: amigate, secret: s3cret }
  - { name: pbx2, host: 10.1.1.2, username: amigate, secret: s3cret, tls: { rejectunauthorized: false } }
admin: { bindaddr: 0.0.0.0, port: 9189 }
users:
  nosecret: { read: call }
  quirky: { secret: x, read: "call, system", write: "Call" }
  openacl: { secret: x, permit: 10.0.0.0/8 }
  cert: { secret: x, certificate: { subject: CN=x } }
  allowed: { secret: x, write: call, actions: { allow: [Originate, Hangup], deny: [hangup] }, commands: { allow: [x] }, originate: { contexts: [a] } }
  single: { secret: x, allowmultiplelogin: false, maxsessions: 3 }
  unknownclass: { secret: x, read: "call,foo" }
  sysexpr: { secret: x, write: system, expressions: allow }
`, '/x/a.yaml', {});
  const expect: Array<[number, string, RegExp]> = [
    [3, 'listeners[0]', /plaintext listener "lan" on 0\.0\.0\.0:5040/],
    [6, 'upstreams[0]', /pbx1.*without tls/],
    [7, 'upstreams[1].tls.rejectunauthorized', /not verified/],
    [8, 'admin.bindaddr', /without authentication/],
    [10, 'users.nosecret', /cannot log in/],
    [11, 'users.quirky.read', /"call, system" means "call"/],
    [11, 'users.quirky.write', /"Call" means "none"/],
    [12, 'users.openacl.permit', /restricts nothing/],
    [13, 'users.cert.certificate', /verifyclient/],
    [14, 'users.allowed.actions.allow', /Originate needs one of the write classes originate/],
    [14, 'users.allowed.actions', /Hangup is in both allow and deny/],
    [14, 'users.allowed.commands', /command class/],
    [14, 'users.allowed.originate', /originate class/],
    [15, 'users.single.maxsessions', /ignored/],
    [16, 'users.unknownclass.read', /unknown class "foo"/],
    [17, 'users.sysexpr.expressions', /no effect: write grants system/],
  ];
  t.equal(warnings.length, expect.length, warnings.join('\n'));
  for (const [line, key, re] of expect) {
    const w = warnings.find((x) => x.startsWith(`/x/a.yaml:${line}: ${key}: `));
    t.ok(w, `${line} ${key}`);
    if (w) t.match(w, re);
  }
});

t.test('keyPath and deepFreeze', async (t) => {
  t.equal(keyPath([]), '(root)');
  t.equal(keyPath(['listeners', 0, 'tls', 'certfile']), 'listeners[0].tls.certfile');
  const o = deepFreeze({ a: [{ b: 1 }] });
  t.ok(Object.isFrozen(o.a[0]));
});

t.test('write: "" means no classes, without a warning', async (t) => {
  const { config, warnings } = await parseConfig(`
listeners: [{ bindaddr: 127.0.0.1, port: 5040 }]
upstreams: [{ name: pbx1, host: 127.0.0.1, username: amigate, secret: s3cret }]
users:
  quiet: { secret: x, read: call, write: "" }
`, '/x/b.yaml', {});
  t.same(warnings, [], 'no warning at all');
  t.equal(config.users['quiet']!.write, '');
});
