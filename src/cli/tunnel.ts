// `amigate tunnel`: a local plaintext AMI port for clients that cannot speak
// TLS, carried over TLS to an amigate listener (src/tunnel, docs/tunnel.md).
//
//   amigate tunnel --listen 127.0.0.1:5038 --connect gate.example:5039 --ca ca.crt
//                  [--cert client.crt --key client.key] [--servername NAME] [--insecure]
//   amigate tunnel --config tunnels.yaml
//
// Before serving, each tunnel is probed once (TLS handshake and the AMI
// banner): a certificate problem is a configuration error and stops the
// command (exit 1, one line naming the tunnel and what to fix); a gate that is
// down only warns, since it may come back. Each later failed connection is one
// line on stderr.

import { Tunnel, type TunnelSpec } from '../tunnel/tunnel.js';
import { tunnelFromFlags, tunnelsFromFile } from '../tunnel/tunnel-config.js';
import { UsageError } from '../errors.js';
import type { CliIo, CliResult } from './types.js';
import { parseCliArgs } from './args.js';

const USAGE = 'usage: amigate tunnel --listen HOST:PORT --connect HOST:PORT --ca FILE [--cert FILE --key FILE] [--servername NAME] [--insecure] [--no-probe]\n' +
  '       amigate tunnel --config tunnels.yaml [--no-probe]';

export async function run(args: string[], io: CliIo): Promise<CliResult> {
  const values = parseCliArgs(args, {
    listen: { type: 'string' },
    connect: { type: 'string' },
    ca: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    servername: { type: 'string' },
    insecure: { type: 'boolean', default: false },
    config: { type: 'string', short: 'c' },
    'no-probe': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  } as const, USAGE, io);
  if (values === undefined) return 0;
  let specs: TunnelSpec[];
  if (values.config !== undefined) {
    const mixed = (['listen', 'connect', 'ca', 'cert', 'key', 'servername'] as const).filter((k) => values[k] !== undefined);
    if (mixed.length > 0 || values.insecure) throw new UsageError(`--config takes every tunnel from the file; drop ${[...mixed.map((k) => '--' + k), ...(values.insecure ? ['--insecure'] : [])].join(', ')}\n${USAGE}`);
    specs = await tunnelsFromFile(values.config);
  } else {
    specs = [await tunnelFromFlags({
      listen: values.listen, connect: values.connect, ca: values.ca, cert: values.cert, key: values.key,
      servername: values.servername, insecure: values.insecure,
    }, USAGE)];
  }

  const tunnels = specs.map((spec) => new Tunnel(spec, {
    connectionFailed: (f) => io.stderr.write(`amigate tunnel ${f.tunnel}: connection from ${f.remote} closed: ${f.reason}\n`),
  }));
  if (!values['no-probe']) {
    // A certificate problem throws TlsError: main.ts prints it on one line and exits 1.
    const results = await Promise.all(tunnels.map((t) => t.probe()));
    results.forEach((r, i) => {
      if (!r.ok) io.stderr.write(`amigate tunnel ${tunnels[i]!.spec.name}: warning: the gate is not reachable now (${r.reason}); serving anyway\n`);
    });
  }
  const started: Tunnel[] = [];
  try {
    for (const t of tunnels) { await t.listen(); started.push(t); }
  } catch (err) {
    await Promise.all(started.map((t) => t.close()));
    const e = err as { code?: string; message?: string };
    throw new UsageError(`cannot listen: ${e.message ?? String(err)}`);
  }
  for (const t of tunnels) {
    const s = t.spec;
    const a = t.address;
    const host = a.host.includes(':') ? `[${a.host}]` : a.host;
    io.stdout.write(`amigate tunnel: ${host}:${a.port} -> ${s.connectHost}:${s.connectPort} (TLS${s.cert ? ', client certificate' : ''}${s.servername ? `, name ${s.servername}` : ''})\n`);
  }
  return { close: async () => { await Promise.all(tunnels.map((t) => t.close())); } };
}
