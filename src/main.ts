#!/usr/bin/env node
// CLI entry: the only file that reads process.argv, installs signal handlers
// and calls process.exit. Each subcommand lives in its own module under
// src/cli/ and exports `run(args, io)`; long-running ones return a Service
// that main stops on SIGINT/SIGTERM (a second one hurries the stop) and
// reloads on SIGHUP.

import { AmigateError } from './errors.js';
import type { CliIo, CliResult, Service } from './cli/types.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(args: string[], io: CliIo): Promise<CliResult> }> }> = {
  start: { summary: 'run the proxy: amigate [start] --config FILE', load: () => import('./cli/start.js') },
  demo: { summary: 'simulated Asterisk + amigate with dev certificates and a demo user', load: () => import('./cli/demo.js') },
  sim: { summary: 'run the simulated Asterisk 22: amigate sim --port N [--config users.yaml] [--events-per-second N] [--seed S]', load: () => import('./cli/sim.js') },
  certs: { summary: 'make a dev CA, server and client certificates: amigate certs --out DIR', load: () => import('./cli/certs.js') },
  'hash-secret': { summary: 'print an scrypt hash of a secret for the users file', load: () => import('./cli/hash-secret.js') },
  check: { summary: 'validate a config file: amigate check --config FILE', load: () => import('./cli/check.js') },
  'import-manager-conf': { summary: 'print amigate users YAML for an Asterisk manager.conf', load: () => import('./cli/import-manager-conf.js') },
  tunnel: { summary: 'a local plaintext AMI port carried over TLS to amigate: amigate tunnel --listen 127.0.0.1:5038 --connect HOST:PORT --ca FILE', load: () => import('./cli/tunnel.js') },
  client: { summary: 'a minimal interactive AMI client: amigate client --host H --port P [--tls] [--ca FILE]', load: () => import('./cli/client.js') },
};

function usage(): string {
  return 'usage: amigate <command> [options]\n\ncommands:\n' +
    Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(20)} ${c.summary}`).join('\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  let [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name.startsWith('-')) { args = argv; name = 'start'; }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`amigate: unknown command ${name}\n` + usage());
    return 2;
  }
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
  const result = await (await cmd.load()).run(args, io);
  if (typeof result === 'number') return result;
  return await supervise(result);
}

/** Keep a long-running service up until a signal; SIGHUP reloads when it can. */
function supervise(service: Service): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      // A second signal while stopping: skip what may be skipped (the drain's ready delay).
      if (stopping) { service.hurry?.(signal); return; }
      stopping = true;
      service.close(signal).then(() => resolve(0), (err: unknown) => {
        process.stderr.write(`amigate: error while stopping: ${String(err)}\n`);
        resolve(1);
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGHUP', () => { void service.reload?.(); });
    service.closed?.then((code) => resolve(code));
  });
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  if (err instanceof AmigateError) process.stderr.write(`amigate: ${err.message}\n`);
  else process.stderr.write(`amigate: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
