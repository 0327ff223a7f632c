// `amigate import-manager-conf FILE [--out FILE]`: print the amigate users
// YAML for an Asterisk manager.conf. Findings go to stderr (never a secret);
// exit 0, or 1 when Asterisk itself would refuse the file (the YAML is still
// written, as a best effort). The conversion is src/config/import-manager-conf.ts.

import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatFinding, importManagerConf } from '../config/import-manager-conf.js';
import { UsageError } from '../errors.js';
import type { CliIo, CliResult } from './types.js';

const USAGE = 'usage: amigate import-manager-conf /etc/asterisk/manager.conf [--out FILE [--force]]';

export async function run(args: string[], io: CliIo): Promise<CliResult> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string', short: 'o' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(USAGE);
  const file = positionals[0]!;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    io.stderr.write(`amigate: cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const result = importManagerConf(text, { source: file });
  for (const f of result.findings) io.stderr.write(`amigate: ${f.level === 'error' ? '' : 'warning: '}${formatFinding(f, file)}\n`);
  if (values.out !== undefined) {
    // The output holds plain secrets: create it readable by its owner only.
    try {
      await writeFile(values.out, result.yaml, { mode: 0o600, flag: values.force ? 'w' : 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`refusing to overwrite ${values.out}; add --force`);
      throw err;
    }
    io.stderr.write(`amigate: wrote ${Object.keys(result.users).length} user(s) to ${values.out}\n`);
  } else {
    io.stdout.write(result.yaml);
  }
  return result.findings.some((f) => f.level === 'error') ? 1 : 0;
}
