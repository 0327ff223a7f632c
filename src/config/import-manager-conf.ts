// `amigate import-manager-conf`: Asterisk manager.conf text in, the amigate
// `users:` YAML (plus a commented `general:` block) and a list of findings out.
// Pure: no file or console I/O; src/cli/import-manager-conf.ts does that.
//
//   text ─ parseAsteriskConf() ─ foldManagerConf() ─ toUser() + aclLists() ─ YAML
//          (main/config.c)       (main/manager.c)    (amigate schema)
//
// Whatever cannot be carried over is a finding; no finding quotes a secret.

import { Document, isMap, isScalar, stringify, type Pair, type Scalar } from 'yaml';
import { parseAsteriskConf, type ConfDirective } from './manager-conf/conf-parser.js';
import { foldManagerConf, type EventFilter, type Finding, type GeneralDraft, type UserDraft } from './manager-conf/user-fold.js';
import { aclLists } from './manager-conf/acl-rules.js';
import { ALL, CLASS_NAMES, classBit, parsePermString } from '../protocol/privileges.js';

export type { Finding } from './manager-conf/user-fold.js';

/** One amigate user as emitted (the agreed config schema, users.<name>). */
export interface ImportedUser {
  secret?: string;
  read?: string;
  write?: string;
  permit?: string[];
  deny?: string[];
  eventfilter?: EventFilter[];
  allowmultiplelogin?: boolean;
  displayconnects?: boolean;
  writetimeout?: number;
}

/** The amigate `general:` keys that [general] had a value for. */
export interface ImportedGeneral {
  allowmultiplelogin?: boolean;
  displayconnects?: boolean;
  authtimeout?: number;
  authlimit?: number;
}

export interface ImportOptions {
  /** Shown in the YAML header. @default 'manager.conf' */
  source?: string;
}

export interface ImportResult {
  /** The YAML text: header comments, the commented general block, `users:`. */
  yaml: string;
  users: Record<string, ImportedUser>;
  general: ImportedGeneral;
  /** #include / #tryinclude / #exec lines: reported, never followed. */
  directives: ConfDirective[];
  findings: Finding[];
}

/** amigate's defaults for the two per-user booleans (general.allowmultiplelogin / displayconnects). */
const AMIGATE_DEFAULT_BOOL = true;
/** users.* property names in src/config/user-schema.ts. Blanks never work in Asterisk either: Login skips leading blanks of the Username value. */
const USER_NAME = /^[!-~]{1,79}$/;
/** Both families: a user whose named ACL cannot be carried over is refused everywhere. */
const DENY_ALL = ['0.0.0.0/0.0.0.0', '::/0'];
/** EVENT_FLAG_CALL. */
const CALL = 1 << 1;

export function importManagerConf(text: string, opts: ImportOptions = {}): ImportResult {
  const source = opts.source ?? 'manager.conf';
  const parsed = parseAsteriskConf(text);
  const folded = foldManagerConf(parsed);
  const findings = folded.findings;
  for (const d of parsed.directives) {
    findings.push({
      level: 'warning', line: d.line,
      message: d.name === 'exec'
        ? `#exec ${d.argument} is not run: its output (users or settings) is not imported; run it yourself and import the result`
        : `#${d.name} ${d.argument} is not followed: import that file too (amigate import-manager-conf ${d.argument}) and merge its users`,
    });
  }
  const general = toGeneral(folded.general);
  const entries: Array<[string, ImportedUser]> = [];
  const notes = new Map<string, string[]>();
  const plain: string[] = [];
  for (const draft of folded.users) {
    if (!USER_NAME.test(draft.name)) {
      findings.push({ level: 'warning', line: draft.line, section: draft.name,
        message: 'this name cannot be an amigate user name (printable ASCII without blanks, at most 79 characters); the user is left out — rename it and add it by hand' });
      continue;
    }
    const { user, comments } = toUser(draft, folded.general, findings);
    entries.push([draft.name, user]);
    notes.set(draft.name, comments);
    if (user.secret !== undefined) plain.push(draft.name);
  }
  // fromEntries: a section named __proto__ stays an ordinary key.
  const users: Record<string, ImportedUser> = Object.fromEntries(entries);
  if (plain.length > 0) {
    findings.push({
      level: 'warning',
      message: `plain secrets copied for ${plain.length} user(s) (${plain.map((n) => `[${n}]`).join(', ')}): they allow both Login and MD5 Challenge; ` +
        'if no client of a user needs Challenge, replace its secret with the output of `amigate hash-secret`, and keep the file readable only by amigate',
    });
  }
  // [scope] manager.conf has no per-tenant scope (docs/tenants.md): say so when users share the call stream.
  const callUsers = entries.filter(([, u]) => ((parsePermString(u.read ?? '') | parsePermString(u.write ?? '')) & CALL) !== 0).map(([n]) => n);
  if (callUsers.length > 1) {
    findings.push({
      level: 'warning',
      message: `${callUsers.length} users read or act on calls (${callUsers.map((n) => `[${n}]`).join(', ')}): manager.conf has no per-customer scope, ` +
        'so each sees every call on the PBX and may act on any channel its write classes allow, as in Asterisk; ' +
        'on a shared (multi-tenant) Asterisk, add users.<name>.scope to confine a customer\'s user to its own channels, queues and contexts (docs/tenants.md)',
    });
  }
  findings.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  return { yaml: render(source, general, users, notes, parsed.directives, findings), users, general, directives: parsed.directives, findings };
}

/** `manager.conf:12: [alice] message`, the shape the CLI prints. */
export function formatFinding(f: Finding, source: string): string {
  const where = f.line !== undefined ? `${source}:${f.line}` : source;
  return `${where}: ${f.level === 'error' ? 'error: ' : ''}${f.section !== undefined ? `[${f.section}] ` : ''}${f.message}`;
}

function toGeneral(g: GeneralDraft): ImportedGeneral {
  const out: ImportedGeneral = {};
  if (g.allowmultiplelogin) out.allowmultiplelogin = g.allowmultiplelogin.value;
  if (g.displayconnects) out.displayconnects = g.displayconnects.value;
  if (g.authtimeout) out.authtimeout = g.authtimeout.value;
  if (g.authlimit) out.authlimit = g.authlimit.value;
  return out;
}

function toUser(d: UserDraft, g: GeneralDraft, findings: Finding[]): { user: ImportedUser; comments: string[] } {
  const user: ImportedUser = {};
  const comments: string[] = [`manager.conf line ${d.line}${d.inherits.length > 0 ? `, inherits ${d.inherits.map((n) => `[${n}]`).join(', ')}` : ''}`];
  const warn = (message: string, line?: number) => findings.push({ level: 'warning', section: d.name, message, ...(line !== undefined ? { line } : {}) });

  if (!d.secret) {
    warn('no secret: nobody can log in as this user (the same in Asterisk)', d.line);
  } else if (d.secret.value === '') {
    warn('empty secret: Asterisk accepts a Login with an empty Secret; amigate needs a real one, so none is set and nobody can log in until you add one', d.secret.line);
  } else {
    user.secret = d.secret.value;
    comments.push('plain secret from manager.conf: allows Login and MD5 Challenge; use `amigate hash-secret` if Challenge is not needed');
  }
  for (const k of ['read', 'write'] as const) {
    const s = d[k];
    if (!s) continue;
    user[k] = s.value;
    const quirk = permQuirk(s.value);
    if (quirk) warn(`${k} = ${s.value} ${quirk}`, s.line);
  }

  aclFor(d, user, comments, warn);

  if (d.eventfilter.length > 0) user.eventfilter = d.eventfilter;
  for (const k of ['allowmultiplelogin', 'displayconnects'] as const) {
    const own = d[k];
    const inherited = g[k];
    if (own) user[k] = own.value;
    else if (inherited && inherited.value !== AMIGATE_DEFAULT_BOOL) {
      // Keep Asterisk's [general] default even if the general block stays commented out.
      user[k] = inherited.value;
      comments.push(`${k}: ${inherited.value} from [general] line ${inherited.line}`);
    }
  }
  if (d.writetimeout) user.writetimeout = d.writetimeout.value;
  for (const s of d.setvars) {
    warn(`setvar ${s.value}=... is not carried over: amigate does not set channel variables on this user's Originate; set them in the dialplan or in the client`, s.line);
  }
  return { user, comments };
}

/** manager.conf read/write text whose meaning (get_perm quirks, S16) differs from what it looks like. */
function permQuirk(value: string): string | undefined {
  const actual = parsePermString(value);
  let meant = 0;
  for (const token of value.split(',')) {
    const t = token.trim().toLowerCase();
    meant |= classBit(t) ?? 0;
  }
  if (actual === meant) return undefined;
  return `means "${classList(actual)}" to Asterisk (case-sensitive, blanks kept, prefix matching) and to amigate, not "${classList(meant)}"; ` +
    'copied as written: fix it if that is not what you meant';
}

function classList(mask: number): string {
  if (mask === ALL) return 'all';
  const names = CLASS_NAMES.filter((n) => (mask & classBit(n)!) !== 0);
  return names.length === 0 ? 'none' : names.join(',');
}

function aclFor(d: UserDraft, user: ImportedUser, comments: string[], warn: (m: string, line?: number) => void): void {
  if (d.namedAcls.length > 0) {
    const names = d.namedAcls.map((a) => a.value).join(', ');
    // Asterisk ANDs named ACLs with the inline rules; dropping them would let more in.
    user.deny = [...DENY_ALL];
    comments.push(`named ACL(s) ${names} from acl.conf cannot be carried over: this user is refused from every address until you write its permit/deny by hand` +
      (d.acl.length > 0 ? `; inline rules were: ${d.acl.map((r) => `${r.sense} ${r.text}`).join(', ')}` : ''));
    warn(`acl = ${names}: named ACLs (acl.conf) are not carried over; the user gets deny: [${DENY_ALL.join(', ')}] and no permit, so it cannot log in until you translate the ACL into permit/deny`, d.namedAcls[0]!.line);
    return;
  }
  if (d.unsupportedAcl.length > 0) {
    const entries = d.unsupportedAcl.map((e) => e.value).join(', ');
    user.deny = [...DENY_ALL];
    comments.push(`${entries}: a non-contiguous netmask, which amigate cannot match: this user is refused from every address until you rewrite its permit/deny with prefix lengths`);
    warn(`${entries}: non-contiguous netmasks are not carried over (amigate matches network prefixes); the user gets deny: [${DENY_ALL.join(', ')}] and no permit, so it cannot log in until you rewrite them`, d.unsupportedAcl[0]!.line);
    return;
  }
  if (d.acl.length === 0) return;
  // One walk in Asterisk's order: exact for every address (acl-rules.ts).
  const lists = aclLists(d.acl);
  if (lists.permit.length > 0) user.permit = lists.permit;
  if (lists.deny.length > 0) user.deny = lists.deny;
  if (lists.ordered) {
    comments.push('permit/deny lines were not all denies first: they are written as one ordered permit list, with "!" marking each deny, so they apply in manager.conf\'s order (last match wins) exactly as in Asterisk');
  }
  const denies = d.acl.filter((r) => r.sense === 'deny');
  if (denies.length === 0) {
    warn('permit without any deny: Asterisk starts from "allow", so these permits restrict nothing and every address may log in; ' +
      `add deny: [${DENY_ALL.join(', ')}] to admit only the permitted addresses`, d.acl[0]!.line);
  }
  const denies4All = denies.some((r) => r.family === 4 && r.rule.bits === 0);
  const any6 = d.acl.some((r) => r.family === 6);
  if (denies4All && !any6) {
    comments.push('these rules are IPv4 only: IPv6 peers are not restricted (as in Asterisk); add "::/0" to deny if amigate listens on IPv6');
  }
}

function render(source: string, general: ImportedGeneral, users: Record<string, ImportedUser>, notes: Map<string, string[]>,
  directives: ConfDirective[], findings: Finding[]): string {
  const head: string[] = [
    `Generated by \`amigate import-manager-conf\` from ${source}.`,
    'Merge these users into your amigate config (listeners: and upstreams: are not generated).',
    'The secrets below are plain text: protect this file like manager.conf.',
  ];
  const errors = findings.filter((f) => f.level === 'error').length;
  const warnings = findings.length - errors;
  if (findings.length > 0) head.push(`The import reported ${warnings} warning(s)${errors > 0 ? ` and ${errors} error(s)` : ''}; read them before using this file.`);
  for (const d of directives) head.push(`#${d.name} ${d.argument} (line ${d.line}) was not followed.`);
  let out = head.map((l) => `# ${l}\n`).join('');
  if (Object.keys(general).length > 0) {
    out += '#\n# From [general] (uncomment to make these the defaults of users added later):\n';
    out += stringify({ general }).split('\n').filter((l) => l !== '').map((l) => `# ${l}\n`).join('');
  }
  const doc = new Document({ users });
  const usersNode = doc.get('users', true);
  if (isMap(usersNode)) {
    (usersNode.items as Array<Pair<Scalar, unknown>>).forEach((pair, i) => {
      const lines = notes.get(String(pair.key.value)) ?? [];
      if (!isScalar(pair.key) || lines.length === 0) return;
      pair.key.commentBefore = lines.map((l) => ` ${l}`).join('\n');
      pair.key.spaceBefore = i > 0;
    });
  }
  return out + doc.toString({ lineWidth: 0 });
}
