// What `amigate tunnel` carries: one tunnel from the command line, or several
// from a YAML file (several gates, or several users with their own client
// certificates). Both become TunnelSpecs with their files read; every problem
// is reported at once, the file's ones as `file:line: key: message`
// (ConfigInvalidError), the flags' ones as a UsageError.
//
//   tunnels:
//     - name: crm                     # optional label
//       listen: 127.0.0.1:5038        # loopback unless insecure: true
//       connect: gate.example:5039    # an amigate TLS listener
//       ca: ca.crt                    # paths relative to this file
//       cert: crm.crt                 # with key: for listeners with verifyclient
//       key: crm.key
//       servername: gate.example      # default: the connect host

import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfigInvalidError, UsageError, type ConfigProblem } from '../errors.js';
import { isLoopback } from '../config/listeners.js';
import type { TunnelSpec } from './tunnel.js';

/** One tunnel as written (flags or one YAML entry), before its files are read. */
export interface TunnelDraft {
  name?: string | undefined;
  listen?: string | undefined;
  connect?: string | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  servername?: string | undefined;
  insecure?: boolean | undefined;
}

const KEYS = ['name', 'listen', 'connect', 'ca', 'cert', 'key', 'servername', 'insecure'] as const;

/** `host:port`, `[v6]:port`; port 0 to 65535. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  const host = m[1]!;
  if (m[0].startsWith('[') && isIP(host) !== 6) return undefined;
  return { host, port };
}

/**
 * Check one draft: the messages are keyed by the draft's keys. `baseDir`
 * resolves relative file names (the YAML file's folder, or the working directory).
 */
async function checkDraft(d: TunnelDraft, baseDir: string): Promise<{ spec?: TunnelSpec; problems: Array<[key: string, message: string]> }> {
  const problems: Array<[string, string]> = [];
  const listen = d.listen === undefined ? undefined : parseHostPort(d.listen);
  const connect = d.connect === undefined ? undefined : parseHostPort(d.connect);
  if (d.listen === undefined) problems.push(['listen', 'is required (host:port of the local plaintext port)']);
  else if (!listen) problems.push(['listen', `${JSON.stringify(d.listen)} is not host:port`]);
  else if (!isLoopback(listen.host) && d.insecure !== true) {
    problems.push(['listen', `${listen.host} is not a loopback address: the plaintext side would carry secrets across the network; listen on 127.0.0.1 or set insecure`]);
  }
  if (d.connect === undefined) problems.push(['connect', 'is required (host:port of an amigate TLS listener)']);
  else if (!connect || connect.port === 0) problems.push(['connect', `${JSON.stringify(d.connect)} is not host:port`]);
  if (d.ca === undefined) problems.push(['ca', 'is required: the CA that signed the gate\'s certificate (a tunnel that trusts anything protects nothing)']);
  if ((d.cert === undefined) !== (d.key === undefined)) problems.push([d.cert === undefined ? 'cert' : 'key', 'cert and key go together']);
  const files: Partial<Record<'ca' | 'cert' | 'key', Buffer>> = {};
  for (const k of ['ca', 'cert', 'key'] as const) {
    const p = d[k];
    if (p === undefined) continue;
    try {
      files[k] = await readFile(isAbsolute(p) ? p : resolve(baseDir, p));
    } catch (err) {
      problems.push([k, `cannot read ${p} (${(err as { code?: string }).code ?? String(err)})`]);
    }
  }
  if (problems.length > 0 || !listen || !connect || !files.ca) return { problems };
  return {
    problems,
    spec: {
      name: d.name ?? `${d.listen}`,
      listenHost: listen.host, listenPort: listen.port,
      connectHost: connect.host, connectPort: connect.port,
      ca: files.ca,
      ...(files.cert ? { cert: files.cert } : {}),
      ...(files.key ? { key: files.key } : {}),
      ...(d.servername !== undefined ? { servername: d.servername } : {}),
    },
  };
}

/** The tunnel given by flags; a UsageError lists every problem. */
export async function tunnelFromFlags(d: TunnelDraft, usage: string): Promise<TunnelSpec> {
  const { spec, problems } = await checkDraft(d, process.cwd());
  if (!spec) throw new UsageError(problems.map(([k, m]) => `--${k === 'insecure' ? 'insecure' : k}: ${m}`).join('\n') + '\n' + usage);
  return spec;
}

/** The tunnels of a YAML file; ConfigInvalidError names file, line and key of each problem. */
export async function tunnelsFromFile(file: string): Promise<TunnelSpec[]> {
  const abs = resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new ConfigInvalidError(abs, [{ file: abs, line: undefined, key: '(file)', message: `cannot read the file (${(err as { code?: string }).code ?? String(err)})` }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const line = (node: unknown) => ((node as Node | undefined)?.range ? lines.linePos((node as Node).range![0]).line : undefined);
  const problems: ConfigProblem[] = doc.errors.map((e) => ({ file: abs, line: e.linePos?.[0].line, key: '(yaml)', message: e.message.split('\n')[0]! }));
  if (problems.length > 0) throw new ConfigInvalidError(abs, problems);
  const root = doc.contents;
  const list = isMap(root) ? root.get('tunnels', true) : undefined;
  if (!isMap(root) || !isSeq(list) || list.items.length === 0) {
    throw new ConfigInvalidError(abs, [{ file: abs, line: line(root), key: 'tunnels', message: 'is required: a list of tunnels (listen, connect, ca, ...)' }]);
  }
  for (const pair of root.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : '?';
    if (k !== 'tunnels') problems.push({ file: abs, line: line(pair.key), key: k, message: 'unknown key (allowed: tunnels)' });
  }
  const specs: TunnelSpec[] = [];
  const listens = new Map<string, number>();
  for (const [i, item] of list.items.entries()) {
    const at = `tunnels[${i}]`;
    if (!isMap(item)) { problems.push({ file: abs, line: line(item), key: at, message: 'must be a map (listen, connect, ca, ...)' }); continue; }
    const draft: TunnelDraft = {};
    const keyLine = new Map<string, number | undefined>();
    for (const pair of item.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : '?';
      keyLine.set(k, line(pair.key));
      const v = isScalar(pair.value) ? pair.value.value : undefined;
      if (!(KEYS as readonly string[]).includes(k)) { problems.push({ file: abs, line: line(pair.key), key: `${at}.${k}`, message: `unknown key (allowed: ${KEYS.join(', ')})` }); continue; }
      if (k === 'insecure') {
        if (typeof v !== 'boolean') problems.push({ file: abs, line: line(pair.key), key: `${at}.${k}`, message: 'must be true or false' });
        else draft.insecure = v;
      } else if (typeof v === 'string' || (typeof v === 'number' && k === 'name')) {
        draft[k as Exclude<typeof KEYS[number], 'insecure'>] = String(v);
      } else {
        problems.push({ file: abs, line: line(pair.key), key: `${at}.${k}`, message: 'must be a string' });
      }
    }
    const { spec, problems: found } = await checkDraft(draft, dirname(abs));
    for (const [k, message] of found) problems.push({ file: abs, line: keyLine.get(k) ?? line(item), key: `${at}.${k}`, message });
    if (spec) {
      const addr = `${spec.listenHost}:${spec.listenPort}`;
      const first = listens.get(addr);
      if (first !== undefined && spec.listenPort !== 0) problems.push({ file: abs, line: keyLine.get('listen'), key: `${at}.listen`, message: `${addr} is already used by tunnels[${first}]` });
      else listens.set(addr, i);
      specs.push(spec);
    }
  }
  if (problems.length > 0) throw new ConfigInvalidError(abs, problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity)));
  return specs;
}
