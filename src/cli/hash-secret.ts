// `amigate hash-secret [--secret-stdin]`: read a secret from stdin (its first
// line) and print its scrypt hash for users.*.secret. The secret is never taken
// from argv, where `ps` and shell history would see it. A hashed user can log
// in with a plain Secret only; MD5 Challenge needs the plain secret (S9).

import { parseArgs } from 'node:util';
import { hashSecret } from '../auth/secret-hash.js';
import type { CliIo, CliResult } from './types.js';

const USAGE = 'usage: printf %s "$SECRET" | amigate hash-secret [--secret-stdin]\n';

export async function run(args: string[], io: CliIo): Promise<CliResult> {
  const { values } = parseArgs({ args, options: { 'secret-stdin': { type: 'boolean', default: true }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const tty = (io.stdin as { isTTY?: boolean }).isTTY === true;
  if (tty) io.stderr.write('Secret (input is shown; end with Enter): ');
  const secret = await readFirstLine(io.stdin);
  if (secret.length === 0) {
    io.stderr.write('amigate: empty secret on stdin\n' + USAGE);
    return 1;
  }
  io.stdout.write(await hashSecret(secret) + '\n');
  return 0;
}

/** The bytes up to the first LF (a CR before it is dropped), or to EOF. */
async function readFirstLine(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk as Buffer;
    const nl = buf.indexOf(0x0a);
    if (nl >= 0) {
      chunks.push(buf.subarray(0, nl));
      break;
    }
    chunks.push(buf);
  }
  let line = Buffer.concat(chunks);
  if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
  return line;
}
