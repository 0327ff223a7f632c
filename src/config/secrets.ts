// Secret references in the config file: a literal string, { env: NAME } or
// { file: path } (relative to the config file, one trailing newline dropped).
// An unset or empty variable, an unreadable or empty file, or a CR/LF in the
// value is a problem reported at the key; the secret text is never in a message.

import { readFile } from 'node:fs/promises';
import type { Path } from './key-path.js';
import { fsErrText, type Json } from './section-context.js';

export interface SecretSources {
  readonly env: NodeJS.ProcessEnv;
  path(p: string): string;
  problem(path: Path, message: string): void;
}

/** A literal, { env: NAME } or { file: path } -> the secret text; undefined after recording a problem. */
export async function resolveSecret(value: unknown, path: Path, src: SecretSources): Promise<string | undefined> {
  let out: string | undefined;
  if (typeof value === 'string') {
    out = value;
  } else if (value && typeof value === 'object' && 'env' in value) {
    const name = String((value as Json)['env']);
    out = src.env[name];
    if (out === undefined || out === '') {
      src.problem(path, `environment variable ${name} is ${out === undefined ? 'not set' : 'empty'}`);
      return undefined;
    }
  } else if (value && typeof value === 'object' && 'file' in value) {
    const f = src.path(String((value as Json)['file']));
    try {
      // A trailing newline (echo, editors) is not part of the secret.
      out = (await readFile(f, 'utf8')).replace(/(\r?\n)+$/, '');
    } catch (err) {
      src.problem(path, `cannot read secret file ${f} (${fsErrText(err)})`);
      return undefined;
    }
    if (out === '') {
      src.problem(path, `secret file ${f} is empty`);
      return undefined;
    }
  }
  if (out !== undefined && /[\r\n]/.test(out)) {
    src.problem(path, 'must not contain CR or LF (no AMI client can send it)');
    return undefined;
  }
  return out;
}
