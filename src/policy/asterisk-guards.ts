// The checks Asterisk makes *inside* some actions against the session's write
// classes (S13). Behind a shared upstream login with write=all every client
// would pass them, so the proxy repeats them against the client's own classes.
// Sources (main/manager.c, branch 22): originate_app_permissions[] and
// is_originate_app_permitted() (action_originate), function_capable_string_
// allowed_with_auths() (action_getvar, action_status), command_blacklist[] and
// check_blacklist() (action_command); the CLI word splitting of main/cli.c
// parse_args().

const SYSTEM = 1 << 0;
const AGI = 1 << 13;

type Matcher = (app: string, data: string, search: string) => boolean;

/** strcasestr(app, search): anywhere in the application name, any case. */
const appMatch: Matcher = (app, _data, search) => app.toLowerCase().includes(search);
/** strstr(data, search): anywhere in the data, case-sensitive (to limit false positives, as Asterisk says). */
const appdataMatch: Matcher = (_app, data, search) => data.length > 0 && data.includes(search);
/** Queue is fine unless its 6th argument (agi) is set. */
const queueMatch: Matcher = (app, data) => app.toLowerCase().includes('queue') && data.length > 0 && (separateAppArgs(data)[5] ?? '').length > 0;

const ORIGINATE_APP_PERMISSIONS: ReadonlyArray<{ search: string; permission: number; match: Matcher }> = [
  ...['agi', 'dbdeltree', 'exec', 'externalivr', 'mixmonitor', 'originate', 'reload', 'system']
    .map((search) => ({ search, permission: SYSTEM, match: appMatch })),
  { search: 'queue', permission: AGI | SYSTEM, match: queueMatch },
  ...['CURL', 'DB', 'EVAL', 'FILE', 'ODBC', 'REALTIME', 'SHELL']
    .map((search) => ({ search, permission: SYSTEM, match: appdataMatch })),
];

/**
 * May a client holding `write` Originate into `app` with `data`?
 * Asterisk stops at the first matching table entry; we require every matching
 * entry to be satisfied, which is never looser (e.g. Queue with an AGI
 * argument *and* ${SHELL()} in its data needs system, not just agi).
 */
export function originateAppPermitted(app: string, data: string, write: number): boolean {
  if (app.length === 0) return true;
  for (const entry of ORIGINATE_APP_PERMISSIONS) {
    if (entry.match(app, data, entry.search) && (write & entry.permission) === 0) return false;
  }
  return true;
}

/** function_capable_string_allowed_with_auths(): SHELL and EVAL (case-sensitive) need system. */
export function functionStringAllowed(text: string, write: number): boolean {
  return (write & SYSTEM) !== 0 || !(text.includes('SHELL') || text.includes('EVAL'));
}

const COMMAND_BLACKLIST: ReadonlyArray<readonly string[]> = [['module', 'load'], ['module', 'unload'], ['restart', 'gracefully']];

/**
 * check_blacklist(): the first words compared case-insensitively. We compare
 * the words as the CLI will parse them (quotes and backslashes removed), so
 * `module "load" x` is caught too; Asterisk splits on blanks only.
 */
export function isBlacklistedCommand(words: readonly string[]): boolean {
  return COMMAND_BLACKLIST.some((bl) => bl.every((w, i) => words[i] !== undefined && words[i]!.toLowerCase() === w));
}

/**
 * main/cli.c parse_args(): words split at blanks and tabs outside double
 * quotes; `"` toggles quoting and is dropped; a backslash makes the next
 * character literal and is dropped.
 */
export function splitCliWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (c === '"') {
      quoted = !quoted;
      inWord = true;
    } else if ((c === ' ' || c === '\t') && !quoted) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/**
 * ast_app_separate_args() with ',' (AST_STANDARD_APP_ARGS): commas inside
 * parentheses, brackets or double quotes do not split; quotes and backslashes
 * are removed.
 */
export function separateAppArgs(data: string): string[] {
  const out: string[] = [];
  let cur = '';
  let paren = 0;
  let bracket = 0;
  let quoted = false;
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c === '\\' && i + 1 < data.length) { cur += data[++i]; continue; }
    if (c === '"') { quoted = !quoted; continue; }
    if (!quoted) {
      if (c === '(') paren++;
      else if (c === ')' && paren > 0) paren--;
      else if (c === '[') bracket++;
      else if (c === ']' && bracket > 0) bracket--;
      else if (c === ',' && paren === 0 && bracket === 0) { out.push(cur); cur = ''; continue; }
    }
    cur += c;
  }
  out.push(cur);
  return out;
}
