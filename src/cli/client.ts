// `amigate client`: a minimal AMI terminal client, so a person can log in to
// amigate (or any Asterisk) over TLS and watch events without other tools.
// Lines typed on stdin are sent with CRLF; an empty line ends a packet.

import net from 'node:net';
import tls from 'node:tls';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { AmiMessage } from '../protocol/message.js';
import { UsageError } from '../errors.js';
import type { CliIo, CliResult } from './types.js';

export async function run(args: string[], io: CliIo): Promise<CliResult> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      tls: { type: 'boolean', default: false },
      ca: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      servername: { type: 'string', default: 'localhost' },
      user: { type: 'string' },
      secret: { type: 'string' },
      events: { type: 'string', default: 'on' },
      'exit-after': { type: 'string' },
    },
  });
  if (!values.port) throw new UsageError('amigate client needs --port');
  const port = Number(values.port);
  const socket: net.Socket = values.tls
    ? tls.connect({
      host: values.host!, port, servername: values.servername!,
      ...(values.ca ? { ca: await readFile(values.ca) } : {}),
      ...(values.cert ? { cert: await readFile(values.cert) } : {}),
      ...(values.key ? { key: await readFile(values.key) } : {}),
      minVersion: 'TLSv1.2',
    })
    : net.connect({ host: values.host!, port });
  socket.setNoDelay(true);
  const ready = values.tls ? 'secureConnect' : 'connect';
  await new Promise<void>((resolve, reject) => { socket.once(ready, resolve); socket.once('error', reject); });
  socket.on('data', (d: Buffer) => io.stdout.write(d.toString('latin1').replace(/\r\n/g, '\n')));
  if (values.user !== undefined) {
    const secret = values.secret ?? io.env.AMI_SECRET ?? '';
    socket.write(AmiMessage.from([['Action', 'Login'], ['Username', values.user], ['Secret', secret], ['Events', values.events!]]).toBuffer());
  }
  const rl = createInterface({ input: io.stdin, terminal: false });
  rl.on('line', (line) => socket.write(line + '\r\n'));
  let resolveClosed: (code: number) => void = () => {};
  const closed = new Promise<number>((r) => { resolveClosed = r; });
  socket.on('close', () => { rl.close(); resolveClosed(0); });
  socket.on('error', (err) => { io.stderr.write(`amigate client: ${err.message}\n`); });
  if (values['exit-after']) setTimeout(() => socket.end(), Number(values['exit-after']) * 1000).unref();
  return {
    closed,
    close: async () => { socket.end(); rl.close(); },
  };
}
