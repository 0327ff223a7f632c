import t from 'tap';
import { PassThrough } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../../src/cli/certs.js';
import type { CliIo } from '../../../src/cli/types.js';

function io(): { io: CliIo; out(): string } {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  return {
    io: { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {} },
    out: () => Buffer.concat(chunks).toString('utf8'),
  };
}

t.test('amigate certs --out DIR --client-cn NAME writes the files and says what it wrote', async (t) => {
  const dir = join(t.testdir({}), 'dev');
  const c = io();
  t.equal(await run(['--out', dir, '--client-cn', 'crm'], c.io), 0);
  const out = c.out();
  for (const f of ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'client.crt', 'client.key']) {
    t.ok((await stat(join(dir, f))).isFile(), f);
    t.match(out, f);
  }
  const client = new X509Certificate(await readFile(join(dir, 'client.crt')));
  t.match(client.subject, /CN=crm/);
  t.match(out, `client fingerprint256: ${client.fingerprint256}`, 'prints the fingerprint for user pinning');
  t.match(out, 'client subject:       CN=crm,O=amigate dev');
  t.equal((await stat(join(dir, 'server.key'))).mode & 0o777, 0o600);

  const before = await readFile(join(dir, 'ca.crt'), 'utf8');
  await t.rejects(run(['--out', dir], io().io), { code: 'AMIGATE_ERR_TLS', message: /refusing to overwrite.*--force/ });
  t.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), before, 'not overwritten');
  t.equal(await run(['--out', dir, '--force'], io().io), 0);
  t.not(await readFile(join(dir, 'ca.crt'), 'utf8'), before, 'overwritten with --force');
});

t.test('usage errors', async (t) => {
  await t.rejects(run([], io().io), { code: 'AMIGATE_ERR_USAGE', message: /--out DIR/ });
  await t.rejects(run(['--out'], io().io), { code: 'AMIGATE_ERR_USAGE' });
  await t.rejects(run(['--bogus'], io().io), { code: 'AMIGATE_ERR_USAGE', message: /bogus/ });
  await t.rejects(run(['--out', 'x', 'extra'], io().io), { code: 'AMIGATE_ERR_USAGE' });
  const c = io();
  t.equal(await run(['--help'], c.io), 0);
  t.match(c.out(), /usage: amigate certs --out DIR/);
});
