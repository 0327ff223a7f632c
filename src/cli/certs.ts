// `amigate certs --out DIR [--client-cn NAME] [--force]`: write a development
// CA, a loopback server certificate and a client certificate for mutual TLS
// (src/tls/certs.ts). Refuses to overwrite existing files unless --force, so a
// CA that clients already trust is not replaced by accident.

import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeDevPki } from '../tls/certs.js';
import { UsageError } from '../errors.js';
import type { CliIo, CliResult } from './types.js';

const USAGE = 'usage: amigate certs --out DIR [--client-cn NAME] [--force]';

export async function run(args: string[], io: CliIo): Promise<CliResult> {
  let values: { out?: string; 'client-cn'?: string; force?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        out: { type: 'string', short: 'o' },
        'client-cn': { type: 'string' },
        force: { type: 'boolean', short: 'f', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.out) throw new UsageError(`amigate certs needs --out DIR\n${USAGE}`);
  const dir = resolve(values.out);
  const { paths, pki } = await writeDevPki(dir, {
    ...(values['client-cn'] !== undefined ? { clientCn: values['client-cn'] } : {}),
    force: values.force === true,
  });
  const lines: Array<[string, string]> = [
    [paths.ca, 'CA certificate: clients trust this (--ca, -CAfile)'],
    [paths.caKey, 'CA private key (0600): keep it to issue more certificates, or delete it'],
    [paths.server, 'server certificate: SAN localhost, 127.0.0.1, ::1; serverAuth'],
    [paths.serverKey, 'server private key (0600)'],
    [paths.client, 'client certificate for mutual TLS; clientAuth'],
    [paths.clientKey, 'client private key (0600)'],
  ];
  io.stdout.write(
    `wrote development certificates (not for production) to ${dir}:\n` +
    lines.map(([p, what]) => `  ${basename(p).padEnd(11)} ${what}\n`).join('') +
    `client subject:       ${pki.client.subject}\n` +
    `client fingerprint256: ${pki.client.fingerprint256}\n`,
  );
  return 0;
}
