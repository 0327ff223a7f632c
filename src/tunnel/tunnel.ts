// `amigate tunnel`: a local plaintext AMI port for clients that cannot speak
// TLS, each accepted connection carried over its own TLS connection to an
// amigate TLS listener (the stunnel replacement, docs/tunnel.md).
//
//   legacy client ──TCP──▶ 127.0.0.1:5038 (Tunnel) ══TLS══▶ gate:5039 (amigate listener)
//
// Not a session: bytes are piped both ways untouched (the AMI login happens
// end to end, so amigate sees the client's own user, policy and audit). The
// gate's certificate is verified against the given CA and its name; a client
// certificate is presented for mTLS listeners. TCP_NODELAY on both sides (Nagle
// would add ~40 ms to every action), half-close passed through, and an error
// on either side closes both.

import net from 'node:net';
import tls from 'node:tls';
import { TlsError } from '../errors.js';

export interface TunnelSpec {
  /** A label for messages (defaults to the listen address). */
  name: string;
  listenHost: string;
  /** 0 picks a free port; `address` tells which. */
  listenPort: number;
  connectHost: string;
  connectPort: number;
  /** PEM CA(s) the gate's certificate must chain to. */
  ca: Buffer;
  /** Client certificate and key (PEM) for listeners with verifyclient. */
  cert?: Buffer;
  key?: Buffer;
  /** Name checked against the gate's certificate (and sent as SNI). @default connectHost */
  servername?: string;
  /** TCP keepalive on the TLS side, so a dead network path is noticed. @default 30000 */
  keepAliveMs?: number;
  /** How long the TLS handshake to the gate may take. @default 10000 */
  handshakeTimeoutMs?: number;
}

export interface TunnelEvents {
  /** One line per failed connection: why the gate could not be reached. */
  connectionFailed?(info: { tunnel: string; remote: string; reason: string }): void;
}

export interface TunnelStats { accepted: number; active: number; failed: number }

/** Certificate errors Node reports when a TLS peer is not trusted (or has the wrong name). */
const CERT_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A TLS handshake or certificate failure, in words an operator can act on. */
export function describeTlsFailure(err: unknown, spec: Pick<TunnelSpec, 'connectHost' | 'connectPort' | 'servername' | 'cert'>): { reason: string; certificate: boolean } {
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? '';
  const gate = `${spec.connectHost}:${spec.connectPort}`;
  if (CERT_ERRORS.has(code)) {
    const name = code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? `its certificate is not for ${spec.servername ?? spec.connectHost} (set --servername to a name in the certificate)`
      : `its certificate is not trusted by the given CA (${code}: ${e.message ?? ''}); check --ca`;
    return { reason: `${gate}: ${name}`, certificate: true };
  }
  // The gate refused our certificate (or wanted one): an alert from the server,
  // in OpenSSL's words ("... tlsv13 alert certificate required:...").
  const alert = /alert (certificate required|unknown ca|bad certificate|certificate unknown|handshake failure|decrypt error)/i.exec(e?.message ?? '')?.[1];
  if (alert) {
    return {
      reason: `${gate}: the gate refused the TLS handshake (alert: ${alert.toLowerCase()}); ${spec.cert ? 'is the client certificate (--cert) issued by the CA the listener trusts?' : 'the listener wants a client certificate: give --cert and --key'}`,
      certificate: true,
    };
  }
  return { reason: `${gate}: ${(e?.message ?? String(err)).replace(/\s+/g, ' ').trim()}${code && !(e?.message ?? '').includes(code) ? ` (${code})` : ''}`, certificate: false };
}

export class Tunnel {
  readonly spec: TunnelSpec;
  private readonly server: net.Server;
  private readonly events: TunnelEvents;
  private readonly open = new Set<net.Socket>();
  readonly stats: TunnelStats = { accepted: 0, active: 0, failed: 0 };

  constructor(spec: TunnelSpec, events: TunnelEvents = {}) {
    this.spec = spec;
    this.events = events;
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (local) => this.accept(local));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.spec.listenPort, this.spec.listenHost, () => { this.server.off('error', reject); resolve(); });
    });
  }

  get address(): { host: string; port: number } {
    const a = this.server.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** Open one TLS connection to the gate; resolves once the handshake succeeded. */
  connectGate(maxVersion?: 'TLSv1.2'): Promise<tls.TLSSocket> {
    const s = this.spec;
    return new Promise((resolve, reject) => {
      const servername = s.servername ?? s.connectHost;
      // allowHalfOpen is passed on to the TLSSocket by tls.connect() (lib/_tls_wrap.js), though @types/node omits it.
      const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
        host: s.connectHost,
        port: s.connectPort,
        // SNI takes host names only; an address is still checked against the certificate's IP SANs.
        ...(net.isIP(servername) === 0 ? { servername } : {}),
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(servername, cert),
        ca: s.ca,
        ...(s.cert ? { cert: s.cert } : {}),
        ...(s.key ? { key: s.key } : {}),
        minVersion: 'TLSv1.2',
        ...(maxVersion ? { maxVersion } : {}),
        allowHalfOpen: true,
      };
      const socket = tls.connect(options);
      socket.setNoDelay(true);
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`TLS handshake not done within ${s.handshakeTimeoutMs ?? 10_000} ms`), { code: 'ETIMEDOUT' })), s.handshakeTimeoutMs ?? 10_000);
      timer.unref();
      const fail = (err: Error) => { clearTimeout(timer); socket.destroy(); reject(err); };
      socket.once('error', fail);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        socket.setKeepAlive(true, s.keepAliveMs ?? 30_000);
        resolve(socket);
      });
    });
  }

  /**
   * Check the path end to end before serving: the TLS handshake with the CA and
   * certificate given, then the AMI banner (a refused client certificate shows
   * only after the handshake under TLS 1.3). Throws TlsError for a certificate
   * problem (the configuration is wrong); other failures (gate down) resolve
   * with the reason, since the gate may come back.
   */
  async probe(timeoutMs = 10_000): Promise<{ ok: true; banner: string } | { ok: false; reason: string }> {
    let socket: tls.TLSSocket;
    try {
      socket = await this.connectGate();
    } catch (err) {
      return this.probeFailure(err);
    }
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let text = '';
        const timer = setTimeout(() => reject(Object.assign(new Error(`no AMI banner within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
        timer.unref();
        socket.on('data', (d: Buffer) => {
          text += d.toString('latin1');
          const eol = text.indexOf('\r\n');
          if (eol >= 0) { clearTimeout(timer); resolve(text.slice(0, eol)); }
        });
        socket.once('error', (err) => { clearTimeout(timer); reject(err); });
        socket.once('end', () => { clearTimeout(timer); reject(Object.assign(new Error('the gate closed the connection before its banner'), { code: 'ECONNRESET' })); });
      });
      return { ok: true, banner };
    } catch (err) {
      // A TLS listener that rejects our client certificate (Node's rejectUnauthorized)
      // closes without an alert: under TLS 1.3 after the handshake, so all we see is
      // a close before the banner. TLS 1.2 checks the certificate inside the
      // handshake: if that one is cut off too, the certificate is the cause.
      if (this.spec.cert && (err as { code?: string }).code === 'ECONNRESET') {
        const again = await this.connectGate('TLSv1.2').then((s) => { s.destroy(); return undefined; }, (e: unknown) => e);
        const d = again === undefined ? undefined : describeTlsFailure(again, this.spec);
        if (d?.certificate) return this.probeFailure(again);
        if ((again as { code?: string } | undefined)?.code === 'ECONNRESET') {
          throw new TlsError(`tunnel ${this.spec.name}: ${this.spec.connectHost}:${this.spec.connectPort}: the gate closed the connection during the TLS handshake, after our client certificate: is the client certificate (--cert) issued by the CA the listener trusts?`, { cause: again });
        }
      }
      return this.probeFailure(err);
    } finally {
      socket.destroy();
    }
  }

  private probeFailure(err: unknown): { ok: false; reason: string } {
    const d = describeTlsFailure(err, this.spec);
    if (d.certificate) throw new TlsError(`tunnel ${this.spec.name}: ${d.reason}`, { cause: err });
    return { ok: false, reason: d.reason };
  }

  private accept(local: net.Socket): void {
    this.stats.accepted++;
    this.stats.active++;
    this.open.add(local);
    local.setNoDelay(true);
    local.pause();
    const remote = `${local.remoteAddress}:${local.remotePort}`;
    let gate: tls.TLSSocket | undefined;
    let closed = false;
    const closeBoth = () => {
      if (closed) return;
      closed = true;
      this.stats.active--;
      this.open.delete(local);
      local.destroy();
      gate?.destroy();
    };
    local.on('error', closeBoth);
    local.on('close', closeBoth);
    this.connectGate().then((g) => {
      if (closed) { g.destroy(); return; }
      gate = g;
      g.on('error', closeBoth);
      g.on('close', closeBoth);
      // pipe() ends the other side when one side ends (half-close passes through,
      // both sockets allow half-open) and applies backpressure both ways.
      local.pipe(g);
      g.pipe(local);
      local.resume();
    }, (err: unknown) => {
      this.stats.failed++;
      this.events.connectionFailed?.({ tunnel: this.spec.name, remote, reason: describeTlsFailure(err, this.spec).reason });
      closeBoth();
    });
  }

  /** Stop accepting and close every carried connection. */
  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
