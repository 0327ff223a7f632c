// Semantic checks and resolution of `listeners:` (after the schema): names and
// ports unique, plaintext only on loopback unless `insecure`, verifyclient with
// its CA, paths resolved, and the HTTP keys (listener-schema.ts) refused on an
// AMI listener and defaulted on an HTTP one. Problems go through the loader's
// reporter so they carry file, line and key.

import { isIP } from 'node:net';
import { cipherListProblem } from '../tls/listener-tls.js';
import { parseAclEntry } from '../policy/acl.js';
import { resolveWebSocket } from './websocket-schema.js';
import { HTTP_LISTENER_KEYS, LISTENER_DEFAULTS, type HttpListenerConfig, type ListenerConfig } from './listener-schema.js';

type Path = ReadonlyArray<string | number>;
type Json = Record<string, unknown>;

/** What the loader lends: its problem and warning reporters and path resolution. */
export interface ListenerLoadContext {
  problem(path: Path, message: string, keyOf?: string): void;
  warn(path: Path, message: string): void;
  path(p: string): string;
}

export function resolveListeners(list: Json[], ctx: ListenerLoadContext): ListenerConfig[] {
  const out: ListenerConfig[] = [];
  const names = new Map<string, number>();
  list.forEach((l, i) => {
    const at = ['listeners', i];
    const bindaddr = String(l['bindaddr']);
    const port = l['port'] as number;
    const protocol = l['protocol'] === 'http' ? 'http' : 'ami';
    const validAddr = isIP(bindaddr) !== 0;
    if (!validAddr) ctx.problem([...at, 'bindaddr'], `${JSON.stringify(bindaddr)} is not an IP address`);
    const name = typeof l['name'] === 'string' ? l['name'] : `${bindaddr}:${port}`;
    if (names.has(name)) ctx.problem([...at, 'name'], `duplicate listener name ${JSON.stringify(name)} (also listeners[${names.get(name)}])`);
    names.set(name, i);
    const t = l['tls'] as Json | undefined;
    if (t) {
      if (t['verifyclient'] === true && t['cafile'] === undefined) ctx.problem([...at, 'tls'], 'verifyclient: true needs cafile (the CA that signs client certificates)', 'verifyclient');
      const ciphers = String(t['ciphers']);
      const bad = cipherListProblem(ciphers);
      if (bad !== undefined) ctx.problem([...at, 'tls', 'ciphers'], bad);
      else if (t['minversion'] === 'TLSv1.2' && ciphers.split(':').every((c) => c.trim().startsWith('TLS_') || c.trim() === '')) {
        ctx.warn([...at, 'tls', 'ciphers'], 'only TLS 1.3 suites: TLS 1.2 clients cannot connect (set minversion: TLSv1.3 to say so)');
      }
    } else if (validAddr && !isLoopback(bindaddr)) {
      if (l['insecure'] === true) {
        ctx.warn(at, `plaintext listener ${JSON.stringify(name)} on ${bindaddr}:${port} (insecure: true): secrets and events cross the network unencrypted`);
      } else {
        ctx.problem(at, `listener ${JSON.stringify(name)} on ${bindaddr} has no tls: add tls, bind it to a loopback address, or set insecure: true`);
      }
    }
    const clash = out.findIndex((o) => port !== 0 && o.port === port && (o.bindaddr === bindaddr || isWildcard(o.bindaddr) || isWildcard(bindaddr)));
    if (clash >= 0) ctx.problem([...at, 'port'], `port ${port} is already used by listeners[${clash}] (${out[clash]!.name})`);
    out.push({
      name, protocol, bindaddr, port,
      tls: t ? {
        certfile: ctx.path(String(t['certfile'])),
        privatekey: ctx.path(String(t['privatekey'])),
        cafile: typeof t['cafile'] === 'string' ? ctx.path(t['cafile']) : undefined,
        verifyclient: t['verifyclient'] as boolean,
        minversion: t['minversion'] as 'TLSv1.2' | 'TLSv1.3',
        ciphers: String(t['ciphers']),
      } : undefined,
      insecure: l['insecure'] as boolean,
      http: httpSettings(l, protocol, at, ctx),
      ...resolveWebSocket(l, protocol, at, ctx),
      ...proxyProtocol(l, at, ctx),
    });
  });
  return out;
}

/** The HTTP keys: refused on an AMI listener, defaulted on an HTTP one. */
function httpSettings(l: Json, protocol: 'ami' | 'http', at: Path, ctx: ListenerLoadContext): HttpListenerConfig | undefined {
  if (protocol === 'ami') {
    for (const k of HTTP_LISTENER_KEYS) if (l[k] !== undefined) ctx.problem(at, 'only a listener with protocol: http takes this key', k);
    return undefined;
  }
  const d = LISTENER_DEFAULTS.http;
  const h: HttpListenerConfig = {
    httptimeout: (l['httptimeout'] as number | undefined) ?? d.httptimeout,
    allowget: (l['allowget'] as boolean | undefined) ?? d.allowget,
    realm: (l['realm'] as string | undefined) ?? d.realm,
    servername: (l['servername'] as string | undefined) ?? d.servername,
    maxhttpsessions: (l['maxhttpsessions'] as number | undefined) ?? d.maxhttpsessions,
    maxbodybytes: (l['maxbodybytes'] as number | undefined) ?? d.maxbodybytes,
  };
  if (/["\\]/.test(h.realm)) ctx.problem(at, 'must not contain " or \\ (it is quoted in WWW-authenticate)', 'realm');
  return h;
}

/**
 * `proxyprotocol` and `trustedproxies` go together: a header accepted from
 * anybody would let any client claim any address, and a list without
 * the header would look like protection that is not there. Both are errors.
 */
function proxyProtocol(l: Json, at: Path, ctx: ListenerLoadContext): Pick<ListenerConfig, 'proxyprotocol' | 'trustedproxies'> {
  const mode = l['proxyprotocol'] as ListenerConfig['proxyprotocol'];
  const trusted = (l['trustedproxies'] as string[] | undefined) ?? [];
  if (mode !== undefined && trusted.length === 0) ctx.problem(at, 'proxyprotocol needs trustedproxies: the addresses or CIDRs of the load balancers', 'proxyprotocol');
  if (mode === undefined && l['trustedproxies'] !== undefined) ctx.problem([...at, 'trustedproxies'], 'trustedproxies without proxyprotocol: set proxyprotocol (v1, v2 or auto) or remove the list');
  trusted.forEach((entry, j) => {
    const r = entry.trim().startsWith('!') ? { ok: false as const, error: `${JSON.stringify(entry)}: a trusted proxy cannot be negated` } : parseAclEntry(entry, 'permit');
    if (!r.ok) ctx.problem([...at, 'trustedproxies', j], r.error);
  });
  return { proxyprotocol: mode, trustedproxies: trusted };
}

/** 127.0.0.0/8, ::1 (any spelling), ::ffff:127.x and `localhost`. */
export function isLoopback(addr: string): boolean {
  if (addr === 'localhost') return true;
  const kind = isIP(addr);
  if (kind === 4) return addr.startsWith('127.');
  if (kind === 6) return addr === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(addr) || /^::ffff:127\./i.test(addr);
  return false;
}

export function isWildcard(addr: string): boolean {
  return addr === '0.0.0.0' || addr === '::';
}
