// The `cluster:` section (config/cluster-schema.ts): defaults, the password
// from the URL, a literal or the environment, never echoed in a message or
// the redacted URL; bad values named with their line and key.

import t from 'tap';
import { parseConfig } from '../../../src/config/load.js';
import { redactRedisUrl } from '../../../src/config/cluster-schema.js';
import { restartOnlyChanges } from '../../../src/config/config-diff.js';
import { problemsOf } from '../../helpers/config-problems.js';

const BASE = `listeners:
  - { name: ami, port: 5038 }
upstreams:
  - { name: pbx1, host: 127.0.0.1, username: amigate, secret: s3cret }
`;


t.test('no section: no cluster; defaults; password from the environment', async (t) => {
  t.equal((await parseConfig(BASE, 'amigate.yaml', {})).config.cluster, undefined);
  const { config, warnings } = await parseConfig(`${BASE}cluster:\n  redis: redis://127.0.0.1:6379\n`, 'amigate.yaml', {});
  t.match(config.cluster, { redis: 'redis://127.0.0.1:6379', password: undefined, prefix: 'amigate:', leasettl: 30, redisdown: 'local', timeout: 500 });
  t.match(config.cluster!.instance, /^[A-Za-z0-9._-]+-\d+$/);
  t.same(warnings, [], 'loopback without a password: no warning');
  const env = await parseConfig(`${BASE}cluster:\n  redis: rediss://amigate@redis.internal:6380/2\n  password: { env: RPW }\n  instance: gw1\n  leasettl: 10\n  redisdown: refuse\n`, 'amigate.yaml', { RPW: 'hunter2' });
  t.match(env.config.cluster, { redis: 'rediss://amigate@redis.internal:6380/2', password: 'hunter2', instance: 'gw1', leasettl: 10, redisdown: 'refuse' });
  t.same(env.warnings, []);
});

t.test('a password in the URL is moved out of it and never shown', async (t) => {
  const { config, warnings } = await parseConfig(`${BASE}cluster:\n  redis: redis://:p%40ss@10.0.0.5:6379/0\n`, 'amigate.yaml', {});
  t.equal(config.cluster!.password, 'p@ss');
  t.notMatch(config.cluster!.redis, /p%40ss|p@ss/);
  t.equal(warnings.length, 1, 'plain redis:// to another host');
  t.match(warnings[0]!, /amigate\.yaml:6: cluster\.redis: .*without TLS/);
  t.notMatch(warnings.join('\n'), /p%40ss|p@ss/);
  t.equal(redactRedisUrl('rediss://u:secret@h:1/3'), 'rediss://h:1/3');
});

t.test('bad values are named with line and key, and the URL is not echoed', async (t) => {
  let p = await problemsOf(`${BASE}cluster:\n  redis: http://user:topsecret@h:1\n`);
  t.match(p, [{ line: 6, key: 'cluster.redis', message: /redis:\/\/host:port\/db/ }]);
  t.notMatch(JSON.stringify(p), /topsecret/);
  p = await problemsOf(`${BASE}cluster:\n  redis: redis://:a@h:1\n  password: b\n`);
  t.match(p, [{ key: 'cluster.password', message: /not both/ }]);
  p = await problemsOf(`${BASE}cluster:\n  redis: redis://h:1\n  password: { env: NOPE }\n`);
  t.match(p, [{ key: 'cluster.password', message: /NOPE is not set/ }]);
  p = await problemsOf(`${BASE}cluster:\n  redis: redis://h:1/x\n  leasettl: 1\n  redisdown: maybe\n  instance: 'a b'\n`);
  t.same(p.map((x) => x.key).sort(), ['cluster.instance', 'cluster.leasettl', 'cluster.redis', 'cluster.redisdown'].sort());
  p = await problemsOf(`${BASE}cluster:\n  prefix: x\n`);
  t.match(p, [{ key: 'cluster.redis', message: 'is required' }]);
});

t.test('a reload cannot change the section', async (t) => {
  const a = (await parseConfig(`${BASE}cluster:\n  redis: redis://127.0.0.1:1\n  instance: a\n`, 'amigate.yaml', {})).config;
  const b = (await parseConfig(`${BASE}cluster:\n  redis: redis://127.0.0.1:2\n  instance: a\n`, 'amigate.yaml', {})).config;
  t.same(restartOnlyChanges(a, b), ['cluster']);
  t.same(restartOnlyChanges(a, a), []);
});
