import t from 'tap';
import { parseConfig } from '../../../src/config/load.js';
import { ConfigInvalidError } from '../../../src/errors.js';

const MIN = `
listeners:
  - { name: local, bindaddr: 127.0.0.1, port: 5040 }
upstreams:
  - { name: pbx1, host: 127.0.0.1, username: amigate, secret: s3cret }
users:
`;

t.test('users.*.scope: defaults, and unscoped users stay unscoped', async (t) => {
  const { config, warnings } = await parseConfig(MIN + `
  acme-crm:
    secret: x
    read: call,agent
    write: call,originate
    scope:
      channels: ["PJSIP/acme-*", "Local/*@acme-*"]
      contexts: [acme-internal, acme-queues]
      accountcodes: [acme]
      queues: [acme-support]
      devices: ["PJSIP/acme-*"]
      other: deny
  admin: { secret: y, read: all, write: all }
`, 'amigate.yaml');
  t.same(warnings, []);
  t.same(config.users['acme-crm']!.scope, {
    channels: ['PJSIP/acme-*', 'Local/*@acme-*'], contexts: ['acme-internal', 'acme-queues'], accountcodes: ['acme'],
    queues: ['acme-support'], devices: ['PJSIP/acme-*'], other: 'deny', unscopedactions: [],
  });
  t.equal(config.users['admin']!.scope, undefined);
});

t.test('bad scope settings name file, line and key', async (t) => {
  const err = await parseConfig(MIN + `
  a:
    secret: x
    scope:
      channels: ["PJSIP/a b"]
      other: maybe
      colour: blue
`, 'amigate.yaml').catch((e: unknown) => e);
  t.ok(err instanceof ConfigInvalidError);
  const text = (err as Error).message;
  t.match(text, /amigate\.yaml:\d+: users\.a\.scope\.other: must be one of: deny, allow/);
  t.match(text, /amigate\.yaml:\d+: users\.a\.scope\.colour: unknown key/);
  const err2 = await parseConfig(MIN + `
  a:
    secret: x
    scope:
      channels: ["PJSIP/a b"]
`, 'amigate.yaml').catch((e: unknown) => e);
  t.match((err2 as Error).message, /amigate\.yaml:11: users\.a\.scope\.channels\[0\]: "PJSIP\/a b" is not a pattern/);
});

t.test('warnings: a scope that owns nothing, a catch-all pattern, a needless unscopedactions entry', async (t) => {
  const { warnings } = await parseConfig(MIN + `
  a:
    secret: x
    scope: { queues: ["*"], unscopedactions: [Hangup, Command] }
`, 'amigate.yaml');
  t.equal(warnings.length, 3);
  t.match(warnings.join('\n'), /owns no calls/);
  t.match(warnings.join('\n'), /matches everything/);
  t.match(warnings.join('\n'), /Hangup is scoped already/);
});
