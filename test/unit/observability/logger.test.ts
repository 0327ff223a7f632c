import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, redactHeaders, isSensitive, censorSecrets, CENSOR } from '../../../src/observability/logger.js';
import { AmiMessage } from '../../../src/protocol/message.js';
import { UpstreamClosedError } from '../../../src/errors.js';
import { captureLogger, LineSink } from '../../helpers/log-capture.js';

t.test('JSON lines with ISO time, level label and name; level filtering', async (t) => {
  const cap = captureLogger({ level: 'info' });
  cap.logger.debug('hidden');
  cap.logger.info({ listener: 'tls' }, 'listening');
  const lines = cap.lines();
  t.equal(lines.length, 1);
  t.match(lines[0], { level: 'info', name: 'amigate', msg: 'listening', listener: 'tls' });
  t.match(lines[0]!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.equal(cap.find({ listener: 'tls' }).length, 1);
  cap.clear();
  t.same(cap.lines(), []);
});

t.test('redact paths censor secrets in our records at any depth we use', async (t) => {
  const cap = captureLogger();
  const secrets = ['top-s3cret', 'hdr-S3cret', 'hdr-K3y', 'hdr-k3y-lower', 'nested-s3cret', 'deep-passw0rd', 'up-s3cret', 'msg-s3cret', 'cfg-pass'];
  cap.logger.info({
    secret: secrets[0],
    headers: { Secret: secrets[1], Key: secrets[2], key: secrets[3], Action: 'Login' },
    user: { name: 'crm', secret: secrets[4] },
    a: { b: { password: secrets[5] } },
    upstreams: [{ name: 'pbx1', secret: secrets[6] }],
    packet: { Secret: secrets[7] },
    config: { tls: { Password: secrets[8] } },
  }, 'record');
  const raw = cap.raw();
  for (const s of secrets) t.notOk(raw.includes(s), `${s} not in the output`);
  const [line] = cap.lines() as Array<Record<string, any>>;
  t.equal(line!.secret, CENSOR);
  t.same(line!.headers, { Secret: CENSOR, Key: CENSOR, key: CENSOR, Action: 'Login' });
  t.equal(line!.user.name, 'crm', 'non-secret fields stay');
  t.equal(line!.user.secret, CENSOR);
  t.equal(line!.a.b.password, CENSOR);
  t.equal(line!.upstreams[0].secret, CENSOR);
  t.equal(line!.upstreams[0].name, 'pbx1');
});

t.test('an AmiMessage under `ami` or `packet` is logged as redacted headers', async (t) => {
  const cap = captureLogger();
  const msg = AmiMessage.from([['Action', 'Login'], ['Username', 'crm'], ['SECRET', 'wire-s3cret'], ['ActionID', '1']]);
  cap.logger.info({ ami: msg }, 'login');
  t.notOk(cap.raw().includes('wire-s3cret'));
  t.same(cap.lines()[0]!.ami, { Action: 'Login', Username: 'crm', SECRET: CENSOR, ActionID: '1' });
  cap.logger.info({ ami: 'plain string' }, 'not a message');
  t.equal(cap.lines()[1]!.ami, 'plain string');
});

t.test('errors are serialized with type, code, message, stack and cause', async (t) => {
  const cap = captureLogger();
  const err = new UpstreamClosedError('gone', { cause: new Error('ECONNRESET') });
  cap.logger.error({ err }, 'upstream failed');
  cap.logger.warn({ error: new Error('plain') }, 'second key');
  const [a, b] = cap.lines() as Array<Record<string, any>>;
  t.match(a!.err, { type: 'UpstreamClosedError', code: 'AMIGATE_ERR_UPSTREAM_CLOSED', message: /gone/, stack: /UpstreamClosedError/ });
  t.match(JSON.stringify(a!.err), /ECONNRESET/, 'cause kept');
  t.match(b!.error, { type: 'Error', message: 'plain' });
});

t.test('redactHeaders: case-insensitive Secret/Key, repeated headers, configured patterns', async (t) => {
  const pairs: Array<[string, string]> = [
    ['Action', 'Originate'], ['secret', 'a'], ['KEY', 'b'], ['Variable', 'FOO=1'],
    ['Variable', 'DB_PASSWORD=hunter2'], ['Variable', 'BAR=2'], ['Channel', 'Local/1@test'],
  ];
  const out = redactHeaders(pairs, [/^Variable:\s*\w*PASS/i]);
  t.same({ ...out }, {
    Action: 'Originate', secret: CENSOR, KEY: CENSOR,
    Variable: ['FOO=1', CENSOR, 'BAR=2'], Channel: 'Local/1@test',
  });
  t.notOk(JSON.stringify(out).includes('hunter2'));
  t.same({ ...redactHeaders([['Key', 'x'], ['Key', 'y']]) }, { Key: [CENSOR, CENSOR] });

  const g = /^Variable: SECRET/g;
  t.ok(isSensitive('Variable', 'SECRET=1', [g]));
  t.ok(isSensitive('Variable', 'SECRET=1', [g]), 'a /g pattern answers the same twice');
  t.notOk(isSensitive('Variable', 'OTHER=1', [g]));
  t.notOk(isSensitive('Keys', 'x', []), 'only the exact header names');

  const proto = redactHeaders([['__proto__', 'x'], ['constructor', 'y']]);
  t.equal(Object.getPrototypeOf(proto), null);
  t.equal(proto['__proto__'], 'x', 'a header named __proto__ is an ordinary key');
  t.equal(JSON.parse(JSON.stringify(proto)).constructor, 'y');
});

t.test('file destination: JSON lines appended, directory created', async (t) => {
  const file = join(t.testdir({}), 'logs', 'amigate.log');
  const logger = createLogger({ level: 'info', file });
  logger.info({ headers: { Secret: 'file-s3cret' } }, 'to file');
  let text = '';
  for (let i = 0; i < 200 && !text.includes('\n'); i++) {
    await new Promise((r) => setTimeout(r, 10));
    text = await readFile(file, 'utf8').catch(() => '');
  }
  t.notOk(text.includes('file-s3cret'));
  t.match(JSON.parse(text.trim()), { msg: 'to file', headers: { Secret: CENSOR } });
});

t.test('pretty output is human-readable and still redacted', async (t) => {
  const sink = new LineSink();
  const logger = createLogger({ pretty: true, destination: sink });
  logger.info({ headers: { Secret: 'pretty-s3cret' }, listener: 'tls' }, 'hello operator');
  await new Promise((r) => setImmediate(r));
  const out = sink.chunks.join('');
  t.match(out, /INFO.*hello operator/);
  t.throws(() => JSON.parse(out.split('\n')[0]!), 'not JSON');
  t.notOk(out.includes('pretty-s3cret'));
  t.match(out, CENSOR);
});

t.test('extra redact paths', async (t) => {
  const cap = captureLogger({ redact: ['token', '*.apiToken'] });
  cap.logger.info({ token: 't0k', svc: { apiToken: 'api-t0k' } }, 'x');
  t.notOk(/t0k/.test(cap.raw()));
});

t.test('pretty into a file (no colours)', async (t) => {
  const file = join(t.testdir({}), 'pretty', 'amigate.log');
  const logger = createLogger({ pretty: true, file });
  logger.warn({ Secret: 'pf-s3cret' }, 'pretty to file');
  let text = '';
  for (let i = 0; i < 200 && !text.includes('\n'); i++) {
    await new Promise((r) => setTimeout(r, 10));
    text = await readFile(file, 'utf8').catch(() => '');
  }
  t.match(text, /WARN.*pretty to file/);
  t.notOk(text.includes('\u001b['), 'no ANSI colours in a file');
  t.notOk(text.includes('pf-s3cret'));
});

t.test('censorSecrets: any depth, arrays, copy-on-write, never mutates the caller', async (t) => {
  const rec = {
    a: { b: { c: { secret: 'deep' } } },
    list: [{ name: 'x', Password: 'p' }, 'plain', 3],
    headers: { sEcReT: 's', kEy: 'k', Channel: 'c' },
    other: { key: 'config.path', Key: 'K' },
    untouched: { x: 1 },
  };
  const snapshot = JSON.stringify(rec);
  const out = censorSecrets(rec) as any;
  t.equal(JSON.stringify(rec), snapshot, 'input unchanged');
  t.equal(out.a.b.c.secret, CENSOR);
  t.equal(out.list[0].Password, CENSOR);
  t.equal(out.list[0].name, 'x');
  t.equal(out.list[1], 'plain');
  t.same({ ...out.headers }, { sEcReT: CENSOR, kEy: CENSOR, Channel: 'c' }, 'any case under headers');
  t.equal(out.other.key, 'config.path', 'lower-case key elsewhere is not a secret');
  t.equal(out.other.Key, CENSOR);
  t.equal(out.untouched, rec.untouched, 'subtrees without secrets are shared, not copied');
  const clean = { a: { b: 1 }, c: [1, { d: 2 }] };
  t.equal(censorSecrets(clean), clean, 'nothing secret: the same object back');
  const tooDeep = { a: { b: { c: { d: { e: { secret: 'x' } } } } } };
  t.equal(censorSecrets(tooDeep), tooDeep, 'bounded depth');
  t.equal((censorSecrets({ a: { b: { c: { d: { secret: 'x' } } } } }) as any).a.b.c.d.secret, CENSOR, 'five levels down is still covered');
  const err = Object.assign(new Error('e'), { secret: 'in-error' });
  t.equal((censorSecrets({ err }) as any).err, err, 'class instances are left to serializers');
  const evil = JSON.parse('{"__proto__": {"polluted": 1}, "secret": "s"}');
  const safe = censorSecrets(evil) as any;
  t.equal(safe.secret, CENSOR);
  t.equal(({} as any).polluted, undefined, 'no prototype pollution');
  t.same(JSON.parse(JSON.stringify(safe)), { ['__proto__']: { polluted: 1 }, secret: CENSOR });
});

t.test('censoring cost stays small (hot path: one audit record per action)', async (t) => {
  const rec = { audit: 'action', session: 1, user: 'crm', remote: '127.0.0.1:1', listener: 'tls', action: 'Originate', actionId: '42',
    headers: { Channel: 'PJSIP/100', Context: 'x', Exten: '200', Priority: '1', Variable: ['A=1', 'B=2'] }, result: 'success', latencyMs: 1.5 };
  const N = 20000;
  const start = performance.now();
  for (let i = 0; i < N; i++) censorSecrets(rec);
  const us = (performance.now() - start) * 1000 / N;
  t.comment(`censorSecrets on an action record: ${us.toFixed(2)} µs`);
  t.ok(us < 50, 'well under the cost of wildcard redact paths');
});
