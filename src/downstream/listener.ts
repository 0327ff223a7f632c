// Downstream listeners: a TLS (or, on loopback, plaintext) server per configured
// listener. Owns accepting, connection limits (total, per source address, and
// the pre-authentication slots: Asterisk's authlimit, S1/S7, and amigate's
// authlimitperip, taken at TCP accept so a TLS handshake cannot slip past
// them), TCP_NODELAY, the TLS handshake timeout, and stopping accepting on
// drain. Each accepted socket is handed to `onConnection` with its slot
// (ConnectionInfo.preAuth, released at login); sessions are not this module's business.
// Behind a load balancer (`proxyprotocol`), a connection must come from a
// trusted proxy and start with a PROXY header (proxy-header.ts), read before
// TLS and before any limit: the per-address limits, the slots and the
// ConnectionInfo then use the client's address from the header, and the
// balancer's goes in ConnectionInfo.proxy (docs/proxy-protocol.md).

import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { ConnectionInfo } from './session.js';
import { formatSubject } from '../auth/subject.js';
import type { PreAuthSlot, PreAuthSlots } from './preauth-slots.js';
import { secureContextOptions, type ListenerTls } from '../tls/listener-tls.js';
import { Acl } from '../policy/acl.js';
import { readProxyHeader, type Endpoint, type ProxyProtocolMode } from './proxy-header.js';

/** onRaw()'s answer for a connection a limit refused (it is destroyed already). */
const REFUSED = Symbol('refused');

export type { ListenerTls };
export { secureContextOptions };

export type RejectReason = 'maxconnections' | 'maxconnectionsperip' | 'authlimit' | 'authlimitperip' | 'tls-handshake'
  | 'proxy-untrusted' | 'proxy-missing' | 'proxy-malformed';

/** A listener behind a load balancer: the PROXY header it expects, and from whom. */
export interface ListenerProxyProtocol {
  readonly mode: ProxyProtocolMode;
  /** Addresses and CIDRs of the balancers (at least one; entries as a user's permit list takes them). */
  readonly trusted: readonly string[];
}

/** What the listener knows of a connection before it is accepted: the client's and, behind a balancer, the balancer's address. */
interface Origin { client: Endpoint; proxy?: Endpoint | undefined }

export interface ListenerOptions {
  name: string;
  host: string;
  port: number;
  tls?: ListenerTls;
  /** ms to finish the TLS handshake (then the socket is dropped). */
  handshakeTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Proxy-wide pre-authentication slots (authlimit, authlimitperip); the session's is released at login. */
  /**
   * Pre-auth slots (authlimit, authlimitperip), taken per TCP connection. An HTTP
   * listener has none: its connections are not sessions (HTTP sessions are
   * bounded by maxhttpsessions, unauthenticated ones evicted first).
   */
  preAuth?: PreAuthSlots | undefined;
  /** Expect a PROXY protocol header from a trusted balancer on every connection. */
  proxyProtocol?: ListenerProxyProtocol | undefined;
  onConnection(socket: Duplex, info: ConnectionInfo): void;
  /** `remote` is the client's address (the peer's, when no PROXY header was read); `proxy` the balancer's `ip:port`. */
  onRejected?(reason: RejectReason, remote: string, proxy?: string): void;
}

export class Listener {
  readonly name: string;
  private opts: ListenerOptions;
  private server: net.Server | tls.Server | undefined;
  /** With proxyprotocol on a TLS listener: the TLS server the plain one hands sockets to once their header is read. */
  private tlsServer: tls.Server | undefined;
  /** proxyprotocol: the balancers' addresses (deny everything else). */
  private readonly trusted: Acl | undefined;
  /** proxyprotocol: connections whose header is still being read (counted for maxconnections). */
  private headerPending = 0;
  private readonly perIp = new Map<string, number>();
  private total = 0;
  private readonly sockets = new Set<net.Socket>();
  /** TLS: the slot taken at TCP accept (and the PROXY header's addresses), by connection 4-tuple, until the handshake ends. */
  private readonly handshaking = new Map<string, { slot: PreAuthSlot | undefined; origin: Origin | undefined }>();
  /** proxyprotocol on TLS: the PROXY header's addresses by raw socket, for a handshake that fails after the socket closed. */
  private readonly origins = new WeakMap<net.Socket, Origin>();
  /** Raw sockets refused by a limit (so their aborted TLS handshake is not reported again). */
  private readonly refused = new WeakSet<net.Socket>();

  constructor(opts: ListenerOptions) {
    this.name = opts.name;
    this.opts = opts;
    const pp = opts.proxyProtocol;
    if (pp) {
      // Fail closed: an empty list would trust nobody, but never everybody.
      if (pp.trusted.length === 0) throw new TypeError(`listener ${opts.name}: proxyprotocol needs trusted proxies`);
      this.trusted = Acl.compile(['0.0.0.0/0', '::/0'], pp.trusted);
    }
  }

  get address(): { host: string; port: number } {
    const a = this.server?.address();
    if (a && typeof a === 'object') return { host: a.address, port: a.port };
    return { host: this.opts.host, port: this.opts.port };
  }

  get connections(): number { return this.total; }

  /**
   * Replace the certificate, key, CA, protocol floor and ciphers for new handshakes
   * (config reload); established TLS sessions keep theirs. Returns the keys
   * that could not change on a live server: `verifyclient` (Node reads
   * requestCert/rejectUnauthorized once, in tls.createServer()) and a switch
   * between TLS and plaintext. They need a restart; the caller warns.
   */
  setSecureContext(t: ListenerTls | undefined): string[] {
    const now = this.opts.tls;
    const server = this.tlsServer ?? this.server;
    if (!(server instanceof tls.Server) || !now || !t) return now === undefined && t === undefined ? [] : ['tls'];
    // tls.Server#setSecureContext() resets every option it is not given (minVersion
    // falls back to Node's default), so the reload context comes from the same
    // function as the startup one. Fixes a TLSv1.3-only listener accepting TLSv1.2 after SIGHUP.
    server.setSecureContext(secureContextOptions(t));
    this.opts = { ...this.opts, tls: { ...t, verifyClient: now.verifyClient } };
    return t.verifyClient === now.verifyClient ? [] : ['tls.verifyclient'];
  }

  async listen(): Promise<void> {
    const o = this.opts;
    if (o.tls) {
      const s = tls.createServer({
        ...secureContextOptions(o.tls),
        requestCert: o.tls.verifyClient,
        rejectUnauthorized: o.tls.verifyClient,
        minVersion: o.tls.minVersion,
        handshakeTimeout: o.handshakeTimeoutMs,
      });
      // Behind a balancer the TLS server never listens: the plain server below
      // reads the PROXY header and hands the socket over (onProxied).
      if (!o.proxyProtocol) s.on('connection', (raw: net.Socket) => this.onRaw(raw));
      s.on('secureConnection', (sock: tls.TLSSocket) => this.onSecure(sock));
      s.on('tlsClientError', (_err, sock) => {
        // A TCP connection refused by a limit (onRaw) ends its TLS socket's
        // handshake too; it was reported with its reason already. _parent is
        // the raw socket a server-side TLSSocket wraps (node:_tls_wrap).
        const raw = (sock as unknown as { _parent?: net.Socket })._parent;
        const origin = (raw && this.origins.get(raw)) ?? this.handshaking.get(connectionKey(sock))?.origin;
        if (raw === undefined || !this.refused.has(raw)) o.onRejected?.('tls-handshake', origin?.client.address ?? sock.remoteAddress ?? '', proxyText(origin));
        sock.destroy();
      });
      if (o.proxyProtocol) this.tlsServer = s; else this.server = s;
    }
    if (o.proxyProtocol) {
      const s = net.createServer();
      s.on('connection', (sock: net.Socket) => this.onProxied(sock));
      this.server = s;
    } else if (!o.tls) {
      const s = net.createServer();
      s.on('connection', (sock: net.Socket) => {
        const slot = this.onRaw(sock);
        if (slot !== REFUSED) this.accept(sock, sock, slot);
      });
      this.server = s;
    }
    this.server!.on('error', () => { /* reported through listen()'s promise or ignored after start */ });
    await new Promise<void>((resolve, reject) => {
      const onErr = (err: Error) => reject(err);
      this.server!.once('error', onErr);
      this.server!.listen(o.port, o.host, () => {
        this.server!.off('error', onErr);
        resolve();
      });
    });
  }

  /**
   * proxyprotocol: a connection from a balancer. Only a trusted address may
   * speak; its header is read (bounded in time and bytes) before anything is
   * sent, and only then do the limits apply, to the client's address.
   */
  private onProxied(sock: net.Socket): void {
    const o = this.opts;
    // A peer that reset before its connection reached us has no address any more
    // (HAProxy ends its TCP checks with an RST): nothing was read from it, so there
    // is nothing to trust or to refuse; it is only closed (it was not a spoof).
    if (sock.remoteAddress === undefined) { sock.destroy(); return; }
    const peer = { address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 };
    sock.setNoDelay(true);
    sock.on('error', () => { /* reported by whoever reads the socket, or by the close below */ });
    const refuse = (reason: RejectReason) => {
      o.onRejected?.(reason, peer.address);
      sock.destroy();
    };
    if (!this.trusted!.allows(peer.address)) return refuse('proxy-untrusted');
    if (this.total + this.headerPending >= o.maxConnections) return refuse('maxconnections');
    this.headerPending++;
    this.sockets.add(sock);
    let pending = true;
    const settle = () => {
      if (!pending) return;
      pending = false;
      this.headerPending--;
      this.sockets.delete(sock);
    };
    sock.once('close', settle);
    readProxyHeader(sock, o.proxyProtocol!.mode, o.handshakeTimeoutMs, (r) => {
      settle();
      if (!r.ok) return refuse(r.reason);
      // LOCAL / UNKNOWN: the balancer's own connection (a health check): its own address.
      const origin: Origin = r.header.kind === 'proxy' ? { client: r.header.source, proxy: peer } : { client: peer };
      const slot = this.onRaw(sock, origin);
      if (slot === REFUSED) return;
      if (this.tlsServer) {
        // The TLS server reads the bytes after the header from the socket's buffer (node:_tls_wrap initRead).
        this.origins.set(sock, origin);
        this.tlsServer.emit('connection', sock);
      } else {
        this.accept(sock, sock, slot, origin);
        sock.resume();
      }
    });
  }

  /**
   * Count and gate a new TCP connection: its pre-auth slot (undefined on a
   * listener without pre-auth slots, i.e. HTTP), or REFUSED. `origin`: the
   * addresses from a PROXY header (else the socket's own).
   */
  private onRaw(sock: net.Socket, origin?: Origin): PreAuthSlot | undefined | typeof REFUSED {
    const ip = origin?.client.address ?? sock.remoteAddress ?? '';
    const o = this.opts;
    sock.setNoDelay(true);
    let reason: RejectReason | undefined;
    let slot: PreAuthSlot | undefined;
    if (this.total + this.headerPending >= o.maxConnections) reason = 'maxconnections';
    else if ((this.perIp.get(ip) ?? 0) >= o.maxConnectionsPerIp) reason = 'maxconnectionsperip';
    else if (o.preAuth) {
      const got = o.preAuth.take(ip);
      if (typeof got === 'string') reason = got; else slot = got;
    }
    if (reason || (o.preAuth && !slot)) {
      // manager.c: past authlimit the socket is closed with no banner (S1);
      // past authlimitperip too, before any TLS handshake.
      o.onRejected?.(reason ?? 'authlimit', ip, proxyText(origin));
      this.refused.add(sock);
      sock.destroy();
      return REFUSED;
    }
    this.total++;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    this.sockets.add(sock);
    const tuple = o.tls ? connectionKey(sock) : undefined;
    const entry = { slot, origin };
    if (tuple !== undefined && (slot !== undefined || origin !== undefined)) this.handshaking.set(tuple, entry);
    sock.once('close', () => {
      this.total--;
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip); else this.perIp.set(ip, n);
      this.sockets.delete(sock);
      slot?.release();
      if (tuple !== undefined && this.handshaking.get(tuple) === entry) this.handshaking.delete(tuple);
    });
    sock.on('error', () => { /* the session or the TLS layer reports it */ });
    return slot;
  }

  private onSecure(sock: tls.TLSSocket): void {
    sock.setNoDelay(true);
    // The TLS socket reports the raw socket's addresses: the same 4-tuple finds its slot.
    const key = connectionKey(sock);
    const entry = this.handshaking.get(key);
    this.handshaking.delete(key);
    this.accept(sock, sock, entry?.slot, entry?.origin);
  }

  private accept(stream: Duplex, sock: net.Socket | tls.TLSSocket, slot: PreAuthSlot | undefined, origin?: Origin): void {
    const info: ConnectionInfo = {
      remoteAddress: origin?.client.address ?? sock.remoteAddress ?? '',
      remotePort: origin?.client.port ?? sock.remotePort ?? 0,
      listener: this.name,
      ...(slot ? { preAuth: slot } : {}),
      ...(origin?.proxy ? { proxy: { address: origin.proxy.address, port: origin.proxy.port } } : {}),
    };
    if (sock instanceof tls.TLSSocket) {
      const peer = sock.getPeerCertificate();
      const hasPeer = peer && Object.keys(peer).length > 0;
      info.tls = {
        protocol: sock.getProtocol(),
        cipher: sock.getCipher()?.name,
        subject: hasPeer ? formatSubject(peer.subject) : undefined,
        fingerprint256: hasPeer ? peer.fingerprint256 : undefined,
        authorized: sock.authorized,
      };
    }
    this.opts.onConnection(stream, info);
  }

  /** Stop accepting new connections; existing ones are left to their sessions. */
  async stopAccepting(): Promise<void> {
    const s = this.server;
    if (!s) return;
    // close() stops listening at once; its callback would wait for every open
    // connection to end, and ending them is the drain's job, not this one's.
    s.close();
  }

  /** Destroy every socket still open (after the sessions were told). */
  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
  }
}

/** The balancer's `ip:port` for records, when a PROXY header named another client. */
function proxyText(origin: Origin | undefined): string | undefined {
  return origin?.proxy ? `${origin.proxy.address}:${origin.proxy.port}` : undefined;
}

/** One TCP connection's 4-tuple (unique while it is open). */
function connectionKey(s: net.Socket): string {
  return `${s.localAddress ?? ''}|${s.localPort ?? 0}|${s.remoteAddress ?? ''}|${s.remotePort ?? 0}`;
}


// RFC 4514 escaping lives with the binding it protects (auth/subject.ts).
export { formatSubject };
