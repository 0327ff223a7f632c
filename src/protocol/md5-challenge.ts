// MD5 challenge login (S9): the challenge is ast_random() printed into char[10]
// (at most 9 digits), the key is md5hex(challenge + secret) in lowercase.

import { createHash, randomInt } from 'node:crypto';

export function newChallenge(): string {
  return String(randomInt(0, 1_000_000_000));
}

export function md5Key(challenge: string, secret: string): string {
  return createHash('md5').update(challenge + secret, 'latin1').digest('hex');
}
