// Downstream listeners: a TLS (or, on loopback, plaintext) server per configured
// listener. Owns accepting, connection limits (total, per source address, and
// the pre-authentication slots: Asterisk's authlimit, S1/S7, and amigate's
// authlimitperip, taken at TCP accept so a TLS handshake cannot slip past
// them), TCP_NODELAY, the TLS handshake timeout, and stopping accepting on
// drain. Each accepted socket is handed to `onConnection` with its slot
// (ConnectionInfo.preAuth, released at login); sessions are not this module's business.

import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { ConnectionInfo } from './session.js';
import { formatSubject } from '../auth/subject.js';
import type { PreAuthSlot, PreAuthSlots } from './preauth-slots.js';
import { secureContextOptions, type ListenerTls } from '../tls/listener-tls.js';

/** onRaw()'s answer for a connection a limit refused (it is destroyed already). */
const REFUSED = Symbol('refused');

export type { ListenerTls };
export { secureContextOptions };

export type RejectReason = 'maxconnections' | 'maxconnectionsperip' | 'authlimit' | 'authlimitperip' | 'tls-handshake';

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
  onConnection(socket: Duplex, info: ConnectionInfo): void;
  onRejected?(reason: RejectReason, remote: string): void;
}

export class Listener {
  readonly name: string;
  private opts: ListenerOptions;
  private server: net.Server | tls.Server | undefined;
  private readonly perIp = new Map<string, number>();
  private total = 0;
  private readonly sockets = new Set<net.Socket>();
  /** TLS: the slot taken at TCP accept, by connection 4-tuple, until the handshake ends. */
  private readonly handshaking = new Map<string, PreAuthSlot>();
  /** Raw sockets refused by a limit (so their aborted TLS handshake is not reported again). */
  private readonly refused = new WeakSet<net.Socket>();

  constructor(opts: ListenerOptions) {
    this.name = opts.name;
    this.opts = opts;
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
    if (!(this.server instanceof tls.Server) || !now || !t) return now === undefined && t === undefined ? [] : ['tls'];
    // tls.Server#setSecureContext() resets every option it is not given (minVersion
    // falls back to Node's default), so the reload context comes from the same
    // function as the startup one. Fixes a TLSv1.3-only listener accepting TLSv1.2 after SIGHUP.
    this.server.setSecureContext(secureContextOptions(t));
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
      s.on('connection', (raw: net.Socket) => this.onRaw(raw));
      s.on('secureConnection', (sock: tls.TLSSocket) => this.onSecure(sock));
      s.on('tlsClientError', (_err, sock) => {
        // A TCP connection refused by a limit (onRaw) ends its TLS socket's
        // handshake too; it was reported with its reason already. _parent is
        // the raw socket a server-side TLSSocket wraps (node:_tls_wrap).
        const raw = (sock as unknown as { _parent?: net.Socket })._parent;
        if (raw === undefined || !this.refused.has(raw)) o.onRejected?.('tls-handshake', sock.remoteAddress ?? '');
        sock.destroy();
      });
      this.server = s;
    } else {
      const s = net.createServer();
      s.on('connection', (sock: net.Socket) => {
        const slot = this.onRaw(sock);
        if (slot !== REFUSED) this.accept(sock, sock, slot);
      });
      this.server = s;
    }
    this.server.on('error', () => { /* reported through listen()'s promise or ignored after start */ });
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
   * Count and gate a new TCP connection: its pre-auth slot (undefined on a
   * listener without pre-auth slots, i.e. HTTP), or REFUSED.
   */
  private onRaw(sock: net.Socket): PreAuthSlot | undefined | typeof REFUSED {
    const ip = sock.remoteAddress ?? '';
    const o = this.opts;
    sock.setNoDelay(true);
    let reason: RejectReason | undefined;
    let slot: PreAuthSlot | undefined;
    if (this.total >= o.maxConnections) reason = 'maxconnections';
    else if ((this.perIp.get(ip) ?? 0) >= o.maxConnectionsPerIp) reason = 'maxconnectionsperip';
    else if (o.preAuth) {
      const got = o.preAuth.take(ip);
      if (typeof got === 'string') reason = got; else slot = got;
    }
    if (reason || (o.preAuth && !slot)) {
      // manager.c: past authlimit the socket is closed with no banner (S1);
      // past authlimitperip too, before any TLS handshake.
      o.onRejected?.(reason ?? 'authlimit', ip);
      this.refused.add(sock);
      sock.destroy();
      return REFUSED;
    }
    this.total++;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    this.sockets.add(sock);
    const tuple = o.tls ? connectionKey(sock) : undefined;
    if (tuple !== undefined && slot !== undefined) this.handshaking.set(tuple, slot);
    sock.once('close', () => {
      this.total--;
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip); else this.perIp.set(ip, n);
      this.sockets.delete(sock);
      slot?.release();
      if (tuple !== undefined && this.handshaking.get(tuple) === slot) this.handshaking.delete(tuple);
    });
    sock.on('error', () => { /* the session or the TLS layer reports it */ });
    return slot;
  }

  private onSecure(sock: tls.TLSSocket): void {
    sock.setNoDelay(true);
    // The TLS socket reports the raw socket's addresses: the same 4-tuple finds its slot.
    const key = connectionKey(sock);
    const slot = this.handshaking.get(key);
    this.handshaking.delete(key);
    this.accept(sock, sock, slot);
  }

  private accept(stream: Duplex, sock: net.Socket | tls.TLSSocket, slot: PreAuthSlot | undefined): void {
    const info: ConnectionInfo = {
      remoteAddress: sock.remoteAddress ?? '',
      remotePort: sock.remotePort ?? 0,
      listener: this.name,
      ...(slot ? { preAuth: slot } : {}),
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

/** One TCP connection's 4-tuple (unique while it is open). */
function connectionKey(s: net.Socket): string {
  return `${s.localAddress ?? ''}|${s.localPort ?? 0}|${s.remoteAddress ?? ''}|${s.remotePort ?? 0}`;
}


// RFC 4514 escaping lives with the binding it protects (auth/subject.ts).
export { formatSubject };
