// `npm run demo`: the simulated Asterisk 22 plus amigate in front of it, with
// freshly made dev certificates (certs/dev, git-ignored) and a demo user, so a
// person can log in over TLS and watch events in one command.

import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSim } from '../sim/server.js';
import { writeDevPki } from '../tls/certs.js';
import { parseConfig } from '../config/load.js';
import { createProxy } from '../proxy.js';
import { createLogger } from '../observability/logger.js';
import type { CliIo, CliResult } from './types.js';

export async function run(args: string[], io: CliIo): Promise<CliResult> {
  const { values } = parseArgs({
    args,
    options: {
      'tls-port': { type: 'string', default: '5039' },
      'plain-port': { type: 'string', default: '5040' },
      'admin-port': { type: 'string', default: '9189' },
      'sim-port': { type: 'string', default: '15038' },
      'events-per-second': { type: 'string', default: '2' },
      dir: { type: 'string', default: 'certs/dev' },
      'log-level': { type: 'string', default: 'warn' },
    },
  });
  const dir = resolve(values.dir!);
  await mkdir(dir, { recursive: true });
  await writeDevPki(dir, { force: true });
  const upstreamSecret = randomBytes(12).toString('hex');
  const demoSecret = randomBytes(6).toString('hex');
  const sim = await startSim({
    port: Number(values['sim-port']),
    users: [{ name: 'amigate', secret: upstreamSecret, read: 'all', write: 'all' }],
    eventsPerSecond: Number(values['events-per-second']),
    seed: 1,
  });
  const yaml = `
general: { authtimeout: 30 }
listeners:
  - { name: tls, bindaddr: 127.0.0.1, port: ${Number(values['tls-port'])}, tls: { certfile: ${dir}/server.crt, privatekey: ${dir}/server.key } }
  - { name: plain, bindaddr: 127.0.0.1, port: ${Number(values['plain-port'])} }
upstreams:
  - { name: sim, host: 127.0.0.1, port: ${sim.port}, username: amigate, secret: ${upstreamSecret}, connections: 2 }
admin: { bindaddr: 127.0.0.1, port: ${Number(values['admin-port'])} }
log: { level: ${values['log-level']} }
users:
  demo:
    secret: ${demoSecret}
    read: all
    write: call,reporting,originate,command,user
    commands: { allow: ['^core show '] }
    originate: { contexts: [test] }
`;
  const { config } = await parseConfig(yaml, '<demo>', io.env);
  const logger = createLogger({ level: config.log.level, pretty: true });
  const proxy = await createProxy(config, { logger });
  const tlsPort = proxy.listeners[0]!.address.port;
  const plainPort = proxy.listeners[1]!.address.port;
  io.stdout.write(`
amigate demo is running (Ctrl-C stops it)

  simulated Asterisk 22   127.0.0.1:${sim.port}   (${values['events-per-second']} generated call events/s)
  amigate TLS listener    127.0.0.1:${tlsPort}    certificate from ${dir} (CA: ${dir}/ca.crt)
  amigate plain listener  127.0.0.1:${plainPort}    (loopback only)
  metrics and health      http://127.0.0.1:${proxy.adminPort}/metrics  /healthz  /readyz

  user: demo   secret: ${demoSecret}
  (read=all; write=call,reporting,originate,command,user; Command only 'core show ...'; Originate only into context 'test')

Log in over TLS and watch events:
  node dist/src/main.js client --port ${tlsPort} --tls --ca ${dir}/ca.crt --user demo --secret ${demoSecret}
or with openssl:
  openssl s_client -quiet -crlf -connect 127.0.0.1:${tlsPort} -CAfile ${dir}/ca.crt -servername localhost
  then type:  Action: Login<Enter>Username: demo<Enter>Secret: ${demoSecret}<Enter><Enter>
Try:  Action: CoreShowChannels<Enter><Enter>   or   Action: Command<Enter>Command: core show version<Enter><Enter>
`);
  return {
    close: async (reason) => {
      await proxy.close(reason);
      await sim.close();
    },
  };
}
