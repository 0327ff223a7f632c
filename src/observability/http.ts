// The admin HTTP server: /metrics (Prometheus), /healthz (liveness), /readyz
// (readiness: an upstream is usable), and with `cluster:` /sessions (every
// instance's sessions, docs/shared-state.md). It listens on its own address, by
// default loopback, never on an AMI listener: metrics name listeners and
// upstreams, which is reconnaissance an AMI client should not get.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AdminServerOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  metrics: { text(): Promise<string>; readonly contentType: string };
  /** Liveness: false makes /healthz answer 503 (the process should be restarted). */
  health: () => { live: boolean };
  /** Readiness: false makes /readyz answer 503 (take it out of the load balancer); `detail` is returned as JSON. */
  ready: () => { ready: boolean; detail?: object };
  /** The cluster-wide session list as JSON; without it /sessions is 404. A rejection answers 503. */
  sessions?: () => Promise<object>;
}

export interface AdminServer {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function send(res: http.ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(head ? undefined : body);
}

export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const known = path === '/metrics' || path === '/healthz' || path === '/readyz' || (path === '/sessions' && opts.sessions !== undefined);
    if (!known) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', req.method === 'HEAD');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
    }
    const head = req.method === 'HEAD';
    try {
      if (path === '/metrics') {
        const text = await opts.metrics.text();
        // prom-client's contentType already is the 0.0.4 text format; keep it if it says so.
        const type = /version=0\.0\.4/.test(opts.metrics.contentType) ? opts.metrics.contentType : PROMETHEUS_TYPE;
        return send(res, 200, type, text, head);
      }
      if (path === '/healthz') {
        const { live } = opts.health();
        return send(res, live ? 200 : 503, 'text/plain; charset=utf-8', live ? 'ok\n' : 'not live\n', head);
      }
      if (path === '/sessions') {
        let body: object;
        try {
          body = await opts.sessions!();
        } catch (err) {
          // Redis unreachable: the list cannot be read, which is not the admin server's fault.
          return send(res, 503, 'application/json', JSON.stringify({ error: 'shared state unavailable', detail: err instanceof Error ? err.message : String(err) }) + '\n', head);
        }
        return send(res, 200, 'application/json', JSON.stringify(body) + '\n', head);
      }
      const r = opts.ready();
      return send(res, r.ready ? 200 : 503, 'application/json', JSON.stringify({ ready: r.ready, ...r.detail }) + '\n', head);
    } catch (err) {
      return send(res, 500, 'text/plain; charset=utf-8', `error: ${err instanceof Error ? err.message : String(err)}\n`, head);
    }
  });
  // Slow or idle admin clients must not hold sockets open (slowloris on the admin port).
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    host,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
