// The users file of `amigate sim --config users.yaml`: manager.conf-like user
// sections in YAML, validated in full (every problem reported at once).
//
//   users:
//     admin:   { secret: adminpw, read: all, write: all }
//     monitor:
//       secret: s3cret
//       read: call,system
//       write: ''
//       deny: 0.0.0.0/0.0.0.0
//       permit: [127.0.0.1/32]
//       eventfilter: ['!Event: VarSet', { matchcriteria: 'name(Hangup)', filter: '' }]
//       allowmultiplelogin: no
//       writetimeout: 200

import { parse } from 'yaml';
import { ConfigInvalidError, type ConfigProblem } from '../errors.js';
import { compileFilter, type FilterSpec } from '../policy/event-filter.js';
import { compileUser, type SimUser } from './users.js';

const KEYS = new Set(['secret', 'read', 'write', 'permit', 'deny', 'eventfilter', 'allowmultiplelogin', 'writetimeout', 'setvar']);

export function parseUsersFile(text: string, file: string): SimUser[] {
  const problems: ConfigProblem[] = [];
  const bad = (key: string, message: string): void => { problems.push({ file, line: undefined, key, message }); };
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigInvalidError(file, [{ file, line: undefined, key: '(yaml)', message: (err as Error).message }]);
  }
  const users = isObject(doc) ? doc.users : undefined;
  if (!isObject(users)) throw new ConfigInvalidError(file, [{ file, line: undefined, key: 'users', message: 'expected a mapping of user name -> options' }]);
  const out: SimUser[] = [];
  for (const [name, raw] of Object.entries(users)) {
    const at = `users.${name}`;
    if (!isObject(raw)) { bad(at, 'expected a mapping'); continue; }
    for (const k of Object.keys(raw)) if (!KEYS.has(k)) bad(`${at}.${k}`, 'unknown option');
    const u: SimUser = { name, secret: '' };
    if (typeof raw.secret !== 'string' && typeof raw.secret !== 'number') bad(`${at}.secret`, 'required string');
    else u.secret = String(raw.secret);
    for (const k of ['read', 'write'] as const) {
      const v = raw[k];
      if (v === undefined) continue;
      if (v === null) u[k] = '';
      else if (typeof v === 'string') u[k] = v;
      else bad(`${at}.${k}`, 'expected a class list string such as "call,system"');
    }
    for (const k of ['permit', 'deny', 'setvar'] as const) {
      const v = raw[k];
      if (v === undefined) continue;
      const list = Array.isArray(v) ? v : [v];
      if (!list.every((x) => typeof x === 'string')) bad(`${at}.${k}`, 'expected a string or a list of strings');
      else u[k] = list as string[];
    }
    if (raw.eventfilter !== undefined) {
      const list = Array.isArray(raw.eventfilter) ? raw.eventfilter : [raw.eventfilter];
      const specs: FilterSpec[] = [];
      list.forEach((f, i) => {
        const spec = toSpec(f);
        if (spec === undefined) { bad(`${at}.eventfilter[${i}]`, 'expected "[!]regex" or {matchcriteria, filter}'); return; }
        try {
          compileFilter(spec);
          specs.push(spec);
        } catch (err) {
          bad(`${at}.eventfilter[${i}]`, (err as Error).message);
        }
      });
      u.eventfilter = specs;
    }
    const amlRaw = raw.allowmultiplelogin;
    if (amlRaw !== undefined) {
      if (typeof amlRaw === 'boolean') u.allowmultiplelogin = amlRaw;
      else if (typeof amlRaw === 'string' && /^(yes|no|true|false|on|off)$/i.test(amlRaw)) u.allowmultiplelogin = /^(yes|true|on)$/i.test(amlRaw);
      else bad(`${at}.allowmultiplelogin`, 'expected yes/no');
    }
    if (raw.writetimeout !== undefined) {
      if (typeof raw.writetimeout !== 'number' || !Number.isInteger(raw.writetimeout) || raw.writetimeout < 100) bad(`${at}.writetimeout`, 'expected an integer number of ms, at least 100');
      else u.writetimeout = raw.writetimeout;
    }
    try {
      compileUser(u);
    } catch (err) {
      bad(at, (err as Error).message);
    }
    out.push(u);
  }
  if (problems.length > 0) throw new ConfigInvalidError(file, problems);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toSpec(f: unknown): FilterSpec | undefined {
  if (typeof f === 'string') return f;
  if (isObject(f) && typeof f.matchcriteria === 'string' && (f.filter === undefined || f.filter === null || typeof f.filter === 'string')) {
    return { matchcriteria: f.matchcriteria, filter: typeof f.filter === 'string' ? f.filter : '' };
  }
  return undefined;
}
