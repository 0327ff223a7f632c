// What a reload changes (proxy.ts reload()): whether a user's entry is the same
// in both configs, and which changed keys a running process cannot apply.
// Pure: two frozen Configs in, an answer out.

import type { Config } from './schema.js';

/** Is a user's entry the same in both configs (names are case-insensitive)? */
export function sameUserEntry(a: Config, b: Config, name: string): boolean {
  const entry = (c: Config) => {
    const key = Object.keys(c.users).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : JSON.stringify(c.users[key]);
  };
  return entry(a) === entry(b);
}

/**
 * Keys a reload cannot apply to a running process (docs/operations.md): listener
 * addresses, protocols, HTTP and PROXY protocol settings, added or removed listeners, upstreams, the admin port and the log
 * output. Listed so the operator is told, not silently ignored.
 */
export function restartOnlyChanges(a: Config, b: Config): string[] {
  const out: string[] = [];
  const addr = (c: Config) => JSON.stringify(c.listeners.map((l) => [l.name, l.protocol, l.bindaddr, l.port, l.http, l.websocket, l.console, l.proxyprotocol, l.trustedproxies]));
  if (addr(a) !== addr(b)) out.push('listeners');
  if (JSON.stringify(a.upstreams) !== JSON.stringify(b.upstreams)) out.push('upstreams');
  if (JSON.stringify(a.admin) !== JSON.stringify(b.admin)) out.push('admin');
  if (JSON.stringify(a.cluster) !== JSON.stringify(b.cluster)) out.push('cluster');
  for (const k of ['level', 'file', 'pretty'] as const) if (a.log[k] !== b.log[k]) out.push(`log.${k}`);
  return out;
}
