import t from 'tap';
import { readFile } from 'node:fs/promises';
import { Metrics, type MetricsStats } from '../../../src/observability/metrics.js';
import { ClusterMetrics } from '../../../src/cluster/cluster-metrics.js';
import { DEFAULT_KNOWN_ACTIONS, ASTERISK_CORE_ACTIONS } from '../../../src/observability/action-names.js';

/** Parse exposition text into `name{labels}` → value. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

t.test('counters and gauges show up with bounded labels after calls', async (t) => {
  const m = new Metrics({ defaultMetrics: false, listeners: ['tls', 'plain'], upstreams: ['pbx1'] });
  m.connectionOpened('tls');
  m.connectionOpened('tls');
  m.connectionClosed('tls');
  m.connectionRejected('plain', 'maxconnections');
  m.connectionRejected('plain', 'something-new');
  m.login('tls', 'success');
  m.login('tls', 'bad-secret');
  m.login('plain', 'weird reason from somewhere');
  m.action('tls', 'Ping', 'success', 0.0002, 0.003);
  m.action('tls', 'ping', 'success', 0.0002, 0.003);
  m.action('tls', 'CoreShowChannels', 'timeout', 0.001, 5);
  m.action('tls', 'Originate', 'denied', 0.0001);
  m.action('tls', 'MyOwnAction-4711', 'error', 0.0001, 0.01);
  m.action('tls', 'Ping', 'bogus-result', 0.0001);
  m.eventReceived('pbx1');
  m.eventReceived('pbx1');
  m.eventReceived();
  m.eventDelivered(5);
  m.eventDropped('queue-full', 3);
  m.eventDropped('user:crm');
  m.queueHighWater(2000);
  m.slowConsumer();
  m.upstreamState('pbx1', true);
  m.upstreamState('pbx2', false);

  const text = await m.text();
  const s = series(text);
  t.equal(s.get('amigate_downstream_connections_active{listener="tls"}'), 1);
  t.equal(s.get('amigate_downstream_connections_active{listener="plain"}'), 0, 'configured listener exported as 0');
  t.equal(s.get('amigate_downstream_connections_total{listener="tls"}'), 2);
  t.equal(s.get('amigate_downstream_connections_rejected_total{listener="plain",reason="maxconnections"}'), 1);
  t.equal(s.get('amigate_downstream_connections_rejected_total{listener="plain",reason="other"}'), 1);
  t.equal(s.get('amigate_logins_total{listener="tls",result="success"}'), 1);
  t.equal(s.get('amigate_logins_total{listener="tls",result="bad-secret"}'), 1);
  t.equal(s.get('amigate_logins_total{listener="plain",result="lockout"}'), 0, 'every known login result exported, per listener');
  t.equal(s.get('amigate_logins_total{listener="plain",result="other"}'), 1);
  t.equal(s.get('amigate_actions_total{listener="tls",action="Ping",result="success"}'), 2, 'case-insensitive, canonical spelling');
  t.equal(s.get('amigate_actions_total{listener="tls",action="CoreShowChannels",result="timeout"}'), 1);
  t.equal(s.get('amigate_actions_total{listener="tls",action="Originate",result="denied"}'), 1);
  t.equal(s.get('amigate_actions_total{listener="tls",action="other",result="error"}'), 1, 'unknown action name becomes other');
  t.equal(s.get('amigate_actions_total{listener="tls",action="Ping",result="other"}'), 1);
  t.notOk(text.includes('MyOwnAction'), 'the unknown name never appears');
  t.notOk(text.includes('crm'), 'no user-derived label value');
  t.equal(s.get('amigate_action_timeouts_total'), 1);
  t.equal(s.get('amigate_action_proxy_seconds_count'), 6);
  t.equal(s.get('amigate_action_upstream_seconds_count'), 4, 'only actions that went upstream');
  t.equal(s.get('amigate_action_upstream_seconds_bucket{le="0.005"}'), 2);
  t.equal(s.get('amigate_action_upstream_seconds_bucket{le="+Inf"}'), 4);
  t.equal(s.get('amigate_events_received_total{upstream="pbx1"}'), 2);
  t.equal(s.get('amigate_events_received_total{upstream="unknown"}'), 1);
  t.equal(s.get('amigate_events_delivered_total'), 5);
  t.equal(s.get('amigate_events_dropped_total{reason="queue-full"}'), 3);
  t.equal(s.get('amigate_events_dropped_total{reason="other"}'), 1);
  t.equal(s.get('amigate_session_queue_high_water_bytes_bucket{le="4096"}'), 1);
  t.equal(s.get('amigate_session_queue_high_water_bytes_bucket{le="1024"}'), 0);
  t.equal(s.get('amigate_slow_consumers_dropped_total'), 1);
  t.equal(s.get('amigate_upstream_state{upstream="pbx1",state="ready"}'), 1);
  t.equal(s.get('amigate_upstream_state{upstream="pbx1",state="down"}'), 0);
  t.equal(s.get('amigate_upstream_state{upstream="pbx2",state="down"}'), 1);
  t.match(text, /# HELP amigate_actions_total .+\n# TYPE amigate_actions_total counter/);
  t.match(text, /# TYPE amigate_action_proxy_seconds histogram/);
  t.notOk(/^process_|^nodejs_/m.test(text), 'default metrics off when asked');
});

t.test('negative or non-finite latencies do not poison the histograms', async (t) => {
  const m = new Metrics({ defaultMetrics: false });
  m.action('tls', 'Ping', 'success', -0.001, Number.NaN);
  const s = series(await m.text());
  t.equal(s.get('amigate_action_proxy_seconds_count'), 1);
  t.equal(s.get('amigate_action_proxy_seconds_sum'), 0, 'clamped to 0');
  t.equal(s.get('amigate_action_upstream_seconds_count'), 0);
});

t.test('scrape-time gauges come from the stats source, read once per scrape', async (t) => {
  const m = new Metrics({ defaultMetrics: false });
  let calls = 0;
  let stats: MetricsStats = {
    pending: 7,
    cluster: {
      servers: [
        { name: 'pbx1', state: 'ready', ready: true, connectionsReady: 2, connectionsTotal: 2, reconnects: 3, pending: 5, oversize: { 'line-too-long': 2, 'too-many-lines': 1 } },
        { name: 'pbx2', state: 'booting', ready: false, connectionsReady: 0, connectionsTotal: 1, reconnects: 0, pending: 2 },
      ],
    },
    fanout: { delivered: 42 },
  };
  m.setStatsSource(() => { calls++; return stats; });
  m.eventDelivered(1);
  let s = series(await m.text());
  t.equal(calls, 1, 'one stats() call per scrape');
  t.equal(s.get('amigate_router_pending_actions'), 7);
  t.equal(s.get('amigate_upstream_pending_actions{upstream="pbx1"}'), 5);
  t.equal(s.get('amigate_upstream_connections_ready{upstream="pbx1"}'), 2);
  t.equal(s.get('amigate_upstream_connections{upstream="pbx2"}'), 1);
  t.equal(s.get('amigate_upstream_reconnects_total{upstream="pbx1"}'), 3);
  t.equal(s.get('amigate_upstream_oversize_packets_total{upstream="pbx1",fault="line-too-long"}'), 2);
  t.equal(s.get('amigate_upstream_oversize_packets_total{upstream="pbx1",fault="too-many-lines"}'), 1);
  t.equal(s.get('amigate_upstream_oversize_packets_total{upstream="pbx2",fault="line-too-long"}'), 0, 'pre-declared at 0');
  t.equal(s.get('amigate_upstream_state{upstream="pbx2",state="booting"}'), 1);
  t.equal(s.get('amigate_upstream_state{upstream="pbx2",state="ready"}'), 0);
  t.equal(s.get('amigate_events_delivered_total'), 42, 'fan-out stats win over explicit increments');

  stats = { pending: 0, cluster: { servers: [{ name: 'pbx1', state: 'weird', reconnects: 4 }] } };
  s = series(await m.text());
  t.equal(s.get('amigate_router_pending_actions'), 0);
  t.equal(s.get('amigate_upstream_reconnects_total{upstream="pbx1"}'), 4);
  t.equal(s.get('amigate_upstream_reconnects_total{upstream="pbx2"}'), undefined, 'a removed upstream disappears');
  t.equal(s.get('amigate_upstream_state{upstream="pbx1",state="other"}'), 1, 'unknown state bounded to other');
  t.equal(s.get('amigate_upstream_pending_actions{upstream="pbx1"}'), 0);
  t.equal(calls, 2);
});

t.test('label cardinality stays bounded under hostile action names', async (t) => {
  const m = new Metrics({ defaultMetrics: false });
  for (let i = 0; i < 5000; i++) m.action('tls', `Action${i}`, i % 2 ? 'success' : `r${i}`, 0.001);
  const text = await m.text();
  const actionSeries = [...series(text).keys()].filter((k) => k.startsWith('amigate_actions_total{'));
  t.same(actionSeries.sort(), ['amigate_actions_total{listener="tls",action="other",result="other"}', 'amigate_actions_total{listener="tls",action="other",result="success"}']);

  m.knowActions(['Action1', 'action2']);
  t.equal(m.actionLabel('ACTION1'), 'Action1');
  m.knowActions(Array.from({ length: 3000 }, (_, i) => `Extra${i}`));
  t.equal(m.actionLabel('Extra2999'), 'other', 'the known set is capped');
  t.equal(m.actionLabel('QueueStatus'), 'QueueStatus');
  t.equal(m.actionLabel('pjsipshowendpoints'), 'PJSIPShowEndpoints');
});

t.test('a custom known-action set replaces the default', async (t) => {
  const m = new Metrics({ defaultMetrics: false, knownActions: ['Ping'] });
  t.equal(m.actionLabel('ping'), 'Ping');
  t.equal(m.actionLabel('Originate'), 'other');
  t.ok(DEFAULT_KNOWN_ACTIONS.length > ASTERISK_CORE_ACTIONS.length);
  t.equal(new Set(DEFAULT_KNOWN_ACTIONS.map((a) => a.toLowerCase())).size, DEFAULT_KNOWN_ACTIONS.length, 'no duplicates');
});

t.test('process metrics on the private registry; two instances do not collide', async (t) => {
  const a = new Metrics({ listeners: ['tls'] });
  const b = new Metrics({ listeners: ['tls'] });
  a.login('tls', 'success');
  const ta = await a.text();
  const tb = await b.text();
  t.match(ta, /^process_cpu_user_seconds_total /m);
  t.match(ta, /^nodejs_eventloop_lag_seconds /m);
  t.equal(series(ta).get('amigate_logins_total{listener="tls",result="success"}'), 1);
  t.equal(series(tb).get('amigate_logins_total{listener="tls",result="success"}'), 0, 'separate registries');
  t.match(a.contentType, /^text\/plain; version=0\.0\.4/);
});

t.test('docs/metrics.md documents every amigate_ metric and nothing stale', async (t) => {
  const m = new Metrics({ defaultMetrics: false });
  new ClusterMetrics(m.registry, () => 0); // the shared-state metrics, registered only with `cluster:`
  const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name).sort();
  const doc = await readFile(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');
  for (const n of names) t.match(doc, `\`${n}\``, `${n} documented`);
  const documented = [...new Set([...doc.matchAll(/`(amigate_[a-z_]+?)(?:_bucket|_sum|_count)?`/g)].map((x) => x[1]!))];
  for (const d of documented) t.ok(names.includes(d), `${d} exists`);
});

t.test('amigate_session_queue_bytes_max is computed at scrape time only; dropped events count one by one', async (t) => {
  const m = new Metrics({ defaultMetrics: false });
  let queue = 1234;
  let computed = 0;
  m.setStatsSource(() => ({ sessionQueueBytesMax: () => { computed++; return queue; } }));
  for (let i = 0; i < 1000; i++) m.eventDelivered(1);
  t.equal(computed, 0, 'nothing per event');
  let s = series(await m.text());
  t.equal(s.get('amigate_session_queue_bytes_max'), 1234);
  t.equal(computed, 1, 'once per scrape');
  queue = 0;
  s = series(await m.text());
  t.equal(s.get('amigate_session_queue_bytes_max'), 0, 'falls with the queues');
  for (const reason of ['queue-full', 'timeout', 'held-events', 'session-closed']) t.equal(s.get(`amigate_events_dropped_total{reason="${reason}"}`), 0, `${reason} exported from start`);
  m.eventDropped('held-events', 37);
  m.eventDropped('session-closed', 5);
  s = series(await m.text());
  t.equal(s.get('amigate_events_dropped_total{reason="held-events"}'), 37);
  t.equal(s.get('amigate_events_dropped_total{reason="session-closed"}'), 5);
});
