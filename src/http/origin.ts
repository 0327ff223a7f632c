// The Origin check of a WebSocket handshake: what stops cross-site WebSocket
// hijacking. A browser lets any page open a WebSocket to any host and sends the
// page's origin in `Origin:`; unlike fetch(), nothing else stops evil.example
// from talking to amigate in a logged-in user's browser. So a handshake is
// accepted only when
//   - it has no Origin header (not a browser: a script, a CLI, a server), or
//   - its Origin is the listener's own origin (the page amigate itself served,
//     e.g. the console: scheme of the listener, the request's Host), or
//   - its Origin is in the listener's `origins` allowlist ('*' allows every origin).
// Everything else, including the opaque origin `null` (sandboxed frames, file:),
// is refused. Origins are compared after URL normalisation (case, default port).

export interface OriginPolicy {
  /** Allowed origins, as configured (`https://ops.example.com`), or '*'. */
  readonly origins: readonly string[];
  /** The listener speaks TLS (its own origin is https:, otherwise http:). */
  readonly tls: boolean;
}

/** 'https://Ops.Example.com:443' -> 'https://ops.example.com'; undefined when it is no http(s) origin. */
export function normalizeOrigin(origin: string): string | undefined {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  // An origin is scheme://host[:port] and nothing more.
  if (u.username !== '' || u.password !== '' || (u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '') return undefined;
  return u.origin;
}

/** Compiled once per listener: the normalised allowlist. */
export class OriginCheck {
  private readonly any: boolean;
  private readonly allowed: ReadonlySet<string>;
  private readonly scheme: string;

  constructor(policy: OriginPolicy) {
    this.any = policy.origins.includes('*');
    this.allowed = new Set(policy.origins.map((o) => normalizeOrigin(o)).filter((o): o is string => o !== undefined));
    this.scheme = policy.tls ? 'https:' : 'http:';
  }

  /** May a handshake with these `Origin` and `Host` headers go on? */
  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    if (this.any) return true;
    const o = normalizeOrigin(origin);
    if (o === undefined) return false;
    if (this.allowed.has(o)) return true;
    if (host === undefined || host === '') return false;
    return normalizeOrigin(this.scheme + '//' + host) === o;
  }
}
