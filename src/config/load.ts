// Read the YAML file -> parse keeping source positions (yaml-source.ts) ->
// JSON Schema (ajv, defaults from DEFAULTS; schema-problems.ts) -> semantic
// checks and resolution per section (listeners.ts, upstreams.ts, users.ts,
// cluster-schema.ts; secrets.ts for {env}/{file} secrets, paths relative to
// the file) -> deep-freeze. Every problem is collected and reported together
// as `file:line: key.path: message` through ConfigInvalidError; findings that
// do not stop the proxy come back as warnings. This file owns that sequence
// and the general:, admin: and log: checks. Only main.ts, proxy.ts and the CLI
// call it; other modules get the Config.

import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigInvalidError, type ConfigProblem } from '../errors.js';
import { parseBanner } from '../protocol/banner.js';
import { compileLinearRegex } from '../policy/linear-regex.js';
import { resolveCluster } from './cluster-schema.js';
import type { AdminConfig, Config, GeneralConfig, ListenerConfig, LoadedConfig, LogConfig } from './schema.js';
import { isLoopback, isWildcard, resolveListeners } from './listeners.js';
import { keyPath, parseKeyPath, related, type Path } from './key-path.js';
import { errText, fsErrText, type Json, type SectionContext } from './section-context.js';
import { resolveSecret } from './secrets.js';
import { YamlSource } from './yaml-source.js';
import { schemaProblems, validate } from './schema-problems.js';
import { resolveUpstreams } from './upstreams.js';
import { resolveUsers } from './users.js';

// Other modules (tunnel config) import the loopback test from here; tests import the key paths.
export { isLoopback };
export { keyPath, parseKeyPath };

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

class LoadContext implements SectionContext {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: string[] = [];
  private readonly source: YamlSource;
  private readonly baseDir: string;

  constructor(text: string, private readonly file: string, private readonly env: NodeJS.ProcessEnv) {
    this.source = new YamlSource(text, file);
    this.baseDir = dirname(resolve(file));
  }

  async run(): Promise<LoadedConfig> {
    this.problems.push(...this.source.syntaxProblems());
    this.fail();
    const parsed = this.source.toData();
    if ('problem' in parsed) this.problems.push(parsed.problem);
    this.fail();
    let data = 'data' in parsed ? parsed.data : undefined;
    if (data === null || data === undefined) data = {};
    const schema = schemaProblems(validate(data), this.file, (path, keyOf) => this.source.lineOf(path, keyOf));
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
    return { config: deepFreeze(config), warnings: this.warnings, lineOf: (key) => this.source.lineOf(parseKeyPath(key)) };
  }

  private fail(): void {
    if (this.problems.length === 0) return;
    const sorted = this.problems.map((p, i) => [p, i] as const)
      .sort(([a, i], [b, j]) => (a.line ?? Infinity) - (b.line ?? Infinity) || i - j)
      .map(([p]) => p);
    throw new ConfigInvalidError(this.file, sorted);
  }

  // --- what the section checks are lent (SectionContext) ---------------------------

  problem(path: Path, message: string, keyOf?: string): void {
    const full = keyOf === undefined ? path : [...path, keyOf];
    this.problems.push({ file: this.file, line: this.source.lineOf(path, keyOf), key: keyPath(full), message });
  }

  warn(path: Path, message: string): void {
    this.warnings.push(`${this.file}:${this.source.lineOf(path) ?? '?'}: ${keyPath(path)}: ${message}`);
  }

  path(p: string): string {
    return isAbsolute(p) ? p : resolve(this.baseDir, p);
  }

  secret(value: unknown, path: Path): Promise<string | undefined> {
    return resolveSecret(value, path, { env: this.env, path: (p) => this.path(p), problem: (at, m) => this.problem(at, m) });
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
    const listeners = resolveListeners(data['listeners'] as Json[], this);
    const upstreams = await resolveUpstreams(data['upstreams'] as Json[], this);
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
    const users = await resolveUsers(data['users'] as Record<string, Json>, this, general, upstreams, listeners);
    const cluster = await resolveCluster(data['cluster'] as Json | undefined, this);
    return { file: this.file, general, listeners, upstreams, admin, log, users, ...(cluster ? { cluster } : {}) };
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
}

/** Freeze plain objects and arrays all the way down. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
