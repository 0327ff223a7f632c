import t, { type Test } from 'tap';
import pino from 'pino';
import { AmiMessage } from '../../../src/protocol/message.js';
import { Cluster } from '../../../src/upstream/cluster.js';
import type { Connector } from '../../../src/upstream/connector.js';
import type { UpstreamConfig, UpstreamListener } from '../../../src/upstream/types.js';
import { ConfigInvalidError, UpstreamOverloadedError, UpstreamUnavailableError } from '../../../src/errors.js';
import { FakeAsterisk, waitFor, type FakeOptions } from './fake-asterisk.js';

const silent = pino({ level: 'silent' });

function cfg(name: string, over: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { name, host: name, port: 5038, username: 'admin', secret: 'adminpw', connections: 2, keepalive: 0, keepalivemisses: 3, ...over };
}

function harness(t: Test, servers: Array<{ name: string; fake?: FakeOptions; cfg?: Partial<UpstreamConfig> }>) {
  const fakes = new Map(servers.map((s) => [s.name, new FakeAsterisk(s.fake ?? {})]));
  const connector: Connector = (c, o) => fakes.get(c.host)!.connector(c, o);
  const states: Array<[string, boolean]> = [];
  const listener: UpstreamListener = {
    message: () => {},
    connectionDown: () => {},
    serverState: (s, r) => { states.push([s, r]); },
  };
  const cluster = new Cluster(servers.map((s) => cfg(s.name, s.cfg)), listener, { logger: silent, connector, retryDelay: () => 5 });
  t.teardown(() => cluster.close());
  return { cluster, fakes, states };
}

const action = (id: string) => new AmiMessage(['Action: CoreStatus', `ActionID: ${id}`]);

t.test('send goes to the first ready server in the caller\'s order', async (t) => {
  const h = harness(t, [{ name: 'a' }, { name: 'b' }]);
  t.throws(() => h.cluster.send(['a', 'b'], action('x')), UpstreamUnavailableError, 'nothing ready before start');
  h.cluster.start();
  await waitFor(() => h.cluster.isReady('a') && h.cluster.isReady('b'));
  t.equal(h.cluster.send(['a', 'b'], action('1')).server, 'a');
  t.equal(h.cluster.send(['b', 'a'], action('2')).server, 'b');
  t.equal(h.cluster.send(['nope', 'b'], action('3')).server, 'b', 'unknown names are skipped');
  h.fakes.get('a')!.refuse = true;
  h.fakes.get('a')!.drop();
  await waitFor(() => !h.cluster.isReady('a'));
  t.equal(h.cluster.send(['a', 'b'], action('4')).server, 'b', 'a down server is skipped');
  t.throws(() => h.cluster.send(['a'], action('5')), UpstreamUnavailableError);
  t.throws(() => h.cluster.send([], action('6')), UpstreamUnavailableError);
  t.same(h.states.filter(([s]) => s === 'a'), [['a', true], ['a', false]]);
});

t.test('an overloaded server is skipped; all overloaded gives UpstreamOverloadedError', async (t) => {
  const h = harness(t, [
    { name: 'a', fake: { onAction: () => null }, cfg: { maxpendingactions: 1 } },
    { name: 'b', fake: { onAction: () => null }, cfg: { maxpendingactions: 1 } },
  ]);
  h.cluster.start();
  await waitFor(() => h.cluster.isReady('a') && h.cluster.isReady('b'));
  t.equal(h.cluster.send(['a', 'b'], action('1')).server, 'a');
  t.equal(h.cluster.send(['a', 'b'], action('2')).server, 'b');
  t.throws(() => h.cluster.send(['a', 'b'], action('3')), UpstreamOverloadedError);
});

t.test('banner, actionPrivileges and stats', async (t) => {
  const h = harness(t, [{ name: 'a', fake: { banner: 'Asterisk Call Manager/9.0.0\r\n' } }, { name: 'b' }]);
  t.equal(h.cluster.banner(), undefined);
  t.equal(h.cluster.actionPrivileges('a'), undefined);
  h.cluster.start();
  await waitFor(() => h.cluster.isReady('a') && h.cluster.isReady('b'));
  t.equal(h.cluster.banner(), 'Asterisk Call Manager/9.0.0');
  t.equal(h.cluster.banner('b'), 'Asterisk Call Manager/11.0.0');
  t.equal(h.cluster.banner('zzz'), undefined);
  t.ok(h.cluster.actionPrivileges('a')!.has('originate'));
  t.equal(h.cluster.actionPrivileges('zzz'), undefined);
  const st = h.cluster.stats();
  t.same(st.servers.map((s) => s.name), ['a', 'b']);
  t.match(st.servers[0], { name: 'a', state: 'ready', ready: true, connectionsTotal: 2, pending: 0, banner: 'Asterisk Call Manager/9.0.0' });
  t.equal(st.servers[0]!.connections.length, 2);
  t.match(st.servers[0]!.connections[0], { id: 0, generation: 1, status: 'ready', pending: 0, reconnects: 0 });
});

t.test('the first server\'s banner is used when known, else another one', async (t) => {
  const h = harness(t, [{ name: 'a', fake: { refuse: true } }, { name: 'b' }]);
  h.cluster.start();
  await waitFor(() => h.cluster.isReady('b'));
  t.equal(h.cluster.banner(), 'Asterisk Call Manager/11.0.0');
});

t.test('duplicate server names are a configuration error', async (t) => {
  const listener: UpstreamListener = { message: () => {}, connectionDown: () => {}, serverState: () => {} };
  t.throws(() => new Cluster([cfg('a'), cfg('a')], listener, { logger: silent }), ConfigInvalidError);
});

t.test('close() logs off everywhere and is idempotent', async (t) => {
  const h = harness(t, [{ name: 'a' }, { name: 'b' }]);
  h.cluster.start();
  h.cluster.start();
  await waitFor(() => h.cluster.isReady('a') && h.cluster.isReady('b'));
  t.equal(h.fakes.get('a')!.connects, 2, 'start() twice connects once');
  await h.cluster.close();
  await h.cluster.close();
  t.equal(h.fakes.get('a')!.actions('logoff').length, 2);
  t.equal(h.fakes.get('b')!.actions('logoff').length, 2);
  t.ok(h.cluster.stats().servers.every((s) => s.state === 'closed'));
  t.throws(() => h.cluster.send(['a', 'b'], action('x')), UpstreamUnavailableError);
});
