// A listener's certificate or key that cannot be used (issue 11 item 11), with
// amigate as a real process: `amigate start` fails before it contacts any
// upstream, with one line naming the config file and line, the key and the
// listener (no stack trace); `amigate check` loads the certificate and key,
// checks that they match, and warns about a certificate that expires soon.

import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDevPki, writePki } from '../../../src/tls/certs.js';
import { testPki } from '../../helpers/certs.js';

const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript') || a === '--enable-source-maps');

/** Run `amigate <args>` (src/main.ts, as bin/amigate runs dist/src/main.js) to its exit. */
function amigate(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...loader, 'src/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** A TCP server standing in for Asterisk that only counts who connects. */
async function countingUpstream(t: Test): Promise<{ port: number; connections: () => number }> {
  let n = 0;
  const server = net.createServer((s) => { n++; s.destroy(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as net.AddressInfo).port, connections: () => n };
}

// Each run starts a process with the TypeScript loader: slow on a loaded machine.
t.setTimeout(480_000);

function configText(upstreamPort: number, tls: string, more = ''): string {
  return `listeners:
  - name: plain
    bindaddr: 127.0.0.1
    port: 0
  - name: public
    bindaddr: 127.0.0.1
    port: 0
    tls:
${tls}
${more}upstreams:
  - { name: pbx1, host: 127.0.0.1, port: ${upstreamPort}, username: amigate, secret: pw }
log: { level: info }
`;
}

t.test('start: an unreadable certificate or a key that does not match fails before any upstream is contacted', async (t) => {
  const pem = await testPki();
  const dir = t.testdir({});
  const paths = await writePki(dir, pem, { force: true });
  const up = await countingUpstream(t);
  const cases: Array<[string, string, RegExp]> = [
    ['missing certificate', `      certfile: ${join(dir, 'missing.crt')}\n      privatekey: ${paths.serverKey}`,
      new RegExp(`^amigate: ${dir}/amigate\\.yaml:9: listeners\\[1\\]\\.tls\\.certfile: listener "public": cannot read ${dir}/missing\\.crt \\(ENOENT\\)\n$`)],
    ['key of another certificate', `      certfile: ${paths.server}\n      privatekey: ${paths.clientKey}`,
      /^amigate: \S+amigate\.yaml:10: listeners\[1\]\.tls\.privatekey: listener "public": \S+client\.key does not match the certificate in \S+server\.crt\n$/],
  ];
  for (const [what, tls, want] of cases) {
    const file = join(dir, 'amigate.yaml');
    await writeFile(file, configText(up.port, tls));
    const r = await amigate(['start', '--config', file]);
    t.equal(r.code, 1, `${what}: exit 1`);
    t.match(r.stderr, want, `${what}: one line naming file:line, key and listener`);
    t.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line`);
    t.notMatch(r.stderr, /^\s+at /m, `${what}: no stack trace`);
    t.notMatch(r.stdout, /"msg":"listening"/, `${what}: no listener was opened`);
  }
  t.equal(up.connections(), 0, 'the upstream was never contacted');
});

t.test('check: loads certificate and key, checks they match, warns about expiry', async (t) => {
  const pem = await testPki();
  const dir = t.testdir({});
  const paths = await writePki(dir, pem, { force: true });
  const file = join(dir, 'amigate.yaml');

  await writeFile(file, configText(5038, `      certfile: ${paths.server}\n      privatekey: ${paths.clientKey}`));
  const mismatch = await amigate(['check', '--config', file]);
  t.equal(mismatch.code, 1, 'a key of another certificate fails the check');
  t.equal(mismatch.stderr, `${file}:10: listeners[1].tls.privatekey: listener "public": ${paths.clientKey} does not match the certificate in ${paths.server}\n`
    + `amigate: 1 problem(s) in ${file}\n`);

  // One listener with a certificate valid for a year, one with a certificate valid for 10 more days.
  const soon = await makeDevPki({ days: 10 });
  const soonPaths = await writePki(join(dir, 'soon'), soon, { force: true });
  await writeFile(file, configText(5038, `      certfile: ${paths.server}\n      privatekey: ${paths.serverKey}`,
    `  - name: soon\n    bindaddr: 127.0.0.1\n    port: 0\n    tls: { certfile: ${soonPaths.server}, privatekey: ${soonPaths.serverKey} }\n`));
  const expiring = await amigate(['check', '--config', file]);
  t.equal(expiring.code, 0, 'matching pairs pass; an expiring certificate is a warning, not an error');
  const warnings = expiring.stdout.split('\n').filter((l) => l.startsWith('warning: '));
  t.equal(warnings.length, 1, 'only the certificate that expires within 30 days is warned about');
  t.match(warnings[0], new RegExp(`^warning: ${file}:14: listeners\\[2\\]\\.tls\\.certfile: listener "soon": certificate CN=localhost,O=amigate dev expires in (9|10) day\\(s\\), on \\d{4}-`));
});
