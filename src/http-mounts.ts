// The front ends a `protocol: http` listener serves, in the order they are
// tried: WebSocket and console (each claims only its own paths), AMI over
// HTTP (rawman, manager, mxml), then any mounts the embedder adds. Part of the
// composition root: proxy.ts calls httpMounts() once per HTTP listener.

import type pino from 'pino';
import type { HttpMount } from './downstream/http-mount.js';
import { webSocketMounts } from './downstream/websocket-front.js';
import { AmiHttpMount } from './downstream/ami-http-mount.js';
import type { PreAuthSlots } from './downstream/preauth-slots.js';
import type { GeneralConfig, ListenerConfig } from './config/schema.js';
import type { Metrics } from './observability/metrics.js';
import type { Audit } from './observability/audit.js';
import type { LoginService } from './session/services/login.js';
import type { SessionOpeners } from './session-openers.js';

export interface HttpMountDeps {
  general(): GeneralConfig;
  readonly preAuth: PreAuthSlots;
  readonly openers: SessionOpeners;
  readonly metrics: Metrics;
  readonly audit: Audit;
  readonly logger: pino.Logger;
  readonly logins: LoginService;
  /** AMI over HTTP on each HTTP listener, by listener name (filled here). */
  readonly amiHttp: Map<string, AmiHttpMount>;
  /** More mounts, tried after the built-in ones (ProxyOptions.httpMounts). */
  readonly extra: ((listener: ListenerConfig) => HttpMount[]) | undefined;
}

/** The front ends an HTTP listener serves, in the order they are tried. */
export async function httpMounts(l: ListenerConfig, deps: HttpMountDeps): Promise<HttpMount[]> {
  const h = l.http!;
  const general = deps.general;
  // WebSocket and console first: each claims only its own paths.
  const mounts = await webSocketMounts(l, {
    limits: () => ({ maxQueueBytes: general().maxqueuebytes, maxLineBytes: general().maxlinebytes, maxHeaders: general().maxheaders }),
    admit: (remote) => deps.preAuth.take(remote),
    open: (transport, conn) => deps.openers.webSocket(transport, conn),
    onRejected: (reason, remote) => {
      deps.metrics.connectionRejected(l.name, reason);
      deps.audit.connectionRejected({ remote, listener: l.name, reason });
    },
  });
  const ami = new AmiHttpMount({
    listener: l.name, httpTimeoutSeconds: h.httptimeout, maxSessions: h.maxhttpsessions, realm: h.realm,
    allowGet: h.allowget, serverName: h.servername, maxBodyBytes: h.maxbodybytes,
    logger: deps.logger.child({ component: 'http' }),
    newSession: (conn, transport) => deps.openers.http(conn, transport),
    digestSecret: (username) => deps.logins.digestSecret(username),
  });
  deps.amiHttp.set(l.name, ami);
  return [...mounts, ami, ...(deps.extra?.(l) ?? [])];
}
