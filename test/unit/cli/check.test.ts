import t from 'tap';
import { PassThrough, Readable } from 'node:stream';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../src/cli/check.js';
import { UsageError } from '../../../src/errors.js';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/config');

function io(env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => { out += c.toString(); });
  stderr.on('data', (c: Buffer) => { err += c.toString(); });
  return { io: { stdout, stderr, stdin: Readable.from([]), env }, out: () => out, err: () => err };
}

t.test('a valid file: exit 0, "ok", warnings', async (t) => {
  const x = io();
  t.equal(await run(['--config', join(fixtures, 'valid-minimal.yaml')], x.io), 0);
  t.match(x.out(), /^ok: .*valid-minimal\.yaml: 1 listener\(s\), 1 upstream\(s\), 0 user\(s\)\n$/);
  const dir = t.testdir({ 'w.yaml': 'listeners: [{ bindaddr: 0.0.0.0, port: 5040, insecure: true }]\nupstreams: [{ host: 127.0.0.1, username: a, secret: b }]\n' });
  const y = io();
  t.equal(await run(['-c', join(dir, 'w.yaml')], y.io), 0);
  t.match(y.out(), /^ok: [^\n]*\nwarning: .*w\.yaml:1: listeners\[0\]: plaintext listener/);
});

t.test('an invalid file: exit 1, every problem as file:line: key: message', async (t) => {
  const x = io();
  const file = join(fixtures, 'invalid-types.yaml');
  t.equal(await run(['--config', file], x.io), 1);
  const lines = x.err().trim().split('\n');
  t.equal(lines.length, 7);
  t.equal(lines[0], `${file}:2: general.authtimeout: must be >= 1`);
  t.match(lines[6], /6 problem\(s\)/);
  t.equal(x.out(), '');
});

t.test('env is passed through for { env: } secrets', async (t) => {
  const file = join(fixtures, 'invalid-secret-ref.yaml');
  const x = io({ AMIGATE_TEST_MISSING: 'set' });
  t.equal(await run(['--config', file], x.io), 1);
  t.notMatch(x.err(), /AMIGATE_TEST_MISSING/);
});

t.test('usage', async (t) => {
  await t.rejects(run([], io().io), UsageError);
});
