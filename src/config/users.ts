// Semantic checks and resolution of `users:` (after the schema): names unique
// case-insensitively, secrets resolved and $scrypt$ hashes parsed, read/write
// classes with manager.conf's meaning (warned where it differs from the text),
// ACLs, event filters, command patterns, upstream names, certificate subjects,
// the tenant scope (scope-check.ts), and warnings for rules that cannot apply.

import { CLASS_NAMES, classBit, parsePermString, ALL } from '../protocol/privileges.js';
import { parseAclEntry } from '../policy/acl.js';
import { compileCommandPattern } from '../policy/action-policy.js';
import { normalizeSubject } from '../auth/subject.js';
import { ActionPrivilegeTable } from '../policy/action-privileges.js';
import { compileFilter } from '../policy/event-filter.js';
import { parseSecretHash, isSecretHash } from '../auth/secret-hash.js';
import { checkScope } from './scope-check.js';
import type { GeneralConfig } from './general-schema.js';
import type { ListenerConfig } from './listener-schema.js';
import type { UpstreamConfig } from './upstream-schema.js';
import type { FilterSpec, UserConfig } from './user-schema.js';
import type { Path } from './key-path.js';
import { errText, type Json, type SectionContext } from './section-context.js';

export async function resolveUsers(users: Record<string, Json>, ctx: SectionContext, general: GeneralConfig, upstreams: readonly UpstreamConfig[], listeners: readonly ListenerConfig[]): Promise<Record<string, UserConfig>> {
  const out: Record<string, UserConfig> = {};
  const lower = new Map<string, string>();
  const upstreamNames = new Set(upstreams.map((u) => u.name));
  const anyVerifyClient = listeners.some((l) => l.tls?.verifyclient);
  const table = new ActionPrivilegeTable();
  for (const [name, u] of Object.entries(users)) {
    const at = ['users', name];
    const prev = lower.get(name.toLowerCase());
    if (prev !== undefined) ctx.problem(at, `same name as user ${JSON.stringify(prev)}: user names are case-insensitive (as in Asterisk)`);
    lower.set(name.toLowerCase(), name);

    let secret: string | undefined;
    if (u['secret'] === undefined) {
      ctx.warn(at, 'no secret: this user cannot log in');
    } else {
      secret = await ctx.secret(u['secret'], [...at, 'secret']);
      if (secret !== undefined && isSecretHash(secret)) {
        const h = parseSecretHash(secret);
        if (typeof h === 'string') ctx.problem([...at, 'secret'], `invalid $scrypt$ hash: ${h}`);
      }
    }

    const read = perm(ctx, u['read'], [...at, 'read']);
    const write = perm(ctx, u['write'], [...at, 'write']);
    const deny = acl(ctx, u['deny'], [...at, 'deny'], 'deny');
    const permit = acl(ctx, u['permit'], [...at, 'permit'], 'permit');
    // A `!` permit entry is a deny (the ordered form the importer writes).
    if (permit.length > 0 && deny.length === 0 && !permit.some((e) => e.startsWith('!'))) {
      ctx.warn([...at, 'permit'], 'permit without deny restricts nothing: Asterisk\'s ACL starts from "allow"; add deny: [0.0.0.0/0.0.0.0, ::/0]');
    }
    const eventfilter = filters(ctx, u['eventfilter'] as unknown[] | undefined, [...at, 'eventfilter']);

    const actions = (u['actions'] ?? {}) as { allow?: string[]; deny?: string[] };
    const commands = (u['commands'] ?? {}) as { allow?: string[]; deny?: string[] };
    const originate = (u['originate'] ?? {}) as { contexts?: string[]; applications?: string[] };
    names(ctx, actions.allow, [...at, 'actions', 'allow'], /^[^\s:]+$/, 'an action name');
    names(ctx, actions.deny, [...at, 'actions', 'deny'], /^[^\s:]+$/, 'an action name');
    names(ctx, originate.contexts, [...at, 'originate', 'contexts'], /^\S+$/, 'a context name');
    names(ctx, originate.applications, [...at, 'originate', 'applications'], /^\S+$/, 'an application name');
    for (const kind of ['allow', 'deny'] as const) {
      (commands[kind] ?? []).forEach((src, i) => {
        try {
          compileCommandPattern(src);
        } catch (err) {
          ctx.problem([...at, 'commands', kind, i], errText(err));
        }
      });
    }
    const writeMask = parsePermString(write);
    for (const a of actions.allow ?? []) {
      const authority = table.get(a);
      if (authority !== undefined && authority !== 0 && (authority & writeMask) === 0) {
        ctx.warn([...at, 'actions', 'allow'], `${a} needs one of the write classes ${classNames(authority)}, which write does not grant`);
      }
      if (actions.deny?.some((d) => d.toLowerCase() === a.toLowerCase())) ctx.warn([...at, 'actions'], `${a} is in both allow and deny; deny wins`);
    }
    if ((commands.allow || commands.deny) && (writeMask & (1 << 4)) === 0) ctx.warn([...at, 'commands'], 'commands rules have no effect: write does not grant the command class');
    if (u['originate'] && (writeMask & (1 << 12)) === 0) ctx.warn([...at, 'originate'], 'originate rules have no effect: write does not grant the originate class');
    if (u['expressions'] === 'allow' && (writeMask & 1) !== 0) ctx.warn([...at, 'expressions'], 'has no effect: write grants system, which is never refused expressions');

    for (const [i, up] of ((u['upstreams'] ?? []) as string[]).entries()) {
      if (!upstreamNames.has(up)) ctx.problem([...at, 'upstreams', i], `unknown upstream ${JSON.stringify(up)} (configured: ${[...upstreamNames].join(', ')})`);
    }
    const cert = u['certificate'] as { subject?: string; fingerprint256?: string } | undefined;
    if (cert && !anyVerifyClient) ctx.warn([...at, 'certificate'], 'no listener has tls.verifyclient: true, so this user can never present a verified certificate and cannot log in');
    if (cert?.subject !== undefined && normalizeSubject(cert.subject) === undefined) {
      ctx.problem([...at, 'certificate', 'subject'], 'not a subject: write TYPE=value pairs separated by commas, e.g. CN=crm.example,O=Example (escape a comma in a value as \\,)');
    }

    const allowmultiplelogin = (u['allowmultiplelogin'] as boolean | undefined) ?? general.allowmultiplelogin;
    const maxsessions = u['maxsessions'] as number;
    if (!allowmultiplelogin && maxsessions > 1) ctx.warn([...at, 'maxsessions'], 'ignored: allowmultiplelogin is false, so at most one session');

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
      ...(u['scope'] !== undefined ? { scope: checkScope(u['scope'] as Json, [...at, 'scope'], ctx) } : {}),
    };
  }
  return out;
}

/**
 * read=/write= keep manager.conf's meaning (parsePermString(): case-sensitive,
 * blanks kept, prefix matching, an empty item grants all, S16). Where that
 * differs from what the text seems to say, warn.
 */
function perm(ctx: SectionContext, value: unknown, path: Path): string {
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
    ctx.warn(path, `${JSON.stringify(text)} means "${classNames(actual)}" (manager.conf rules: case-sensitive, blanks kept, prefix matching, an empty item grants all), not "${classNames(meant)}"`);
  } else if (unknown.length > 0) {
    ctx.warn(path, `unknown class ${unknown.map((u) => JSON.stringify(u)).join(', ')} ignored (classes: ${CLASS_NAMES.join(', ')}, all, none)`);
  }
  return text;
}

function acl(ctx: SectionContext, value: unknown, path: Path, sense: 'permit' | 'deny'): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? (value as string[]) : [String(value)];
  const out: string[] = [];
  list.forEach((item, i) => {
    // ast_append_ha() also takes comma-separated lists.
    for (const entry of item.split(',')) {
      const r = parseAclEntry(entry, sense);
      if (r.ok) out.push(entry.trim());
      else ctx.problem(Array.isArray(value) ? [...path, i] : path, r.error);
    }
  });
  return out;
}

function filters(ctx: SectionContext, list: unknown[] | undefined, path: Path): FilterSpec[] {
  const out: FilterSpec[] = [];
  (list ?? []).forEach((f, i) => {
    const spec: FilterSpec = typeof f === 'string' ? f : { matchcriteria: String((f as Json)['matchcriteria']), filter: String((f as Json)['filter'] ?? '') };
    try {
      compileFilter(typeof spec === 'string' ? spec : { ...spec });
      out.push(spec);
    } catch (err) {
      ctx.problem([...path, i], errText(err));
    }
  });
  return out;
}

function names(ctx: SectionContext, list: readonly string[] | undefined, path: Path, re: RegExp, what: string): void {
  (list ?? []).forEach((n, i) => {
    if (!re.test(n)) ctx.problem([...path, i], `${JSON.stringify(n)} is not ${what}`);
  });
}

function classNames(mask: number): string {
  if (mask === ALL) return 'all';
  const names = CLASS_NAMES.filter((n) => (mask & classBit(n)!) !== 0);
  return names.length === 0 ? 'none' : names.join(',');
}
