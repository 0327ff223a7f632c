// The meaning Asterisk gives a parsed manager.conf (main/manager.c
// __init_manager()): the first [general] section's settings, and one user per
// non-template section, its settings applied in order (last one wins, permit/
// deny/acl/eventfilter/setvar accumulate). Pure; findings are returned, and no
// finding ever quotes a secret.

import { isAstFalse, isAstTrue } from '../../protocol/privileges.js';
import type { ConfCategory, ConfVariable, ParsedConf } from './conf-parser.js';
import { parseAclValue, type AclRule } from './acl-rules.js';

export interface Finding {
  level: 'warning' | 'error';
  line?: number;
  /** The manager.conf section the finding is about. */
  section?: string;
  message: string;
}

export type EventFilter = string | { matchcriteria: string; filter: string };

export interface Setting<T> { value: T; line: number }

/** One manager.conf user as Asterisk ends up with it. */
export interface UserDraft {
  name: string;
  line: number;
  /** Templates and sections the (first) section inherits from. */
  inherits: string[];
  secret?: Setting<string>;
  read?: Setting<string>;
  write?: Setting<string>;
  allowmultiplelogin?: Setting<boolean>;
  displayconnects?: Setting<boolean>;
  writetimeout?: Setting<number>;
  acl: AclRule[];
  /** permit/deny entries Asterisk accepts and amigate cannot match (non-contiguous netmasks): the import fails closed. */
  unsupportedAcl: Array<Setting<string>>;
  namedAcls: Array<Setting<string>>;
  eventfilter: EventFilter[];
  setvars: Array<Setting<string>>;
}

/** The [general] settings that have an amigate equivalent. */
export interface GeneralDraft {
  allowmultiplelogin?: Setting<boolean>;
  displayconnects?: Setting<boolean>;
  authtimeout?: Setting<number>;
  authlimit?: Setting<number>;
}

export interface Folded {
  general: GeneralDraft;
  users: UserDraft[];
  findings: Finding[];
}

const GENERAL_NO_EQUIVALENT: Record<string, string> = {
  enabled: '',
  webenabled: 'AMI over HTTP (/rawman, /manager, /mxml) is not proxied by amigate',
  port: "clients now connect to amigate's listeners (listeners: in the amigate config)",
  bindaddr: "clients now connect to amigate's listeners (listeners: in the amigate config)",
  brokeneventsaction: 'amigate always answers the Events action',
  timestampevents: 'amigate relays events as the upstream sends them; set timestampevents on the Asterisk side if clients need it',
  debug: 'no amigate equivalent',
  httptimeout: 'AMI over HTTP is not proxied by amigate',
  channelvars: 'set channelvars on the Asterisk that amigate connects to; amigate relays the ChanVariable headers',
  disabledevents: 'set disabledevents on the Asterisk that amigate connects to',
};

/** Boolean keys that only matter when true (their Asterisk default is off). */
const GENERAL_BOOLEAN = new Set(['webenabled', 'brokeneventsaction', 'timestampevents', 'debug']);

export function foldManagerConf(conf: ParsedConf): Folded {
  const findings: Finding[] = conf.problems.map((p) => ({ level: p.level, line: p.line, message: p.message }));
  const general: GeneralDraft = {};
  let generalSeen: ConfCategory | undefined;
  const users = new Map<string, UserDraft>();

  for (const cat of conf.categories) {
    if (cat.template) continue;
    if (cat.name.toLowerCase() === 'general') {
      // ast_variable_browse(cfg, "general") reads the first [general] only.
      if (generalSeen) {
        findings.push({ level: 'warning', line: cat.line, section: cat.name, message: `a second [${cat.name}] section (the first is at line ${generalSeen.line}): Asterisk ignores it, and so does this import` });
        continue;
      }
      generalSeen = cat;
      for (const v of cat.variables) foldGeneral(general, v, cat.name, findings);
      continue;
    }
    let user = users.get(cat.name.toLowerCase());
    if (!user) {
      user = { name: cat.name, line: cat.line, inherits: cat.inherits, acl: [], unsupportedAcl: [], namedAcls: [], eventfilter: [], setvars: [] };
      users.set(cat.name.toLowerCase(), user);
    } else {
      // get_manager_by_name_locked() is case-insensitive: the same user again.
      // Its ACL, filters and setvars start over; everything else carries on.
      findings.push({ level: 'warning', line: cat.line, section: cat.name, message: `[${user.name}] is defined again (first at line ${user.line}): as in Asterisk, its permit/deny/acl, eventfilter and setvar come from this section only, other settings carry over unless set again` });
      user.acl = [];
      user.unsupportedAcl = [];
      user.namedAcls = [];
      user.eventfilter = [];
      user.setvars = [];
    }
    for (const v of cat.variables) foldUser(user, v, findings);
  }
  return { general, users: [...users.values()], findings };
}

/** atoi(): optional blanks and sign, then digits; anything else reads as 0. */
function atoi(s: string): number {
  const m = /^\s*([+-]?[0-9]+)/.exec(s);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}

/** atoi() of a number setting, with a finding when trailing text is silently dropped. */
function number(v: ConfVariable, section: string, findings: Finding[]): number {
  const n = atoi(v.value);
  if (!/^[0-9]+$/.test(v.value) && n > 0) {
    findings.push({ level: 'warning', line: v.line, section, message: `${v.name} = "${v.value}" is read as ${n} (Asterisk uses atoi())` });
  }
  return n;
}

function boolFinding(v: ConfVariable, section: string, findings: Finding[]): void {
  if (!isAstTrue(v.value) && !isAstFalse(v.value)) {
    findings.push({ level: 'warning', line: v.line, section, message: `${v.name} = "${v.value}" is not a yes/no word: Asterisk reads it as no, and so does this import` });
  }
}

function foldGeneral(g: GeneralDraft, v: ConfVariable, section: string, findings: Finding[]): void {
  const key = v.name.toLowerCase();
  const warn = (message: string) => findings.push({ level: 'warning', line: v.line, section, message });
  switch (key) {
    case 'allowmultiplelogin':
    case 'displayconnects':
      boolFinding(v, section, findings);
      g[key] = { value: isAstTrue(v.value), line: v.line };
      return;
    case 'authtimeout':
    case 'authlimit': {
      const n = number(v, section, findings);
      if (n < 1) warn(`${key} = "${v.value}" is invalid (must be at least 1): Asterisk keeps its default, and this import leaves it out`);
      else g[key] = { value: n, line: v.line };
      return;
    }
    case 'enabled':
      if (!isAstTrue(v.value)) warn('enabled = no: this Asterisk accepts no AMI logins at all; the users are imported anyway');
      return;
  }
  if (key.startsWith('tls') || key.startsWith('ssl')) {
    warn(`${v.name} is not carried over: amigate's TLS is set per listener (listeners[].tls)`);
    return;
  }
  const why = GENERAL_NO_EQUIVALENT[key];
  if (why === undefined) {
    warn(`${v.name} is not a manager.conf [general] option (Asterisk logs "Invalid keyword" and ignores it)`);
    return;
  }
  if (GENERAL_BOOLEAN.has(key) && !isAstTrue(v.value)) return;
  if ((key === 'channelvars' || key === 'disabledevents') && v.value === '') return;
  warn(`${v.name} = ${v.value} is not carried over: ${why}`);
}

function foldUser(u: UserDraft, v: ConfVariable, findings: Finding[]): void {
  const key = v.name.toLowerCase();
  const warn = (message: string) => findings.push({ level: 'warning', line: v.line, section: u.name, message });
  switch (key) {
    case 'secret':
      u.secret = { value: v.value, line: v.line };
      return;
    case 'read':
    case 'write':
      u[key] = { value: v.value, line: v.line };
      return;
    case 'displayconnects':
    case 'allowmultiplelogin':
      boolFinding(v, u.name, findings);
      u[key] = { value: isAstTrue(v.value), line: v.line };
      return;
    case 'writetimeout': {
      const n = number(v, u.name, findings);
      if (n < 100) warn(`writetimeout = "${v.value}" is invalid (at least 100 ms): Asterisk ignores it, and so does this import`);
      else u.writetimeout = { value: n, line: v.line };
      return;
    }
    case 'permit':
    case 'deny': {
      const parsed = parseAclValue(key, v.value, v.line);
      for (const p of parsed.problems) warn(p);
      u.acl.push(...parsed.rules);
      for (const e of parsed.unsupported) u.unsupportedAcl.push({ value: e, line: v.line });
      return;
    }
    case 'acl':
      // ast_append_acl(): a comma list of named ACLs from acl.conf.
      for (const name of v.value.split(',')) u.namedAcls.push({ value: name.trimStart(), line: v.line });
      return;
    case 'setvar': {
      const eq = v.value.indexOf('=');
      if (eq > 0) u.setvars.push({ value: v.value.slice(0, eq), line: v.line });
      return;
    }
  }
  if (key.startsWith('eventfilter')) {
    const f = eventFilter(v);
    if ('problem' in f) warn(f.problem);
    else u.eventfilter.push(f.filter);
    return;
  }
  warn(`${v.name} is not a manager.conf user option (Asterisk ignores it)`);
}

// Case-insensitive here: keeping a filter Asterisk might drop errs on the strict side.
const CRITERIA = /^(action|name|header|method)\(([^()]*)\)$/i;
const METHODS = new Set(['regex', 'exact', 'starts_with', 'ends_with', 'contains', 'none']);

/**
 * `eventfilter = [!]regex` (legacy) or `eventfilter(criteria) = [expr]`
 * (advanced, S20; manager_add_filter()). A problem means Asterisk logs the
 * filter as malformed and drops it, so the import drops it too.
 */
function eventFilter(v: ConfVariable): { filter: EventFilter } | { problem: string } {
  if (v.name.length === 'eventfilter'.length) {
    if (v.value === '') return { problem: 'eventfilter with an empty expression: Asterisk rejects the filter; left out' };
    return { filter: v.value };
  }
  if (v.name[11] !== '(' || !v.name.endsWith(')')) return { problem: `${v.name} is neither eventfilter nor eventfilter(criteria): left out` };
  const criteria = v.name.slice(12, -1);
  const seen = new Map<string, string>();
  for (const part of criteria.split(',')) {
    const m = CRITERIA.exec(part.trim());
    if (!m || seen.has(m[1]!.toLowerCase())) return { problem: `eventfilter(${criteria}): malformed criteria (Asterisk: "Filter was formatted incorrectly"); left out` };
    seen.set(m[1]!.toLowerCase(), m[2]!);
  }
  const action = seen.get('action')?.toLowerCase();
  const method = seen.get('method')?.toLowerCase() ?? 'none';
  const bad =
    (action !== undefined && action !== 'include' && action !== 'exclude') ||
    !METHODS.has(method) ||
    (method === 'none' && v.value !== '') ||
    (method !== 'none' && v.value === '') ||
    (!seen.has('name') && !seen.has('header') && v.value === '');
  if (bad) return { problem: `eventfilter(${criteria}) = ${v.value}: Asterisk rejects this filter ("Filter was formatted incorrectly"); left out` };
  return { filter: { matchcriteria: criteria, filter: v.value } };
}
