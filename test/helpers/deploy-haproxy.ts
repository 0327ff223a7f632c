// The documented HAProxy configuration (deploy/haproxy/haproxy.cfg) with its
// ${VARIABLES} filled in, so the cluster tests run the very file the docs
// ship. Every variable the file uses must be given (and every one given must be
// used): a renamed placeholder fails the test instead of silently testing less.

import { readFile } from 'node:fs/promises';

export const DEPLOY_HAPROXY_CFG = new URL('../../deploy/haproxy/haproxy.cfg', import.meta.url);

export interface DeployPorts {
  front: { ami: number; tls: number; http: number };
  /** amigate1 and amigate2 (the same instance twice is fine). */
  instances: [DeployInstance, DeployInstance];
}
export interface DeployInstance { ami: number; tls: number; http: number; admin: number }

/**
 * The file's text for these ports, all on 127.0.0.1. `sendProxy: 'v1'` swaps
 * send-proxy-v2 for send-proxy (HAProxy's v1 text header), as the file's
 * header comment tells operators to.
 */
export async function deployHaproxyConfig(ports: DeployPorts, opts: { sendProxy?: 'v1' | 'v2' } = {}): Promise<string> {
  let text = await readFile(DEPLOY_HAPROXY_CFG, 'utf8');
  const vars: Record<string, string> = {
    FRONT_ADDR: '127.0.0.1',
    FRONT_AMI_PORT: String(ports.front.ami), FRONT_TLS_PORT: String(ports.front.tls), FRONT_HTTP_PORT: String(ports.front.http),
  };
  ports.instances.forEach((p, i) => {
    const n = `AMIGATE${i + 1}`;
    vars[`${n}_ADDR`] = '127.0.0.1';
    vars[`${n}_AMI_PORT`] = String(p.ami);
    vars[`${n}_TLS_PORT`] = String(p.tls);
    vars[`${n}_HTTP_PORT`] = String(p.http);
    vars[`${n}_ADMIN_PORT`] = String(p.admin);
  });
  const used = new Set<string>();
  text = text.replace(/\$\{(\w+)\}/g, (_m, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`deploy/haproxy/haproxy.cfg uses \${${name}}, which the test does not fill in`);
    used.add(name);
    return v;
  });
  const unused = Object.keys(vars).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`deploy/haproxy/haproxy.cfg no longer uses ${unused.join(', ')}`);
  if (opts.sendProxy === 'v1') {
    const n = text.match(/\bsend-proxy-v2\b/g)?.length ?? 0;
    if (n === 0) throw new Error('deploy/haproxy/haproxy.cfg has no send-proxy-v2 to switch to v1');
    text = text.replace(/\bsend-proxy-v2\b/g, 'send-proxy');
  }
  return text;
}
