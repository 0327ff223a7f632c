import t from 'tap';
import { PassThrough, Readable } from 'node:stream';
import { run } from '../../../src/cli/hash-secret.js';
import { verifySecretHash } from '../../../src/auth/secret-hash.js';

function io(input: string | Buffer) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => { out += c.toString(); });
  stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const stdin = Readable.from([typeof input === 'string' ? Buffer.from(input) : input]);
  return { io: { stdout, stderr, stdin, env: {} }, out: () => out, err: () => err };
}

t.test('prints a hash of the first stdin line', async (t) => {
  const x = io('s3cret\r\nignored second line\n');
  t.equal(await run([], x.io), 0);
  const hash = x.out().trim();
  t.match(hash, /^\$scrypt\$N=16384,r=8,p=1\$/);
  t.ok(await verifySecretHash(hash, 's3cret'));
  t.equal(x.err(), '');
});

t.test('--secret-stdin, no trailing newline, UTF-8 bytes', async (t) => {
  const x = io(Buffer.from('pässwörd', 'utf8'));
  t.equal(await run(['--secret-stdin'], x.io), 0);
  t.ok(await verifySecretHash(x.out().trim(), Buffer.from('pässwörd', 'utf8')));
});

t.test('an empty secret is refused', async (t) => {
  const x = io('\n');
  t.equal(await run([], x.io), 1);
  t.match(x.err(), /empty secret/);
  t.equal(x.out(), '');
});

t.test('--help', async (t) => {
  const x = io('');
  t.equal(await run(['--help'], x.io), 0);
  t.match(x.out(), /usage/);
});
