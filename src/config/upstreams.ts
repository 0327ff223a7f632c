// Semantic checks and resolution of `upstreams:` (after the schema): names
// unique, secrets resolved, the CA path resolved against the config file, and
// warnings for an unverified certificate or an upstream reached without TLS
// off loopback. Problems go through the loader's reporter (file, line, key).

import type { UpstreamConfig } from './upstream-schema.js';
import { isLoopback } from './listeners.js';
import type { Json, SectionContext } from './section-context.js';

export async function resolveUpstreams(list: Json[], ctx: SectionContext): Promise<UpstreamConfig[]> {
  const out: UpstreamConfig[] = [];
  const names = new Map<string, number>();
  for (let i = 0; i < list.length; i++) {
    const u = list[i]!;
    const at = ['upstreams', i];
    const name = typeof u['name'] === 'string' ? u['name'] : `${String(u['host'])}:${String(u['port'])}`;
    if (names.has(name)) ctx.problem([...at, 'name'], `duplicate upstream name ${JSON.stringify(name)} (also upstreams[${names.get(name)}])`);
    names.set(name, i);
    const secret = await ctx.secret(u['secret'], [...at, 'secret']);
    const t = u['tls'] as Json | undefined;
    out.push({
      name,
      host: String(u['host']),
      port: u['port'] as number,
      username: String(u['username']),
      secret: secret ?? '',
      connections: u['connections'] as number,
      ...(t ? {
        tls: {
          ...(typeof t['cafile'] === 'string' ? { cafile: ctx.path(t['cafile']) } : {}),
          ...(typeof t['servername'] === 'string' ? { servername: t['servername'] } : {}),
          rejectunauthorized: t['rejectunauthorized'] as boolean,
        },
      } : {}),
      keepalive: u['keepalive'] as number,
      keepalivemisses: u['keepalivemisses'] as number,
      ...(typeof u['maxpendingactions'] === 'number' ? { maxpendingactions: u['maxpendingactions'] } : {}),
      maxlinebytes: u['maxlinebytes'] as number,
      maxheaders: u['maxheaders'] as number,
      boottimeout: u['boottimeout'] as number,
    });
    if (t && t['rejectunauthorized'] === false) ctx.warn([...at, 'tls', 'rejectunauthorized'], `upstream ${JSON.stringify(name)}: the server certificate is not verified`);
    if (!t && !isLoopback(String(u['host']))) ctx.warn(at, `upstream ${JSON.stringify(name)} at ${String(u['host'])} is reached without tls: its secret and all events cross the network unencrypted`);
  }
  return out;
}
