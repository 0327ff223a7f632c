// The tunnels file and flags: every problem at once, with file, line and key.

import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseHostPort, tunnelFromFlags, tunnelsFromFile } from '../../../src/tunnel/tunnel-config.js';
import { ConfigInvalidError } from '../../../src/errors.js';

t.test('host:port', async (t) => {
  t.same(parseHostPort('127.0.0.1:5038'), { host: '127.0.0.1', port: 5038 });
  t.same(parseHostPort('[::1]:0'), { host: '::1', port: 0 });
  t.same(parseHostPort('gate.example:5039'), { host: 'gate.example', port: 5039 });
  for (const bad of ['gate', ':5038', '127.0.0.1:65536', '[gate]:1', '::1:5038', '127.0.0.1:x']) t.equal(parseHostPort(bad), undefined, bad);
});

t.test('a good file: paths relative to it, defaults', async (t) => {
  const dir = t.testdir({ 'ca.crt': 'CA', 'c.crt': 'C', 'c.key': 'K' });
  const file = join(dir, 't.yaml');
  await writeFile(file, 'tunnels:\n  - listen: 127.0.0.1:5038\n    connect: gate.example:5039\n    ca: ca.crt\n  - name: crm\n    listen: "[::1]:5039"\n    connect: gate.example:5040\n    ca: ca.crt\n    cert: c.crt\n    key: c.key\n    servername: gate.internal\n');
  const specs = await tunnelsFromFile(file);
  t.same(specs.map((s) => [s.name, s.listenHost, s.listenPort, s.connectHost, s.connectPort, s.ca.toString(), s.cert?.toString(), s.servername]), [
    ['127.0.0.1:5038', '127.0.0.1', 5038, 'gate.example', 5039, 'CA', undefined, undefined],
    ['crm', '::1', 5039, 'gate.example', 5040, 'CA', 'C', 'gate.internal'],
  ]);
});

t.test('every problem, with its line and key', async (t) => {
  const dir = t.testdir({ 'ca.crt': 'CA' });
  const file = join(dir, 't.yaml');
  await writeFile(file, [
    'tunnels:',                        // 1
    '  - listen: 10.0.0.5:5038',       // 2 not loopback
    '    connect: gate:5039',          // 3
    '    ca: ca.crt',                  // 4
    '  - listen: 127.0.0.1:5038',      // 5
    '    connect: gate',               // 6 not host:port
    '    cert: x.crt',                 // 7 unreadable; no key (a missing key points at the entry)
    '    colour: blue',                // 8 unknown key
    '  - listen: 127.0.0.1:5040',      // 9
    '    connect: gate:5039',          // 10
    '    ca: ca.crt',                  // 11
    '    insecure: "yes"',             // 12 not a boolean
    '  - listen: 127.0.0.1:5040',      // 13 duplicate
    '    connect: gate:5039',          // 14
    '    ca: ca.crt',                  // 15
    'extra: 1',                        // 16
    '',
  ].join('\n'));
  const err = await tunnelsFromFile(file).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof ConfigInvalidError);
  const got = (err as ConfigInvalidError).problems.map((p) => `${p.line}: ${p.key}: ${p.message}`);
  t.match(got, [
    /^2: tunnels\[0\]\.listen: 10\.0\.0\.5 is not a loopback address/,
    /^5: tunnels\[1\]\.ca: is required/,
    /^5: tunnels\[1\]\.key: cert and key go together/,
    /^6: tunnels\[1\]\.connect: "gate" is not host:port/,
    /^7: tunnels\[1\]\.cert: cannot read x\.crt \(ENOENT\)/,
    /^8: tunnels\[1\]\.colour: unknown key/,
    /^12: tunnels\[2\]\.insecure: must be true or false/,
    /^13: tunnels\[3\]\.listen: 127\.0\.0\.1:5040 is already used by tunnels\[2\]/,
    /^16: extra: unknown key \(allowed: tunnels\)/,
  ]);
  t.equal(got.length, 9, 'nothing else');
  t.match((err as Error).message, new RegExp(`^invalid configuration ${file.replace(/[.]/g, '\\.')}:\\n  ${file.replace(/[.]/g, '\\.')}:2: tunnels\\[0\\]\\.listen`), 'file:line: key in the message');
});

t.test('insecure allows a non-loopback listen address; a missing file and a missing list are named', async (t) => {
  const dir = t.testdir({ 'ca.crt': 'CA' });
  const spec = await tunnelFromFlags({ listen: '10.0.0.5:5038', connect: 'gate:5039', ca: join(dir, 'ca.crt'), insecure: true }, 'usage');
  t.equal(spec.listenHost, '10.0.0.5');
  await t.rejects(tunnelsFromFile(join(dir, 'none.yaml')), { code: 'AMIGATE_ERR_CONFIG_INVALID', message: /\(file\): cannot read the file \(ENOENT\)/ });
  const empty = join(dir, 'e.yaml');
  await writeFile(empty, 'tunnels: []\n');
  await t.rejects(tunnelsFromFile(empty), { message: /e\.yaml:1: tunnels: is required: a list of tunnels/ });
  await writeFile(empty, 'tunnels: [\n');
  await t.rejects(tunnelsFromFile(empty), { message: /\(yaml\)/ });
});
