// startProxy(t, ...): the real proxy in front of a simulated Asterisk, on
// 127.0.0.1 ephemeral ports, torn down with the test.

import type { Test } from 'tap';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { createProxy, type Proxy, type ProxyOptions } from '../../src/proxy.js';
import { startSim, type Sim, type SimOptions } from '../../src/sim/server.js';
import { captureLogger } from './log-capture.js';

export const UPSTREAM_USER = { name: 'amigate', secret: 'upstream-secret', read: 'all', write: 'all' };

export interface ProxyHarness {
  proxy: Proxy;
  sim: Sim;
  /** pbx1 (= sim), then one per `moreUpstreams`: pbx2, pbx3... */
  sims: Sim[];
  /** Port of the plaintext loopback listener. */
  port: number;
  /** Port of the TLS listener (when tls was asked for). */
  tlsPort: number | undefined;
  /** Port of any listener by name ('plain', 'tls' or one of `listeners`). */
  portOf(name: string): number;
  logs(): Array<Record<string, unknown>>;
  rawLogs(): string;
}

export interface HarnessOptions {
  users: Record<string, unknown>;
  general?: Record<string, unknown>;
  sim?: SimOptions;
  upstream?: Record<string, unknown>;
  /** Extra upstream servers (each gets its own sim). */
  tls?: { certfile: string; privatekey: string; cafile?: string; verifyclient?: boolean; minversion?: 'TLSv1.2' | 'TLSv1.3' };
  admin?: boolean;
  /** More listeners (config shape), each with a name; port 0 is filled in. */
  listeners?: Array<Record<string, unknown>>;
  /** Extra upstream servers pbx2..., each with its own sim. */
  moreUpstreams?: number;
  /** Per-sim options on top of `sim`, by index (0 = pbx1). */
  simOverrides?: SimOptions[];
  /** log.sensitive patterns. */
  logSensitive?: string[];
  /** More `log:` keys (auditheaders, auditactions...). */
  log?: Record<string, unknown>;
  /** The `cluster:` section (shared state in Redis, docs/shared-state.md). */
  cluster?: Record<string, unknown>;
  /** Extra mounts on HTTP listeners (ProxyOptions.httpMounts). */
  httpMounts?: ProxyOptions['httpMounts'];
}

export async function startProxy(t: Test, opts: HarnessOptions): Promise<ProxyHarness> {
  const sim = await startSim({ users: [UPSTREAM_USER], ...opts.sim, ...opts.simOverrides?.[0] });
  t.teardown(() => sim.close());
  const sims = [sim];
  for (let i = 0; i < (opts.moreUpstreams ?? 0); i++) {
    const more = await startSim({ users: [UPSTREAM_USER], ...opts.sim, ...opts.simOverrides?.[i + 1] });
    t.teardown(() => more.close());
    sims.push(more);
  }
  const doc: Record<string, unknown> = {
    general: { authtimeout: 5, ...opts.general },
    listeners: [
      { name: 'plain', bindaddr: '127.0.0.1', port: 0 },
      ...(opts.tls ? [{ name: 'tls', bindaddr: '127.0.0.1', port: 0, tls: opts.tls }] : []),
      ...(opts.listeners ?? []).map((l) => ({ port: 0, ...l })),
    ],
    upstreams: sims.map((s, i) => ({ name: `pbx${i + 1}`, host: '127.0.0.1', port: s.port, username: UPSTREAM_USER.name, secret: UPSTREAM_USER.secret, connections: 2, ...opts.upstream })),
    ...(opts.admin ? { admin: { bindaddr: '127.0.0.1', port: 0 } } : {}),
    log: { level: 'debug', ...(opts.logSensitive ? { sensitive: opts.logSensitive } : {}), ...opts.log },
    users: opts.users,
    ...(opts.cluster ? { cluster: opts.cluster } : {}),
  };
  const { config } = await parseConfig(stringify(doc), '<test>', {});
  const cap = captureLogger({ level: 'debug' });
  const proxy = await createProxy(config, { logger: cap.logger, drainTimeoutMs: 500, ...(opts.httpMounts ? { httpMounts: opts.httpMounts } : {}) });
  t.teardown(() => proxy.close('test-end'));
  await waitUntil(() => sims.every((_, i) => proxy.cluster.isReady(`pbx${i + 1}`)), 5000);
  return {
    proxy, sim, sims,
    port: proxy.listeners[0]!.address.port,
    tlsPort: opts.tls ? proxy.listeners[1]!.address.port : undefined,
    portOf: (name) => {
      const l = proxy.listeners.find((x) => x.name === name);
      if (!l) throw new Error(`no listener ${name}`);
      return l.address.port;
    },
    logs: () => cap.lines(),
    rawLogs: () => cap.raw(),
  };
}

export async function waitUntil(pred: () => boolean, ms: number, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
