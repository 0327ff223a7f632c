// `npm run demo`: the simulated Asterisk 22 plus amigate in front of it, with
// freshly made dev certificates (certs/dev, git-ignored) and a demo user, so a
// person can log in over TLS (AMI, or AMI over HTTPS with curl) and watch
// events in one command.
//
//   amigate demo [--tls-port 5039] [--plain-port 5040] [--https-port 8089] [--admin-port 9189]
//                [--sim-port 15038] [--events-per-second 2] [--dir certs/dev]
//                [--log-level warn]
//
// The HTTPS listener serves AMI over HTTP, AMI over WebSocket at /ws and the
// web console at /console (docs/websocket.md).
//
// Port 0 picks a free port (the printed lines show the real ones); the test
// of the demo uses that and a temporary --dir.

import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { startSim } from '../sim/server.js';
import { writeDevPki } from '../tls/certs.js';
import { parseConfig } from '../config/load.js';
import { createProxy } from '../proxy.js';
import { createLogger } from '../observability/logger.js';
import { UsageError } from '../errors.js';
import type { CliIo, CliResult } from './types.js';
import { parseCliArgs } from './args.js';

const USAGE = 'usage: amigate demo [--tls-port 5039] [--plain-port 5040] [--https-port 8089] [--admin-port 9189] [--sim-port 15038] ' +
  '[--events-per-second 2] [--dir certs/dev] [--log-level warn]   (port 0 = any free port)';

function port(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${name} must be 0..65535\n${USAGE}`);
  return n;
}

export async function run(args: string[], io: CliIo): Promise<CliResult> {
  const values = parseCliArgs(args, {
    'tls-port': { type: 'string', default: '5039' },
    'plain-port': { type: 'string', default: '5040' },
    'https-port': { type: 'string', default: '8089' },
    'admin-port': { type: 'string', default: '9189' },
    'sim-port': { type: 'string', default: '15038' },
    'events-per-second': { type: 'string', default: '2' },
    dir: { type: 'string', default: 'certs/dev' },
    'log-level': { type: 'string', default: 'warn' },
    help: { type: 'boolean', short: 'h', default: false },
  } as const, USAGE, io);
  if (values === undefined) return 0;
  const ports = {
    tls: port('tls-port', values['tls-port']), plain: port('plain-port', values['plain-port']), https: port('https-port', values['https-port']),
    admin: port('admin-port', values['admin-port']), sim: port('sim-port', values['sim-port']),
  };
  const eventsPerSecond = Number(values['events-per-second']);
  if (!Number.isFinite(eventsPerSecond) || eventsPerSecond < 0) throw new UsageError(`--events-per-second must be a number >= 0\n${USAGE}`);
  const dir = resolve(values.dir!);
  await mkdir(dir, { recursive: true });
  await writeDevPki(dir, { force: true });
  const upstreamSecret = randomBytes(12).toString('hex');
  const demoSecret = randomBytes(6).toString('hex');
  const sim = await startSim({
    port: ports.sim,
    users: [{ name: 'amigate', secret: upstreamSecret, read: 'all', write: 'all' }],
    eventsPerSecond,
    seed: 1,
  });
  const yaml = `
general: { authtimeout: 30 }
listeners:
  - { name: tls, bindaddr: 127.0.0.1, port: ${ports.tls}, tls: { certfile: ${dir}/server.crt, privatekey: ${dir}/server.key } }
  - { name: plain, bindaddr: 127.0.0.1, port: ${ports.plain} }
  - { name: web, protocol: http, bindaddr: 127.0.0.1, port: ${ports.https}, tls: { certfile: ${dir}/server.crt, privatekey: ${dir}/server.key }, allowget: false, console: true }
upstreams:
  - { name: sim, host: 127.0.0.1, port: ${sim.port}, username: amigate, secret: ${upstreamSecret}, connections: 2 }
admin: { bindaddr: 127.0.0.1, port: ${ports.admin} }
log: { level: ${values['log-level']} }
users:
  demo:
    secret: ${demoSecret}
    read: all
    write: call,reporting,originate,command,user
    commands: { allow: ['^core show '] }
    originate: { contexts: [test] }
`;
  let proxy;
  try {
    const { config } = await parseConfig(yaml, '<demo>', io.env);
    proxy = await createProxy(config, { logger: createLogger({ level: config.log.level, pretty: true }) });
  } catch (err) {
    await sim.close(); // a taken port must not leave the sim running
    throw err;
  }
  const tlsPort = proxy.listeners[0]!.address.port;
  const plainPort = proxy.listeners[1]!.address.port;
  const httpsPort = proxy.listeners[2]!.address.port;
  const jar = resolve(dir, 'demo-cookies.txt');
  const curl = `curl --cacert ${dir}/ca.crt`;
  io.stdout.write(`
amigate demo is running (Ctrl-C stops it)

  simulated Asterisk 22   127.0.0.1:${sim.port}   (${values['events-per-second']} generated call events/s)
  amigate TLS listener    127.0.0.1:${tlsPort}    certificate from ${dir} (CA: ${dir}/ca.crt)
  amigate plain listener  127.0.0.1:${plainPort}    (loopback only)
  amigate HTTPS listener  https://localhost:${httpsPort}/rawman  /mxml  /manager  /arawman ...  (AMI over HTTP)
  amigate WebSocket       wss://localhost:${httpsPort}/ws  (ami, ami-json)   web console: https://localhost:${httpsPort}/console
  metrics and health      http://127.0.0.1:${proxy.adminPort}/metrics  /healthz  /readyz

  user: demo   secret: ${demoSecret}
  (read=all; write=call,reporting,originate,command,user; Command only 'core show ...'; Originate only into context 'test')

Log in over TLS and watch events:
  node dist/src/main.js client --port ${tlsPort} --tls --ca ${dir}/ca.crt --user demo --secret ${demoSecret}
or with openssl:
  openssl s_client -quiet -crlf -connect 127.0.0.1:${tlsPort} -CAfile ${dir}/ca.crt -servername localhost
  then type:  Action: Login<Enter>Username: demo<Enter>Secret: ${demoSecret}<Enter><Enter>
Try:  Action: CoreShowChannels<Enter><Enter>   or   Action: Command<Enter>Command: core show version<Enter><Enter>

Or over HTTPS (cookie session; state-changing actions only by POST on this listener), log in:
  ${curl} -c ${jar} -d action=login -d username=demo -d secret=${demoSecret} https://localhost:${httpsPort}/rawman
then poll for events (repeat it):
  ${curl} -b ${jar} 'https://localhost:${httpsPort}/rawman?action=waitevent&timeout=20'

Web console (log in as demo; the browser warns about the demo CA unless you import ${dir}/ca.crt):
  https://localhost:${httpsPort}/console
`);
  return {
    close: async (reason) => {
      await proxy.close(reason);
      await sim.close();
    },
  };
}
