import t from 'tap';
import { scryptSync } from 'node:crypto';
import { hashSecret, isSecretHash, parseSecretHash, verifySecretHash } from '../../../src/auth/secret-hash.js';

t.test('hash format and round trip', async (t) => {
  const h = await hashSecret('correct horse');
  t.match(h, /^\$scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  t.ok(isSecretHash(h));
  t.ok(await verifySecretHash(h, 'correct horse'));
  t.notOk(await verifySecretHash(h, 'correct horsE'));
  t.notOk(await verifySecretHash(h, ''));
  t.not(await hashSecret('correct horse'), h, 'random salt');
});

t.test('a string hashes as UTF-8; Buffers are taken as bytes', async (t) => {
  const h = await hashSecret('pässword', { N: 1024 });
  t.ok(await verifySecretHash(h, Buffer.from('pässword', 'utf8')));
  t.notOk(await verifySecretHash(h, Buffer.from('pässword', 'latin1')));
});

t.test('an independently computed scrypt verifies (the format is standard)', async (t) => {
  const salt = Buffer.from('0123456789abcdef');
  const key = scryptSync('s3cret', salt, 32, { N: 1024, r: 8, p: 1 });
  const h = `$scrypt$N=1024,r=8,p=1$${salt.toString('base64')}$${key.toString('base64')}`;
  t.ok(await verifySecretHash(h, 's3cret'), 'padded base64 accepted too');
});

t.test('malformed or dangerous hashes are refused', async (t) => {
  const salt = 'c2FsdHNhbHRzYWx0c2FsdA';
  const hash = 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
  const bad: Array<[string, RegExp]> = [
    ['plain', /not a \$scrypt\$/],
    ['$scrypt$N=1024,r=8,p=1$' + salt, /expected/],
    [`$scrypt$N=1000,r=8,p=1$${salt}$${hash}`, /power of two/],
    [`$scrypt$N=2097152,r=8,p=1$${salt}$${hash}`, /power of two/],
    [`$scrypt$N=1024,r=0,p=1$${salt}$${hash}`, /r must/],
    [`$scrypt$N=1024,r=8,p=99$${salt}$${hash}`, /p must/],
    [`$scrypt$N=1048576,r=32,p=1$${salt}$${hash}`, /MiB/],
    [`$scrypt$N=1024,r=8$${salt}$${hash}`, /all required/],
    [`$scrypt$N=1024,N=2048,r=8,p=1$${salt}$${hash}`, /bad parameter/],
    [`$scrypt$N=1024,r=8,p=1,x=1$${salt}$${hash}`, /bad parameter/],
    [`$scrypt$N=1024,r=8,p=1$!!!$${hash}`, /base64/],
    [`$scrypt$N=1024,r=8,p=1$c2FsdA$${hash}`, /salt/],
    [`$scrypt$N=1024,r=8,p=1$${salt}$aGFzaA`, /hash must/],
  ];
  for (const [h, re] of bad) {
    const r = parseSecretHash(h);
    t.type(r, 'string', h);
    t.match(r, re, h);
    t.notOk(await verifySecretHash(h, 'x'));
  }
});
