// manager.conf users for the simulated Asterisk, with manager.c semantics:
// read=/write= through get_perm() quirks (parsePermString), permit/deny ACLs
// checked at Login after the username lookup (S11), eventfilter lines
// compiled once (S20), allowmultiplelogin (S10) and writetimeout (S27).

import { parsePermString } from '../protocol/privileges.js';
import { compileFilter, type CompiledFilter, type FilterSpec } from '../policy/event-filter.js';
import { Acl } from '../policy/acl.js';
import { UsageError } from '../errors.js';

export interface SimUser {
  name: string;
  secret: string;
  /** manager.conf `read =` (class list, get_perm() quirks included). @default '' (none) */
  read?: string;
  /** manager.conf `write =`. @default '' (none) */
  write?: string;
  /** `deny =` rules (`addr/mask` or `addr/bits`); applied before the permits (policy/acl.ts), like the usual deny-all-then-permit block. */
  deny?: string | string[];
  /** `permit =` rules. */
  permit?: string | string[];
  /** `eventfilter` lines: legacy "[!]regex" strings or advanced {matchcriteria, filter}. */
  eventfilter?: FilterSpec | FilterSpec[];
  /** @default true */
  allowmultiplelogin?: boolean;
  /** ms a blocked socket write may take before the session is dropped; at least 100. @default 100 */
  writetimeout?: number;
  /** `setvar = VAR=value` lines, set on channels this user originates. */
  setvar?: string[];
}

/** A user ready for logins; `source` keeps the config for GetConfig manager.conf. */
export interface CompiledUser {
  readonly name: string;
  readonly secret: string;
  readonly readperm: number;
  readonly writeperm: number;
  readonly filters: readonly CompiledFilter[];
  readonly allowMultipleLogin: boolean;
  readonly writeTimeoutMs: number;
  readonly setvar: ReadonlyArray<readonly [string, string]>;
  readonly source: SimUser;
  /** ast_apply_ha(): may this address log in? */
  allows(address: string): boolean;
}

/** The users of the captured Asterisk (../shared/ami-transcripts/README.md). */
export const DEFAULT_USERS: readonly SimUser[] = [
  { name: 'admin', secret: 'adminpw', read: 'all', write: 'all' },
  { name: 'reader', secret: 'readerpw', read: 'call,system', write: '' },
  { name: 'limited', secret: 'limitedpw', read: 'call', write: 'call,originate' },
];

export function compileUser(u: SimUser): CompiledUser {
  if (!u.name) throw new UsageError('sim user without a name');
  let acl: Acl;
  try {
    acl = Acl.compile(toList(u.deny), toList(u.permit));
  } catch (err) {
    throw new UsageError(`sim user ${u.name}: ${(err as Error).message}`);
  }
  const filters = toList(u.eventfilter).map((f) => compileFilter(f));
  const setvar: Array<[string, string]> = [];
  for (const sv of u.setvar ?? []) {
    const eq = sv.indexOf('=');
    if (eq > 0) setvar.push([sv.slice(0, eq).trim(), sv.slice(eq + 1).trim()]);
  }
  return {
    name: u.name,
    secret: u.secret ?? '',
    readperm: parsePermString(u.read ?? ''),
    writeperm: parsePermString(u.write ?? ''),
    filters,
    allowMultipleLogin: u.allowmultiplelogin ?? true,
    writeTimeoutMs: Math.max(100, u.writetimeout ?? 100),
    setvar,
    source: u,
    allows: (address: string) => acl.allows(address),
  };
}

function toList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** manager.conf text for GetConfig (the captured layout: secret, read, write, then the rest). */
export function managerConfLines(u: SimUser): string[] {
  const out = [`secret=${u.secret}`, `read=${u.read ?? ''}`, `write=${u.write ?? ''}`];
  for (const d of toList(u.deny)) out.push(`deny=${d}`);
  for (const p of toList(u.permit)) out.push(`permit=${p}`);
  for (const f of toList(u.eventfilter)) {
    out.push(typeof f === 'string' ? `eventfilter=${f}` : `eventfilter(${f.matchcriteria})=${f.filter}`);
  }
  if (u.allowmultiplelogin !== undefined) out.push(`allowmultiplelogin=${u.allowmultiplelogin ? 'yes' : 'no'}`);
  if (u.writetimeout !== undefined) out.push(`writetimeout=${u.writetimeout}`);
  for (const sv of u.setvar ?? []) out.push(`setvar=${sv}`);
  return out;
}
