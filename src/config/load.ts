// Read the YAML file -> parse keeping source positions -> JSON Schema (ajv,
// defaults from DEFAULTS) -> semantic checks and resolution ({env}/{file}
// secrets, paths relative to the file) -> deep-freeze. Every problem is
// collected and reported together as `file:line: key.path: message` through
// ConfigInvalidError; findings that do not stop the proxy come back as warnings.
// Only main.ts, proxy.ts and the CLI call this; other modules get the Config.

import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigInvalidError, type ConfigProblem } from '../errors.js';
import { parseBanner } from '../protocol/banner.js';
import { CLASS_NAMES, classBit, parsePermString, ALL } from '../protocol/privileges.js';
import { parseAclEntry } from '../policy/acl.js';
import { compileCommandPattern } from '../policy/action-policy.js';
import { normalizeSubject } from '../auth/subject.js';
import { ActionPrivilegeTable } from '../policy/action-privileges.js';
import { compileFilter } from '../policy/event-filter.js';
import { compileLinearRegex } from '../policy/linear-regex.js';
import { parseSecretHash, isSecretHash } from '../auth/secret-hash.js';
import { checkScope } from './scope-check.js';
import { resolveCluster } from './cluster-schema.js';
import {
  CONFIG_SCHEMA, type AdminConfig, type Config, type FilterSpec, type GeneralConfig, type ListenerConfig,
  type LoadedConfig, type LogConfig, type UpstreamConfig, type UserConfig,
} from './schema.js';
import { isLoopback, isWildcard, resolveListeners } from './listeners.js';

// Other modules (tunnel config) import the loopback test from here.
export { isLoopback };

type Path = ReadonlyArray<string | number>;
type Json = Record<string, unknown>;

let validator: ReturnType<Ajv['compile']> | undefined;

function validate(data: unknown): ErrorObject[] {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true, allowUnionTypes: true });
    // Annotation only: the wording used when an anyOf fails (see schemaProblems()).
    ajv.addKeyword('expect');
    validator = ajv.compile(CONFIG_SCHEMA);
  }
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

/** Read and load a config file (async I/O). Throws ConfigInvalidError listing every problem. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const abs = resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new ConfigInvalidError(abs, [{ file: abs, line: undefined, key: '(file)', message: `cannot read the file (${fsErrText(err)})` }]);
  }
  return parseConfig(text, abs, env);
}

/**
 * Load from text. `file` names the source in messages; relative paths in the
 * config (certificates, { file: } secrets, the log file) resolve against its folder.
 */
export async function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const ctx = new LoadContext(text, file, env);
  return ctx.run();
}

class LoadContext {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: string[] = [];
  private readonly lines = new LineCounter();
  private readonly doc: Document.Parsed;
  private readonly baseDir: string;

  constructor(text: string, private readonly file: string, private readonly env: NodeJS.ProcessEnv) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: true, uniqueKeys: true });
    this.baseDir = dirname(resolve(file));
  }

  async run(): Promise<LoadedConfig> {
    for (const e of this.doc.errors) {
      const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      this.problems.push({ file: this.file, line: e.linePos?.[0].line, key: '(yaml)', message: first });
    }
    this.fail();
    let data: unknown;
    try {
      data = this.doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      this.problems.push({ file: this.file, line: undefined, key: '(yaml)', message: errText(err) });
    }
    this.fail();
    if (data === null || data === undefined) data = {};
    const schema = this.schemaProblems(validate(data));
    if (schema.length > 0) {
      // Still run the semantic checks so every problem is reported at once, but
      // keep only findings about keys the schema had no complaint about (the
      // checks assume well-typed input and may stumble on the rest).
      this.problems.push(...schema);
      if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
        const before = this.problems.length;
        try { await this.build(data as Json); } catch { /* reported by the schema already */ }
        const extra = this.problems.splice(before);
        const bad = schema.map((p) => p.key);
        this.problems.push(...extra.filter((p) => !bad.some((k) => related(k, p.key))));
      }
      this.fail();
    }
    const config = await this.build(data as Json);
    this.fail();
    return { config: deepFreeze(config), warnings: this.warnings, lineOf: (key) => this.lineOf(parseKeyPath(key)) };
  }

  private fail(): void {
    if (this.problems.length === 0) return;
    const sorted = this.problems.map((p, i) => [p, i] as const)
      .sort(([a, i], [b, j]) => (a.line ?? Infinity) - (b.line ?? Infinity) || i - j)
      .map(([p]) => p);
    throw new ConfigInvalidError(this.file, sorted);
  }

  // --- positions and messages -------------------------------------------------

  /**
   * Line of the key that introduces `path` (or of the list item), falling back
   * to the nearest ancestor that exists (a missing required key points at its parent).
   */
  private lineOf(path: Path, keyOf?: string): number | undefined {
    const full = keyOf === undefined ? path : [...path, keyOf];
    for (let n = full.length; n > 0; n--) {
      const parent = n === 1 ? this.doc.contents : this.doc.getIn(full.slice(0, n - 1), true);
      const last = full[n - 1];
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
        if (pair && isNode(pair.key)) return this.linePos(pair.key as Node);
      } else if (isSeq(parent) && typeof last === 'number') {
        const item = parent.items[last];
        if (isNode(item)) return this.linePos(item as Node);
      }
    }
    return isNode(this.doc.contents) ? this.linePos(this.doc.contents as Node) : undefined;
  }

  private linePos(node: Node): number | undefined {
    return node.range ? this.lines.linePos(node.range[0]).line : undefined;
  }

  problem(path: Path, message: string, keyOf?: string): void {
    const full = keyOf === undefined ? path : [...path, keyOf];
    this.problems.push({ file: this.file, line: this.lineOf(path, keyOf), key: keyPath(full), message });
  }

  warn(path: Path, message: string): void {
    this.warnings.push(`${this.file}:${this.lineOf(path) ?? '?'}: ${keyPath(path)}: ${message}`);
  }

  private schemaProblems(errors: ErrorObject[]): ConfigProblem[] {
    // An anyOf that failed reports once, in its own words; its branches' errors are noise.
    const anyOfs = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath + '/');
    const out: ConfigProblem[] = [];
    const seen = new Set<string>();
    for (const e of errors) {
      if (anyOfs.some((prefix) => e.schemaPath.startsWith(prefix))) continue;
      if (e.propertyName !== undefined && e.keyword !== 'propertyNames') continue;
      const path = parsePointer(e.instancePath);
      let keyOf: string | undefined;
      let message: string;
      switch (e.keyword) {
        case 'additionalProperties':
          keyOf = String(e.params['additionalProperty']);
          message = `unknown key (allowed: ${Object.keys((e.parentSchema as Json)?.['properties'] as Json ?? {}).join(', ')})`;
          break;
        case 'required':
          keyOf = String(e.params['missingProperty']);
          message = 'is required';
          break;
        case 'propertyNames':
          keyOf = String(e.params['propertyName']);
          message = 'user names are 1 to 79 printable ASCII characters without blanks';
          break;
        case 'anyOf':
          message = `must be ${String((e.parentSchema as Json)['expect'] ?? 'of another type')}`;
          break;
        case 'enum':
          message = `must be one of: ${(e.params['allowedValues'] as unknown[]).join(', ')}`;
          break;
        case 'minItems':
          message = `must have at least ${String(e.params['limit'])} entr${e.params['limit'] === 1 ? 'y' : 'ies'}`;
          break;
        default:
          message = e.message ?? e.keyword;
      }
      const p: ConfigProblem = { file: this.file, line: this.lineOf(path, keyOf), key: keyPath(keyOf === undefined ? path : [...path, keyOf]), message };
      const id = `${p.key}\0${p.message}`;
      if (!seen.has(id)) { seen.add(id); out.push(p); }
    }
    return out;
  }

  // --- resolution -------------------------------------------------------------------

  private path(p: string): string {
    return isAbsolute(p) ? p : resolve(this.baseDir, p);
  }

  /** A literal, { env: NAME } or { file: path } -> the secret text; undefined after recording a problem. */
  async secret(value: unknown, path: Path): Promise<string | undefined> {
    let out: string | undefined;
    if (typeof value === 'string') {
      out = value;
    } else if (value && typeof value === 'object' && 'env' in value) {
      const name = String((value as Json)['env']);
      out = this.env[name];
      if (out === undefined || out === '') {
        this.problem(path, `environment variable ${name} is ${out === undefined ? 'not set' : 'empty'}`);
        return undefined;
      }
    } else if (value && typeof value === 'object' && 'file' in value) {
      const f = this.path(String((value as Json)['file']));
      try {
        // A trailing newline (echo, editors) is not part of the secret.
        out = (await readFile(f, 'utf8')).replace(/(\r?\n)+$/, '');
      } catch (err) {
        this.problem(path, `cannot read secret file ${f} (${fsErrText(err)})`);
        return undefined;
      }
      if (out === '') {
        this.problem(path, `secret file ${f} is empty`);
        return undefined;
      }
    }
    if (out !== undefined && /[\r\n]/.test(out)) {
      this.problem(path, 'must not contain CR or LF (no AMI client can send it)');
      return undefined;
    }
    return out;
  }

  // --- the whole file ----------------------------------------------------------------

  private async build(data: Json): Promise<Config> {
    const general = data['general'] as GeneralConfig;
    if (general.banner !== 'auto' && parseBanner(general.banner) === undefined) {
      this.problem(['general', 'banner'], "must be 'auto' or `Asterisk Call Manager/<version>` (clients check that prefix, S1)");
    }
    if (general.authlimitperip > general.authlimit) {
      this.warn(['general', 'authlimitperip'], `${general.authlimitperip} is above authlimit (${general.authlimit}): one address can still hold every pre-authentication slot`);
    }
    const listeners = resolveListeners(data['listeners'] as Json[], { problem: (p, m, k) => this.problem(p, m, k), warn: (p, m) => this.warn(p, m), path: (p) => this.path(p) });
    const upstreams = await this.upstreams(data['upstreams'] as Json[]);
    const admin = this.admin(data['admin'] as Json | undefined, listeners);
    const logData = data['log'] as Json;
    const log: LogConfig = {
      level: logData['level'] as LogConfig['level'],
      file: typeof logData['file'] === 'string' ? this.path(logData['file']) : null,
      pretty: logData['pretty'] as boolean,
      sensitive: (logData['sensitive'] as string[] | undefined) ?? [],
      auditheaders: (logData['auditheaders'] as string[] | null | undefined) ?? null,
      auditactions: (logData['auditactions'] as LogConfig['auditactions'] | undefined) ?? 'all',
    };
    log.sensitive.forEach((src, i) => {
      // Matched against client-supplied header values on every audited action: the linear-time engine.
      try {
        compileLinearRegex(src, { ignoreCase: true });
      } catch (err) {
        this.problem(['log', 'sensitive', i], errText(err));
      }
    });
    const users = await this.users(data['users'] as Record<string, Json>, general, upstreams, listeners);
    const cluster = await resolveCluster(data['cluster'] as Json | undefined, { problem: (p, m, k) => this.problem(p, m, k), warn: (p, m) => this.warn(p, m), secret: (v, p) => this.secret(v, p) });
    return { file: this.file, general, listeners, upstreams, admin, log, users, ...(cluster ? { cluster } : {}) };
  }

  private async upstreams(list: Json[]): Promise<UpstreamConfig[]> {
    const out: UpstreamConfig[] = [];
    const names = new Map<string, number>();
    for (let i = 0; i < list.length; i++) {
      const u = list[i]!;
      const at = ['upstreams', i];
      const name = typeof u['name'] === 'string' ? u['name'] : `${String(u['host'])}:${String(u['port'])}`;
      if (names.has(name)) this.problem([...at, 'name'], `duplicate upstream name ${JSON.stringify(name)} (also upstreams[${names.get(name)}])`);
      names.set(name, i);
      const secret = await this.secret(u['secret'], [...at, 'secret']);
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
            ...(typeof t['cafile'] === 'string' ? { cafile: this.path(t['cafile']) } : {}),
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
      if (t && t['rejectunauthorized'] === false) this.warn([...at, 'tls', 'rejectunauthorized'], `upstream ${JSON.stringify(name)}: the server certificate is not verified`);
      if (!t && !isLoopback(String(u['host']))) this.warn(at, `upstream ${JSON.stringify(name)} at ${String(u['host'])} is reached without tls: its secret and all events cross the network unencrypted`);
    }
    return out;
  }

  private admin(a: Json | undefined, listeners: readonly ListenerConfig[]): AdminConfig | undefined {
    if (!a) return undefined;
    const bindaddr = String(a['bindaddr']);
    const port = a['port'] as number;
    if (!isIP(bindaddr)) this.problem(['admin', 'bindaddr'], `${JSON.stringify(bindaddr)} is not an IP address`);
    else if (!isLoopback(bindaddr)) this.warn(['admin', 'bindaddr'], `metrics and health are served without authentication on ${bindaddr}:${port}`);
    const clash = listeners.findIndex((l) => port !== 0 && l.port === port && (l.bindaddr === bindaddr || isWildcard(l.bindaddr) || isWildcard(bindaddr)));
    if (clash >= 0) this.problem(['admin', 'port'], `port ${port} is already used by listeners[${clash}] (${listeners[clash]!.name})`);
    return { bindaddr, port };
  }

  private async users(users: Record<string, Json>, general: GeneralConfig, upstreams: readonly UpstreamConfig[], listeners: readonly ListenerConfig[]): Promise<Record<string, UserConfig>> {
    const out: Record<string, UserConfig> = {};
    const lower = new Map<string, string>();
    const upstreamNames = new Set(upstreams.map((u) => u.name));
    const anyVerifyClient = listeners.some((l) => l.tls?.verifyclient);
    const table = new ActionPrivilegeTable();
    for (const [name, u] of Object.entries(users)) {
      const at = ['users', name];
      const prev = lower.get(name.toLowerCase());
      if (prev !== undefined) this.problem(at, `same name as user ${JSON.stringify(prev)}: user names are case-insensitive (as in Asterisk)`);
      lower.set(name.toLowerCase(), name);

      let secret: string | undefined;
      if (u['secret'] === undefined) {
        this.warn(at, 'no secret: this user cannot log in');
      } else {
        secret = await this.secret(u['secret'], [...at, 'secret']);
        if (secret !== undefined && isSecretHash(secret)) {
          const h = parseSecretHash(secret);
          if (typeof h === 'string') this.problem([...at, 'secret'], `invalid $scrypt$ hash: ${h}`);
        }
      }

      const read = this.perm(u['read'], [...at, 'read']);
      const write = this.perm(u['write'], [...at, 'write']);
      const deny = this.acl(u['deny'], [...at, 'deny'], 'deny');
      const permit = this.acl(u['permit'], [...at, 'permit'], 'permit');
      // A `!` permit entry is a deny (the ordered form the importer writes).
      if (permit.length > 0 && deny.length === 0 && !permit.some((e) => e.startsWith('!'))) {
        this.warn([...at, 'permit'], 'permit without deny restricts nothing: Asterisk\'s ACL starts from "allow"; add deny: [0.0.0.0/0.0.0.0, ::/0]');
      }
      const eventfilter = this.filters(u['eventfilter'] as unknown[] | undefined, [...at, 'eventfilter']);

      const actions = (u['actions'] ?? {}) as { allow?: string[]; deny?: string[] };
      const commands = (u['commands'] ?? {}) as { allow?: string[]; deny?: string[] };
      const originate = (u['originate'] ?? {}) as { contexts?: string[]; applications?: string[] };
      this.names(actions.allow, [...at, 'actions', 'allow'], /^[^\s:]+$/, 'an action name');
      this.names(actions.deny, [...at, 'actions', 'deny'], /^[^\s:]+$/, 'an action name');
      this.names(originate.contexts, [...at, 'originate', 'contexts'], /^\S+$/, 'a context name');
      this.names(originate.applications, [...at, 'originate', 'applications'], /^\S+$/, 'an application name');
      for (const kind of ['allow', 'deny'] as const) {
        (commands[kind] ?? []).forEach((src, i) => {
          try {
            compileCommandPattern(src);
          } catch (err) {
            this.problem([...at, 'commands', kind, i], errText(err));
          }
        });
      }
      const writeMask = parsePermString(write);
      for (const a of actions.allow ?? []) {
        const authority = table.get(a);
        if (authority !== undefined && authority !== 0 && (authority & writeMask) === 0) {
          this.warn([...at, 'actions', 'allow'], `${a} needs one of the write classes ${classNames(authority)}, which write does not grant`);
        }
        if (actions.deny?.some((d) => d.toLowerCase() === a.toLowerCase())) this.warn([...at, 'actions'], `${a} is in both allow and deny; deny wins`);
      }
      if ((commands.allow || commands.deny) && (writeMask & (1 << 4)) === 0) this.warn([...at, 'commands'], 'commands rules have no effect: write does not grant the command class');
      if (u['originate'] && (writeMask & (1 << 12)) === 0) this.warn([...at, 'originate'], 'originate rules have no effect: write does not grant the originate class');
      if (u['expressions'] === 'allow' && (writeMask & 1) !== 0) this.warn([...at, 'expressions'], 'has no effect: write grants system, which is never refused expressions');

      for (const [i, up] of ((u['upstreams'] ?? []) as string[]).entries()) {
        if (!upstreamNames.has(up)) this.problem([...at, 'upstreams', i], `unknown upstream ${JSON.stringify(up)} (configured: ${[...upstreamNames].join(', ')})`);
      }
      const cert = u['certificate'] as { subject?: string; fingerprint256?: string } | undefined;
      if (cert && !anyVerifyClient) this.warn([...at, 'certificate'], 'no listener has tls.verifyclient: true, so this user can never present a verified certificate and cannot log in');
      if (cert?.subject !== undefined && normalizeSubject(cert.subject) === undefined) {
        this.problem([...at, 'certificate', 'subject'], 'not a subject: write TYPE=value pairs separated by commas, e.g. CN=crm.example,O=Example (escape a comma in a value as \\,)');
      }

      const allowmultiplelogin = (u['allowmultiplelogin'] as boolean | undefined) ?? general.allowmultiplelogin;
      const maxsessions = u['maxsessions'] as number;
      if (!allowmultiplelogin && maxsessions > 1) this.warn([...at, 'maxsessions'], 'ignored: allowmultiplelogin is false, so at most one session');

      out[name] = {
        name,
        secret,
        read,
        write,
        permit,
        deny,
        eventfilter,
        allowmultiplelogin,
        maxsessions,
        writetimeout: (u['writetimeout'] as number | undefined) ?? general.writetimeout,
        displayconnects: (u['displayconnects'] as boolean | undefined) ?? general.displayconnects,
        actions: { allow: actions.allow, deny: actions.deny ?? [] },
        commands: { allow: commands.allow, deny: commands.deny ?? [] },
        originate: { contexts: originate.contexts, applications: originate.applications },
        certificate: cert ? {
          ...(cert.subject !== undefined ? { subject: cert.subject } : {}),
          ...(cert.fingerprint256 !== undefined ? { fingerprint256: cert.fingerprint256.toUpperCase() } : {}),
        } : undefined,
        upstreams: u['upstreams'] as string[] | undefined,
        serverheader: u['serverheader'] as boolean,
        logevents: (u['logevents'] as boolean | undefined) ?? false,
        expressions: (u['expressions'] as 'allow' | 'deny' | undefined) ?? 'deny',
        // [scope] tenant scoping (docs/tenants.md)
        ...(u['scope'] !== undefined ? { scope: checkScope(u['scope'] as Json, [...at, 'scope'], this) } : {}),
      };
    }
    return out;
  }

  /**
   * read=/write= keep manager.conf's meaning (parsePermString(): case-sensitive,
   * blanks kept, prefix matching, an empty item grants all, S16). Where that
   * differs from what the text seems to say, warn.
   */
  private perm(value: unknown, path: Path): string {
    if (value === undefined || value === null) return '';
    const text = Array.isArray(value) ? value.join(',') : String(value);
    if (text === '') return text; // `write: ""` = no classes, as in manager.conf
    const actual = parsePermString(text);
    let meant = 0;
    const unknown: string[] = [];
    for (const token of text.split(',')) {
      const t = token.trim().toLowerCase();
      const bit = classBit(t);
      if (bit === undefined) unknown.push(token);
      else meant |= bit;
    }
    if (actual !== meant) {
      this.warn(path, `${JSON.stringify(text)} means "${classNames(actual)}" (manager.conf rules: case-sensitive, blanks kept, prefix matching, an empty item grants all), not "${classNames(meant)}"`);
    } else if (unknown.length > 0) {
      this.warn(path, `unknown class ${unknown.map((u) => JSON.stringify(u)).join(', ')} ignored (classes: ${CLASS_NAMES.join(', ')}, all, none)`);
    }
    return text;
  }

  private acl(value: unknown, path: Path, sense: 'permit' | 'deny'): string[] {
    if (value === undefined || value === null) return [];
    const list = Array.isArray(value) ? (value as string[]) : [String(value)];
    const out: string[] = [];
    list.forEach((item, i) => {
      // ast_append_ha() also takes comma-separated lists.
      for (const entry of item.split(',')) {
        const r = parseAclEntry(entry, sense);
        if (r.ok) out.push(entry.trim());
        else this.problem(Array.isArray(value) ? [...path, i] : path, r.error);
      }
    });
    return out;
  }

  private filters(list: unknown[] | undefined, path: Path): FilterSpec[] {
    const out: FilterSpec[] = [];
    (list ?? []).forEach((f, i) => {
      const spec: FilterSpec = typeof f === 'string' ? f : { matchcriteria: String((f as Json)['matchcriteria']), filter: String((f as Json)['filter'] ?? '') };
      try {
        compileFilter(typeof spec === 'string' ? spec : { ...spec });
        out.push(spec);
      } catch (err) {
        this.problem([...path, i], errText(err));
      }
    });
    return out;
  }

  private names(list: readonly string[] | undefined, path: Path, re: RegExp, what: string): void {
    (list ?? []).forEach((n, i) => {
      if (!re.test(n)) this.problem([...path, i], `${JSON.stringify(n)} is not ${what}`);
    });
  }
}

// --- helpers --------------------------------------------------------------------------

function parsePointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => {
    const t = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^(0|[1-9][0-9]*)$/.test(t) ? Number(t) : t;
  });
}

/** `listeners[0].tls.certfile`; the root is `(root)`. */
export function keyPath(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : (out ? '.' : '') + p;
  return out || '(root)';
}

/** `listeners[1].tls.certfile` -> ['listeners', 1, 'tls', 'certfile'] (the inverse of keyPath()). */
export function parseKeyPath(key: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of key.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

/** One key path is the other or inside it. */
function related(a: string, b: string): boolean {
  const inside = (x: string, y: string) => x === y || x.startsWith(y + '.') || x.startsWith(y + '[') || y === '(root)';
  return inside(a, b) || inside(b, a);
}

function classNames(mask: number): string {
  if (mask === ALL) return 'all';
  const names = CLASS_NAMES.filter((n) => (mask & classBit(n)!) !== 0);
  return names.length === 0 ? 'none' : names.join(',');
}

/** `ENOENT` rather than Node's message, which repeats the path. */
function fsErrText(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : errText(err);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Freeze plain objects and arrays all the way down. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
