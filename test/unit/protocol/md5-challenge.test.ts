// MD5 challenge login (S9): key = md5hex(challenge + secret), lowercase.

import t from 'tap';
import { createHash } from 'node:crypto';
import { md5Key, newChallenge } from '../../../src/protocol/md5-challenge.js';
import { AmiParser } from '../../../src/protocol/parser.js';
import type { AmiMessage } from '../../../src/protocol/message.js';
import { loadTranscript, stream } from '../../helpers/transcripts.js';

t.test('known vectors', async (t) => {
  t.equal(md5Key('', ''), 'd41d8cd98f00b204e9800998ecf8427e', 'RFC 1321: md5("")');
  t.equal(md5Key('', 'abc'), '900150983cd24fb0d6963f7d28e17f72', 'RFC 1321: md5("abc")');
  t.equal(md5Key('message ', 'digest'), 'f96b697d7cb7938d525a2f31aaf161d0', 'RFC 1321: md5("message digest")');
  t.equal(md5Key('123', 'adminpw'), createHash('md5').update('123adminpw').digest('hex'));
  t.match(md5Key('1', 'x'), /^[0-9a-f]{32}$/, 'lowercase hex');
});

t.test('capture 03a: the Key the client sent is md5(Challenge + secret) and Asterisk accepted it', async (t) => {
  const recs = loadTranscript('03a-challenge-md5-login.jsonl');
  const got = (dir: 'c2s' | 's2c') => {
    const out: AmiMessage[] = [];
    new AmiParser({ onMessage: (m) => out.push(m) }, dir === 's2c' ? { banner: true, maxLineBytes: 1 << 20, maxLines: 1e5, emitEmpty: false } : {}).write(stream(recs, dir));
    return out;
  };
  const [, login] = got('c2s');
  const [challenge, accepted] = got('s2c');
  t.equal(challenge!.get('Challenge'), '190247094');
  t.equal(login!.get('AuthType'), 'MD5');
  t.equal(md5Key(challenge!.get('Challenge')!, 'adminpw'), login!.get('Key'));
  t.equal(accepted!.get('Message'), 'Authentication accepted');
});

t.test('newChallenge: at most 9 decimal digits (ast_random() into char[10])', async (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const c = newChallenge();
    if (!/^[0-9]{1,9}$/.test(c)) t.fail(`bad challenge ${c}`);
    seen.add(c);
  }
  t.ok(seen.size > 190, 'random');
});

t.test('md5Key hashes the bytes of latin1 strings', async (t) => {
  t.equal(md5Key('1', '\u00e9'), createHash('md5').update(Buffer.from([0x31, 0xe9])).digest('hex'));
});
