// The PROXY protocol header (HAProxy's proxy-protocol.txt, v1 text and v2
// binary) in front of a connection from a load balancer: framing, parsing and
// reading it off a raw socket. A balancer writes the header first, before any
// byte of the client's (TLS ClientHello, AMI Login, HTTP request), so it is
// read from the TCP socket before TLS or any protocol starts; the bytes read
// past it are given back (unshift) to whatever reads the socket next.
//
// Parsing the address block is proxy-protocol-js's (V1ProxyProtocol,
// V2ProxyProtocol); the framing (how many bytes make the header, bounds, the
// `auto` detection, UNKNOWN and LOCAL) is done here, because the library
// parses a complete buffer and checks neither addresses nor bounds. The result
// is `local` (v1 UNKNOWN, v2 LOCAL or AF_UNSPEC: a balancer's own connection,
// e.g. a health check; the socket's own address is used) or the client's
// address and port. Anything else fails closed: `proxy-missing` (no header:
// other first bytes, or nothing before the timeout) or `proxy-malformed`.

import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { AddressFamilyType, Command, IPv4ProxyAddress, IPv6ProxyAddress, TransportProtocol, V1ProxyProtocol, V2ProxyProtocol } from 'proxy-protocol-js';

export type ProxyProtocolMode = 'v1' | 'v2' | 'auto';

export interface Endpoint { readonly address: string; readonly port: number }

export type ProxyHeader =
  | { readonly kind: 'proxy'; readonly version: 1 | 2; readonly source: Endpoint; readonly destination: Endpoint }
  | { readonly kind: 'local'; readonly version: 1 | 2 };

export type ProxyHeaderFailure = 'proxy-missing' | 'proxy-malformed';

export type FrameResult =
  | { readonly state: 'more' }
  | { readonly state: 'done'; readonly header: ProxyHeader; /** Bytes after the header (the client's). */ readonly rest: Buffer }
  | { readonly state: 'fail'; readonly reason: ProxyHeaderFailure; readonly detail: string };

/** v1: `PROXY ` ... CRLF, at most 107 bytes (proxy-protocol.txt 2.1). */
export const V1_MAX_BYTES = 107;
/** v2: 12-byte signature, version/command, family/transport, 16-bit length. */
const V2_FIXED_BYTES = 16;
/**
 * The largest v2 address block + TLVs accepted. The addresses take at most 216
 * bytes (AF_UNIX); the rest are TLVs, which are skipped. Balancers' TLVs (AWS
 * NLB's VPC endpoint id, HAProxy's unique-id, SSL details) fit with room.
 */
export const V2_MAX_LENGTH = 4096;
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_SIGNATURE = Buffer.from('PROXY ', 'latin1');

const MORE: FrameResult = { state: 'more' };

/** Is `buf` (possibly short) the start of `sig`? */
function startsLike(buf: Buffer, sig: Buffer): boolean {
  const n = Math.min(buf.length, sig.length);
  return buf.subarray(0, n).equals(sig.subarray(0, n));
}

/**
 * Everything read so far from the socket -> the header and the bytes after it,
 * `more` (read on), or why the connection must be closed. Pure.
 */
export function frameProxyHeader(buf: Buffer, mode: ProxyProtocolMode): FrameResult {
  const v1 = mode !== 'v2' && startsLike(buf, V1_SIGNATURE);
  const v2 = mode !== 'v1' && startsLike(buf, V2_SIGNATURE);
  if (!v1 && !v2) return fail('proxy-missing', `the connection does not start with a PROXY ${mode === 'auto' ? 'v1 or v2' : mode} header`);
  if (buf.length === 0) return MORE;
  return v2 ? frameV2(buf) : frameV1(buf);
}

function frameV1(buf: Buffer): FrameResult {
  const lf = buf.indexOf(0x0a);
  if (lf < 0) return buf.length >= V1_MAX_BYTES ? fail('proxy-malformed', `no CRLF in the first ${V1_MAX_BYTES} bytes`) : MORE;
  if (lf + 1 > V1_MAX_BYTES) return fail('proxy-malformed', `the v1 header is longer than ${V1_MAX_BYTES} bytes`);
  if (buf[lf - 1] !== 0x0d) return fail('proxy-malformed', 'the v1 header does not end in CRLF');
  const line = buf.toString('latin1', 0, lf + 1);
  const rest = buf.subarray(lf + 1);
  // "PROXY UNKNOWN" may be followed by anything up to the CRLF (2.1); the
  // library's pattern wants the four address fields, so it is matched here.
  if (/^PROXY UNKNOWN[\r ]/.test(line)) return done({ kind: 'local', version: 1 }, rest);
  let p: V1ProxyProtocol;
  try {
    p = V1ProxyProtocol.parse(line);
  } catch {
    return fail('proxy-malformed', 'the v1 header is not PROXY TCP4|TCP6 <src> <dst> <sport> <dport>');
  }
  const want = p.inetProtocol === 'TCP4' ? 4 : p.inetProtocol === 'TCP6' ? 6 : 0;
  if (want === 0) return fail('proxy-malformed', 'the v1 header names no TCP4 or TCP6 family');
  const ports = /^PROXY \S+ \S+ \S+ (\d+) (\d+)\r\n$/.exec(line);
  for (const [addr, what] of [[p.source.ipAddress, 'source'], [p.destination.ipAddress, 'destination']] as const) {
    if (net.isIP(addr) !== want) return fail('proxy-malformed', `the v1 ${what} address is not an ${p.inetProtocol === 'TCP4' ? 'IPv4' : 'IPv6'} address`);
  }
  if (!ports || !validPort(ports[1]!) || !validPort(ports[2]!)) return fail('proxy-malformed', 'a v1 port is not a number from 0 to 65535');
  return done({
    kind: 'proxy', version: 1,
    source: { address: p.source.ipAddress, port: p.source.port },
    destination: { address: p.destination.ipAddress, port: p.destination.port },
  }, rest);
}

function validPort(text: string): boolean {
  // proxy-protocol.txt: decimal, no leading zeros.
  return text.length <= 5 && (text === '0' || !text.startsWith('0')) && Number(text) <= 65535;
}

function frameV2(buf: Buffer): FrameResult {
  if (buf.length < V2_FIXED_BYTES) return MORE;
  const length = buf.readUInt16BE(14);
  if (length > V2_MAX_LENGTH) return fail('proxy-malformed', `the v2 header announces ${length} bytes (at most ${V2_MAX_LENGTH})`);
  const total = V2_FIXED_BYTES + length;
  if (buf.length < total) return MORE;
  const rest = buf.subarray(total);
  let p: V2ProxyProtocol;
  try {
    p = V2ProxyProtocol.parse(new Uint8Array(buf.buffer, buf.byteOffset, total));
  } catch (err) {
    return fail('proxy-malformed', `v2: ${(err as { message?: string }).message ?? 'unparsable'}`);
  }
  // LOCAL: the balancer speaks for itself (health checks); the address block is ignored (2.2).
  if (p.command === Command.LOCAL) return done({ kind: 'local', version: 2 }, rest);
  // AF_UNSPEC: "the receiver must ... use the real connection endpoints" (2.2).
  if (p.addressFamilyType === AddressFamilyType.UNSPEC) return done({ kind: 'local', version: 2 }, rest);
  if (p.transportProtocol !== TransportProtocol.STREAM) return fail('proxy-malformed', 'v2: not a stream (TCP) connection');
  const a = p.proxyAddress;
  if (a instanceof IPv4ProxyAddress) {
    return done({
      kind: 'proxy', version: 2,
      source: { address: a.sourceAddress.address.join('.'), port: a.sourcePort },
      destination: { address: a.destinationAddress.address.join('.'), port: a.destinationPort },
    }, rest);
  }
  if (a instanceof IPv6ProxyAddress) {
    return done({
      kind: 'proxy', version: 2,
      source: { address: ipv6Text(a.sourceAddress.address), port: a.sourcePort },
      destination: { address: ipv6Text(a.destinationAddress.address), port: a.destinationPort },
    }, rest);
  }
  // AF_UNIX: no IP address for ACLs and limits to apply to; refused.
  return fail('proxy-malformed', 'v2: the address family is not AF_INET or AF_INET6');
}

/** 16 bytes -> the text a Node socket would report (`::ffff:10.1.2.3` for an IPv4-mapped address). */
function ipv6Text(bytes: readonly number[]): string {
  const a = ipaddr.fromByteArray([...bytes]) as ipaddr.IPv6;
  return a.isIPv4MappedAddress() ? `::ffff:${a.toIPv4Address().toString()}` : a.toString();
}

function done(header: ProxyHeader, rest: Buffer): FrameResult {
  return { state: 'done', header, rest };
}

function fail(reason: ProxyHeaderFailure, detail: string): FrameResult {
  return { state: 'fail', reason, detail };
}

export type ReadResult =
  | { readonly ok: true; readonly header: ProxyHeader }
  | { readonly ok: false; readonly reason: ProxyHeaderFailure; readonly detail: string };

/**
 * Read the header off `sock` (flowing), with a deadline. On success the
 * socket is left paused with the bytes after the header unshifted into it:
 * the caller hands it on (a TLS server reads the buffered bytes itself; a
 * plain reader must resume() it). On failure the socket is left as it is (the
 * caller closes it). `done` is called once; not at all if the socket closes
 * first (its close handler does the accounting).
 */
export function readProxyHeader(sock: net.Socket, mode: ProxyProtocolMode, timeoutMs: number, doneCb: (r: ReadResult) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  let finished = false;
  const finish = (r: ReadResult) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    sock.off('data', onData);
    sock.off('close', onClose);
    doneCb(r);
  };
  const onData = (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const f = frameProxyHeader(buf, mode);
    if (f.state === 'more') return;
    if (f.state === 'fail') { finish({ ok: false, reason: f.reason, detail: f.detail }); return; }
    sock.pause();
    if (f.rest.length > 0) sock.unshift(f.rest);
    finish({ ok: true, header: f.header });
  };
  const onClose = () => {
    finished = true;
    clearTimeout(timer);
    sock.off('data', onData);
  };
  // A trusted balancer writes the header at once; a connection that sends
  // nothing is held no longer than a TLS handshake would be.
  const timer = setTimeout(() => finish({ ok: false, reason: 'proxy-missing', detail: `no PROXY header within ${timeoutMs} ms` }), timeoutMs);
  timer.unref();
  sock.on('data', onData);
  sock.once('close', onClose);
}
