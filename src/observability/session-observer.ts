// Session notifications -> audit records and metrics, for sessions of every
// transport. The session core reports what happened (session/services.ts,
// SessionObservation); this module alone decides what is logged and counted.

import type { SessionObservation } from '../session/services.js';
import type { Audit } from './audit.js';
import type { Metrics } from './metrics.js';

export class SessionObserver {
  private readonly audit: Audit;
  private readonly metrics: Metrics;

  constructor(audit: Audit, metrics: Metrics) {
    this.audit = audit;
    this.metrics = metrics;
  }

  observe(ev: SessionObservation): void {
    const s = ev.session;
    const base = { session: s.id, remote: `${s.conn.remoteAddress}:${s.conn.remotePort}`, listener: s.conn.listener };
    switch (ev.type) {
      case 'login-ok':
        this.metrics.login(s.conn.listener, 'success');
        this.audit.loginSucceeded({ ...base, user: s.user!.name });
        break;
      case 'login-failed':
        this.metrics.login(s.conn.listener, ev.reason);
        this.audit.loginFailed({ ...base, user: ev.username, reason: ev.reason });
        break;
      case 'action':
        this.metrics.action(s.conn.listener, ev.action, ev.result, ev.latencyMs / 1000 - (ev.upstreamMs ?? 0) / 1000, ev.upstreamMs !== undefined ? ev.upstreamMs / 1000 : undefined);
        // One flat object, raw lines (no entries() copy): this runs once per action (issue 12).
        if (this.audit.wantsAction(ev.result)) this.audit.action({
          session: base.session, remote: base.remote, listener: base.listener, user: s.user?.name, action: ev.action, lines: ev.msg.lines, result: ev.result,
          rule: ev.rule || undefined, upstream: ev.upstream || undefined,
          latencyMs: round(ev.latencyMs), upstreamMs: ev.upstreamMs !== undefined ? round(ev.upstreamMs) : undefined,
        });
        break;
      case 'limit':
        this.metrics.limitHit(ev.limit);
        break;
      case 'event':
        this.audit.eventDelivered({ ...base, user: s.user?.name, event: ev.event, privilege: ev.privilege });
        break;
      case 'events-dropped':
        this.metrics.eventDropped(ev.reason, ev.count);
        break;
      case 'slow-consumer':
        this.metrics.slowConsumer();
        this.audit.slowConsumerDropped({ ...base, user: s.user?.name, queuedBytes: ev.queuedBytes, reason: ev.reason });
        break;
      case 'closed':
        this.metrics.connectionClosed(s.conn.listener);
        this.metrics.queueHighWater(s.queueHighWater);
        if (ev.eventsDropped > 0) this.metrics.eventDropped(ev.dropReason, ev.eventsDropped);
        this.audit.sessionClosed({ ...base, user: s.user?.name, cause: ev.cause, durationMs: Date.now() - s.openedAt });
        break;
    }
  }

  /** A new connection (and its TLS handshake) that became a session. */
  opened(id: number, conn: SessionObservation['session']['conn']): void {
    const remote = `${conn.remoteAddress}:${conn.remotePort}`;
    this.metrics.connectionOpened(conn.listener);
    this.audit.connectionOpened({ session: id, remote, listener: conn.listener, ...(conn.proxy ? { proxy: `${conn.proxy.address}:${conn.proxy.port}` } : {}) });
    if (conn.tls) this.audit.tlsHandshake({ session: id, remote, listener: conn.listener, tls: { protocol: conn.tls.protocol, cipher: conn.tls.cipher, subject: conn.tls.subject, fingerprint256: conn.tls.fingerprint256, authorized: conn.tls.authorized } });
  }
}

function round(ms: number): number { return Math.round(ms * 1000) / 1000; }
