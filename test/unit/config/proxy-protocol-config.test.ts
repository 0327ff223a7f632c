// listeners[].proxyprotocol and listeners[].trustedproxies (config/listeners.ts):
// accepted on every listener kind, each needs the other, bad entries name
// their line and key, and a change is restart-only (config-diff.ts).

import t from 'tap';
import { parseConfig } from '../../../src/config/load.js';
import { restartOnlyChanges } from '../../../src/config/config-diff.js';
import { problemsOf, UPSTREAM_YAML } from '../../helpers/config-problems.js';

const UP = UPSTREAM_YAML;


t.test('accepted on AMI and HTTP listeners; absent means off', async (t) => {
  const { config } = await parseConfig(`listeners:
  - { name: ami, port: 5038, proxyprotocol: v2, trustedproxies: [10.0.0.5, 10.1.0.0/16, '2001:db8::/32', '::ffff:192.0.2.1'] }
  - { name: web, protocol: http, port: 8088, proxyprotocol: auto, trustedproxies: [127.0.0.1] }
  - { name: plain, port: 5040 }
${UP}`, 'amigate.yaml', {});
  const [ami, web, plain] = config.listeners;
  t.equal(ami!.proxyprotocol, 'v2');
  t.same(ami!.trustedproxies, ['10.0.0.5', '10.1.0.0/16', '2001:db8::/32', '::ffff:192.0.2.1']);
  t.equal(web!.proxyprotocol, 'auto');
  t.equal(plain!.proxyprotocol, undefined);
  t.same(plain!.trustedproxies, []);
});

t.test('each key needs the other; bad entries name their line and key', async (t) => {
  const problems = await problemsOf(`listeners:
  - name: a
    port: 5038
    proxyprotocol: v1
  - name: b
    port: 5039
    trustedproxies: [10.0.0.1]
  - name: c
    port: 5040
    proxyprotocol: v3
    trustedproxies: []
  - name: d
    port: 5041
    proxyprotocol: auto
    trustedproxies:
      - 10.0.0.0/8
      - not-an-address
      - '!10.0.0.7'
      - 10.0.0.0/40
${UP}`);
  const seen = problems.map((p) => `${p.line} ${p.key}`);
  t.ok(seen.includes('4 listeners[0].proxyprotocol'), `proxyprotocol alone (${seen.join(', ')})`);
  t.match(problems.find((p) => p.key === 'listeners[0].proxyprotocol')!.message, /needs trustedproxies/);
  t.ok(seen.includes('7 listeners[1].trustedproxies'), 'trustedproxies alone');
  t.ok(problems.some((p) => p.key.startsWith('listeners[2].proxyprotocol') && p.line === 10), 'v3 is no mode');
  t.ok(problems.some((p) => p.key.startsWith('listeners[2].trustedproxies') && p.line === 11), 'an empty list');
  t.ok(seen.includes('17 listeners[3].trustedproxies[1]'), 'not an address');
  t.ok(seen.includes('18 listeners[3].trustedproxies[2]'), 'no negation');
  t.ok(seen.includes('19 listeners[3].trustedproxies[3]'), 'prefix too long');
  t.notOk(problems.some((p) => p.key === 'listeners[3].trustedproxies[0]'), 'a CIDR is fine');
});

t.test('a reload cannot change them: restart-only', async (t) => {
  const doc = (pp: string) => `listeners:\n  - { name: ami, port: 5038${pp} }\n${UP}`;
  const off = (await parseConfig(doc(''), 'a.yaml', {})).config;
  const on = (await parseConfig(doc(', proxyprotocol: v2, trustedproxies: [10.0.0.1]'), 'a.yaml', {})).config;
  const other = (await parseConfig(doc(', proxyprotocol: v2, trustedproxies: [10.0.0.2]'), 'a.yaml', {})).config;
  t.same(restartOnlyChanges(off, on), ['listeners']);
  t.same(restartOnlyChanges(on, other), ['listeners']);
  t.same(restartOnlyChanges(on, on), []);
});
