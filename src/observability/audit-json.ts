// The `action` audit record as one JSON line, built in a single pass.
//
// An audited action used to build a record object, a redacted header map and
// then let pino walk it three times (censorSecrets, redact paths, JSON); per
// forwarded action that was most of amigate's audit cost (docs/benchmarks.md).
// This builds the same line directly: the same fields in the same order, the
// same bounds, and the same redaction as both of the layers it replaces:
//   - redactHeaders(): the value of Secret/Key (any case) and of every header
//     whose `Name: value` matches a sensitive pattern is `[REDACTED]`;
//   - the logger's censorSecrets(): a header named like a secret field
//     (SECRET_FIELDS, or secret/key in any case) is `[REDACTED]` as a whole,
//     repeated or not.
// test/unit/observability/audit-json.test.ts checks line for line that the
// result parses to what the pino path writes, for generated headers.

import { CENSOR, SECRET_FIELDS, isSensitive } from './logger.js';
import type { ActionFields, AuditOptions } from './audit.js';

/** Usernames and ActionIDs are client data; 128 characters is enough for any real one. */
export const MAX_ID = 128;

export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…[+${s.length - max}]`;
}

export function ms(n: number): number {
  return Math.round(n * 1000) / 1000;
}

const str = JSON.stringify as (s: string) => string;

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** A header name the logger censors as a whole under `headers` (censorSecrets). */
function censoredName(name: string): boolean {
  if (SECRET_FIELDS.has(name)) return true;
  const l = name.length;
  return (l === 6 || l === 3) && (name.toLowerCase() === 'secret' || name.toLowerCase() === 'key');
}

/**
 * The record's fields after `"audit":"action"`, as JSON members with a leading
 * comma: `,"session":7,…,"latencyMs":0.2`. Header pairs come from `f.headers`,
 * or from `lines` (raw `Name: value` lines, parsed like AmiMessage.entries()).
 */
export function actionMembers(f: ActionFields, opts: AuditOptions, lines?: readonly string[]): string {
  let s = ',"session":' + (typeof f.session === 'number' ? num(f.session) : str(f.session));
  if (f.user !== undefined) s += ',"user":' + str(clip(f.user, MAX_ID));
  s += ',"remote":' + str(f.remote) + ',"listener":' + str(f.listener) + ',"action":' + str(clip(f.action, MAX_ID));
  let actionId = f.actionId;
  const allow = opts.headers ? new Set(opts.headers.map((h) => h.toLowerCase())) : undefined;
  const maxHeaders = opts.maxHeaders ?? 32;
  const maxValue = opts.maxValueLength ?? 256;
  const sensitive = opts.sensitive ?? [];
  // name -> its values (redacted, cut), in first-seen order; most records have a handful.
  const names: string[] = [];
  const values: string[][] = [];
  let kept = 0;
  let omitted = 0;
  const take = (name: string, value: string): void => {
    const lower = name.toLowerCase();
    if (lower === 'action') return;
    if (lower === 'actionid') { actionId ??= value; return; }
    if (allow && !allow.has(lower)) return;
    if (kept >= maxHeaders) { omitted++; return; }
    kept++;
    const v = isSensitive(name, value, sensitive) ? CENSOR : clip(value, maxValue);
    const i = names.indexOf(name);
    if (i < 0) { names.push(name); values.push([v]); } else values[i]!.push(v);
  };
  if (lines) {
    for (const l of lines) {
      const c = l.indexOf(':');
      if (c <= 0) continue;
      let j = c + 1;
      while (j < l.length && l.charCodeAt(j) < 33) j++;
      take(l.slice(0, c), l.slice(j));
    }
  } else {
    for (const [name, value] of f.headers ?? []) take(name, value);
  }
  if (actionId !== undefined) s += ',"actionId":' + str(clip(actionId, MAX_ID));
  s += ',"headers":{';
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const vs = values[i]!;
    s += (i === 0 ? '' : ',') + str(name) + ':';
    if (censoredName(name)) s += str(CENSOR);
    else if (vs.length === 1) s += str(vs[0]!);
    else s += '[' + vs.map(str).join(',') + ']';
  }
  s += '}';
  if (omitted > 0) s += ',"headersOmitted":' + omitted;
  if (f.upstream !== undefined) s += ',"upstream":' + str(f.upstream);
  s += ',"result":' + str(f.result);
  if (f.rule !== undefined) s += ',"rule":' + str(f.rule);
  if (f.reason !== undefined) s += ',"reason":' + str(f.reason);
  s += ',"latencyMs":' + num(ms(f.latencyMs));
  if (f.upstreamMs !== undefined) s += ',"upstreamMs":' + num(ms(f.upstreamMs));
  return s;
}

let lastMs = -1;
let lastIso = '';

/** pino.stdTimeFunctions.isoTime, computed once per millisecond. */
export function isoTime(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}
