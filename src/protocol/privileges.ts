// Asterisk's privilege classes and the three ways manager.c turns text into a
// class mask. Pure functions; the proxy, the policy layer and the simulated
// Asterisk all use these, so the semantics live in one place.
//
//   parsePermString()  manager.conf read=/write= (get_perm + ast_instring, quirks included)
//   stringsToMask()    Login `Events:` and the Events action's `EventMask:` (strings_to_mask)
//   authorityToStr()   the `Privilege:` header of events and ListCommands' (Priv: ...)

/** perms[] in main/manager.c, in its order (authority_to_str() prints in this order). */
export const PERMS: ReadonlyArray<readonly [string, number]> = [
  ['system', 1 << 0],
  ['call', 1 << 1],
  ['log', 1 << 2],
  ['verbose', 1 << 3],
  ['command', 1 << 4],
  ['agent', 1 << 5],
  ['user', 1 << 6],
  ['config', 1 << 7],
  ['dtmf', 1 << 8],
  ['reporting', 1 << 9],
  ['cdr', 1 << 10],
  ['dialplan', 1 << 11],
  ['originate', 1 << 12],
  ['agi', 1 << 13],
  ['cc', 1 << 15],
  ['aoc', 1 << 16],
  ['test', 1 << 17],
  ['security', 1 << 18],
  ['message', 1 << 30],
  ['all', 0x7fffffff],
  ['none', 0],
];

export const ALL = 0x7fffffff;
const BY_NAME = new Map<string, number>(PERMS);
/** Every named class OR-ed together (ast_true in strings_to_mask). */
const ALL_NAMED = PERMS.reduce((acc, [, n]) => acc | n, 0);

/** Bit of one class name (exact, case-sensitive), or undefined. */
export function classBit(name: string): number | undefined {
  return BY_NAME.get(name);
}

/** Names of the individual classes (no `all`/`none`). */
export const CLASS_NAMES: readonly string[] = PERMS.filter(([n]) => n !== 'all' && n !== 'none').map(([n]) => n);

/**
 * manager.conf `read =` / `write =` (get_perm() with ast_instring()).
 * Case-sensitive; blanks are not trimmed; every token but the last matches as a
 * prefix of a class name; an empty token matches everything; numbers are not accepted.
 */
export function parsePermString(value: string | undefined): number {
  if (value === undefined) return 0;
  let ret = 0;
  for (const [label, num] of PERMS) if (inString(value, label)) ret |= num;
  return ret;
}

/** ast_instring(bigstr, smallstr, ','): see parsePermString(). */
function inString(big: string, small: string): boolean {
  let val = 0;
  for (;;) {
    const next = big.indexOf(',', val);
    if (next < 0) return big.slice(val) === small;
    // strncmp(val, small, next - val): the token is a prefix of `small`.
    const token = big.slice(val, next);
    if (small.startsWith(token)) return true;
    val = next + 1;
    if (val >= big.length) return false;
  }
}

const TRUE_WORDS = new Set(['yes', 'true', 'y', 't', '1', 'on']);
const FALSE_WORDS = new Set(['no', 'false', 'n', 'f', '0', 'off']);

/** main/utils.c ast_true(): strcasecmp() against the words, blanks not trimmed (`on ` is not true). */
export function isAstTrue(s: string | undefined): boolean {
  return s !== undefined && s.length <= 5 && TRUE_WORDS.has(s.toLowerCase());
}
/** main/utils.c ast_false(): as ast_true(), for the false words. */
export function isAstFalse(s: string | undefined): boolean {
  return s !== undefined && s.length <= 5 && FALSE_WORDS.has(s.toLowerCase());
}

/**
 * strings_to_mask(): -1 for an empty value (the Events action answers
 * "Invalid event mask"), a decimal number as is, a false word 0, a true word
 * every class, otherwise a class list as in parsePermString().
 */
export function stringsToMask(value: string | undefined): number {
  if (value === undefined || value.length === 0) return -1;
  if (/^[0-9]+$/.test(value)) {
    const n = Number.parseInt(value, 10);
    // atoi() into an int: keep the low 31 bits as Asterisk would for sane input.
    return Number.isSafeInteger(n) ? n & ALL : ALL;
  }
  if (isAstFalse(value)) return 0;
  if (isAstTrue(value)) return ALL_NAMED;
  return parsePermString(value);
}

/** authority_to_str(): `call,all` for call events, `<none>` for 0. */
export function authorityToStr(mask: number): string {
  // EVENT_FLAG_SHUTDOWN (-1) marks session-close events and prints as <none>.
  if (mask === -1) return '<none>';
  const out: string[] = [];
  for (let i = 0; i < PERMS.length - 1; i++) {
    const [label, num] = PERMS[i]!;
    if (mask & num) out.push(label);
  }
  return out.length === 0 ? '<none>' : out.join(',');
}

/**
 * Class mask of an event from its `Privilege:` header (`call,all` -> call), or
 * undefined when the header does not name a class amigate knows: missing,
 * empty, `<none>`, `all` alone, or any name not in perms[] (a newer Asterisk's
 * class). `all` is dropped because authority_to_str() appends it to every
 * non-zero mask (S18). Names are matched case-insensitively and trimmed
 * (Status list items say `Privilege: Call`). The caller fails closed on
 * undefined: such an event is for `read: all` users only (docs/protocol.md).
 */
export function privilegeToMask(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  let mask = 0;
  let start = 0;
  for (;;) {
    const comma = header.indexOf(',', start);
    const token = (comma < 0 ? header.slice(start) : header.slice(start, comma)).trim().toLowerCase();
    if (token !== 'all') {
      const bit = BY_NAME.get(token);
      if (bit === undefined || bit === 0) return undefined; // unknown, empty or `none`
      mask |= bit;
    }
    if (comma < 0) return mask === 0 ? undefined : mask;
    start = comma + 1;
  }
}
