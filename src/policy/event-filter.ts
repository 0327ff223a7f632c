// Asterisk-compatible AMI event filters (S20): the manager.conf `eventfilter`
// option and the Filter action, in both syntaxes. Used by the simulated
// Asterisk and by the proxy's per-client fan-out, so it is pure and every
// filter is compiled once.
//
//   legacy    "[!]<POSIX ERE>"           matched against the whole event text
//   advanced  {matchcriteria, filter}    action(include|exclude),name(X),header(H),
//                                        method(regex|exact|starts_with|ends_with|contains|none)
//
// Parsing follows main/manager.c manager_add_filter() token by token (strtok_r
// on " ,)", prefix-matched option names, the three format-error rules);
// matching follows filter_cmp_fn()/match_eventdata(); the include/exclude
// order is should_send_event(). Legacy regexes are POSIX EREs compiled with
// REG_EXTENDED|REG_NOSUB and no REG_NEWLINE, so '.' and bracket negations
// match CR/LF and ^/$ anchor the whole text; translateEre() turns them into an
// equivalent JS RegExp and rejects what glibc regcomp() rejects (checked
// against glibc on the cases in test/unit/policy/event-filter.test.ts).

import type { AmiMessage } from '../protocol/message.js';
import { FilterSyntaxError } from '../errors.js';
import { unsafeRegexReason } from './regex-safety.js';

export { FilterSyntaxError };

/** A legacy filter string, or an advanced one (criteria without the `eventfilter(...)` wrapper). */
export type FilterSpec = string | { matchcriteria: string; filter: string };

export type MatchMethod = 'regex' | 'exact' | 'starts_with' | 'ends_with' | 'contains' | 'none';

export interface CompiledFilter {
  /** An exclude filter (leading '!' or action(exclude)). */
  readonly exclude: boolean;
  /** name(X): only events named exactly X (case-sensitive, like ast_str_hash). */
  readonly eventName: string | undefined;
  /** header(H): the line prefix tested, always ending in ':' (case-sensitive). */
  readonly header: string | undefined;
  readonly method: MatchMethod;
  /** The pattern after a leading '!' was removed. */
  readonly pattern: string;
  /** The spec as given, for logs and errors. */
  readonly source: string;
  /** filter_cmp_fn(): does this filter match the event (ignoring include/exclude)? */
  matches(eventName: string, event: AmiMessage | undefined, text: string): boolean;
}

/** Parse and compile one filter; throws FilterSyntaxError ('format' or 'compile'). */
export function compileFilter(spec: FilterSpec): CompiledFilter {
  let criteria: string;
  let pattern: string;
  let source: string;
  if (typeof spec === 'string') {
    criteria = 'eventfilter';
    pattern = spec;
    source = spec;
  } else {
    // action_filter(): "eventfilter" + ("(" MatchCriteria ")" when non-empty).
    const mc = spec.matchcriteria ?? '';
    criteria = mc.length > 0 ? `eventfilter(${mc})` : 'eventfilter';
    pattern = spec.filter ?? '';
    source = `${criteria} = ${pattern}`;
  }
  return parseFilter(criteria, pattern, source);
}

/**
 * A manager.conf line: `eventfilter = [!]regex` or `eventfilter(<criteria>) = [pattern]`
 * (`key` is the text left of '=', `value` the text right of it).
 */
export function compileManagerConfFilter(key: string, value: string): CompiledFilter {
  return parseFilter(key, value, `${key} = ${value}`);
}

function formatError(source: string, why: string): FilterSyntaxError {
  return new FilterSyntaxError('format', `event filter '${source}': ${why}`);
}

function parseFilter(criteria: string, rawPattern: string, source: string): CompiledFilter {
  let exclude = false;
  let pattern = rawPattern;
  // A leading '!' excludes; for advanced filters action(...) takes precedence.
  if (pattern.charCodeAt(0) === 33 /* ! */) {
    exclude = true;
    pattern = pattern.slice(1);
  }
  let method: MatchMethod = 'regex';
  let eventName: string | undefined;
  let header: string | undefined;
  const open = criteria.indexOf('(');
  if (open < 0 && pattern.length === 0) throw formatError(source, 'legacy filter with no filter pattern');
  if (open >= 0) {
    method = 'none';
    const temp = cStrip(criteria.slice(open + 1));
    if (temp.length === 0 || !temp.endsWith(')')) throw formatError(source, 'filter options not formatted correctly');
    let found = false;
    let named = false;
    for (const option of temp.split(/[ ,)]+/)) {
      if (option.length === 0) continue; // strtok_r() never returns empty tokens
      const paren = option.indexOf('(');
      const arg = paren < 0 ? '' : cStrip(option.slice(paren + 1));
      if (option.startsWith('action')) {
        if (paren < 0) throw formatError(source, "'action' parameter not formatted correctly");
        if (arg === 'include') exclude = false;
        else if (arg === 'exclude') exclude = true;
        else throw formatError(source, `'action' option '${arg}' is unknown`);
      } else if (option.startsWith('name')) {
        if (arg.length === 0) throw formatError(source, "'name' parameter not formatted correctly");
        eventName = arg;
        named = true;
      } else if (option.startsWith('header')) {
        if (arg.length === 0) throw formatError(source, "'header' parameter not formatted correctly");
        header = arg.endsWith(':') ? arg : arg + ':';
        named = true;
      } else if (option.startsWith('method')) {
        if (arg.length === 0) throw formatError(source, "'method' parameter not formatted correctly");
        if (!isMethod(arg)) throw formatError(source, `'method' option '${arg}' is unknown`);
        method = arg;
      } else {
        throw formatError(source, `filter option '${option}' is unknown`);
      }
      found = true;
    }
    if (!found) throw formatError(source, 'no action, name, header, or method option found');
    if (pattern.length === 0 && method !== 'none') throw formatError(source, `method can't be '${method}' with no filter pattern`);
    if (pattern.length > 0 && method === 'none') throw formatError(source, "method can't be 'none' with a filter pattern");
    if (!named && method === 'none') throw formatError(source, 'no name or header option found and no filter pattern');
  }
  const regex = method === 'regex' && pattern.length > 0 ? translateEre(pattern) : undefined;
  return new Filter(exclude, eventName, header, method, pattern, source, regex);
}

const METHODS: ReadonlySet<string> = new Set(['regex', 'exact', 'starts_with', 'ends_with', 'contains', 'none']);
function isMethod(s: string): s is MatchMethod { return METHODS.has(s); }

/** ast_strip(): trim isspace() characters at both ends. */
function cStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isCSpace(s.charCodeAt(a))) a++;
  while (b > a && isCSpace(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}
function isCSpace(c: number): boolean { return c === 32 || (c >= 9 && c <= 13); }

class Filter implements CompiledFilter {
  constructor(
    readonly exclude: boolean,
    readonly eventName: string | undefined,
    readonly header: string | undefined,
    readonly method: MatchMethod,
    readonly pattern: string,
    readonly source: string,
    private readonly regex: RegExp | undefined,
  ) {}

  matches(eventName: string, event: AmiMessage | undefined, text: string): boolean {
    if (this.eventName !== undefined && eventName !== this.eventName) return false;
    const header = this.header;
    if (header === undefined) return this.matchData(text);
    // filter_cmp_fn(): every line that begins with "Header:" is tried; blanks
    // after the colon are skipped and empty values never match.
    const lines = event !== undefined ? event.lines : splitLines(text);
    for (const line of lines) {
      if (!line.startsWith(header)) continue;
      let i = header.length;
      while (i < line.length && line.charCodeAt(i) < 33) i++;
      if (i === line.length) continue;
      if (this.matchData(line.slice(i))) return true;
    }
    return false;
  }

  /** match_eventdata(). */
  private matchData(data: string): boolean {
    switch (this.method) {
      case 'regex': return this.regex!.test(data);
      case 'starts_with': return data.startsWith(this.pattern);
      case 'ends_with': return data.endsWith(this.pattern);
      case 'contains': return data.includes(this.pattern);
      case 'exact': return data === this.pattern;
      case 'none': return true;
    }
  }
}

/** ast_read_line_from_buffer(): lines split at LF with a CR before it dropped. */
function splitLines(text: string): string[] {
  const out = text.split('\n');
  for (let i = 0; i < out.length; i++) {
    const l = out[i]!;
    if (l.endsWith('\r')) out[i] = l.slice(0, -1);
  }
  return out;
}

/**
 * The filters of one session, split like its includefilters/excludefilters
 * containers. passes() is should_send_event():
 *   none                 -> pass
 *   includes only        -> pass if any include matches
 *   excludes only        -> pass unless any exclude matches
 *   both                 -> pass if any include matches and no exclude does
 */
export class EventFilterSet {
  private readonly includes: CompiledFilter[] = [];
  private readonly excludes: CompiledFilter[] = [];

  constructor(filters: Iterable<CompiledFilter> = []) {
    for (const f of filters) this.add(f);
  }

  add(f: CompiledFilter): void {
    (f.exclude ? this.excludes : this.includes).push(f);
  }

  get size(): number { return this.includes.length + this.excludes.length; }

  /** A copy to which a session can add its own filters (Filter action) without touching the user's. */
  clone(): EventFilterSet {
    const c = new EventFilterSet();
    for (const f of this.includes) c.includes.push(f);
    for (const f of this.excludes) c.excludes.push(f);
    return c;
  }

  /**
   * `text` is the event's exact wire text, final blank line included (the
   * eventdata manager.c matches); `event` lets header filters reuse parsed lines.
   */
  passes(eventName: string, event: AmiMessage | undefined, text: string): boolean {
    const inc = this.includes;
    const exc = this.excludes;
    if (inc.length > 0) {
      let hit = false;
      for (let i = 0; i < inc.length; i++) if (inc[i]!.matches(eventName, event, text)) { hit = true; break; }
      if (!hit) return false;
    }
    for (let i = 0; i < exc.length; i++) if (exc[i]!.matches(eventName, event, text)) return false;
    return true;
  }
}

// ---------------------------------------------------------------------------
// POSIX ERE (glibc regcomp, REG_EXTENDED, C locale) -> JS RegExp.
//
// Matching is boolean (REG_NOSUB), so POSIX leftmost-longest and JS
// leftmost-first agree on whether a match exists. What needs care:
//   - JS-only syntax must not leak through: "(?=x)" is REG_BADRPT in ERE.
//   - ERE allows stacked repetition (a**, a+?, x{1}{2}): emitted as (?:...).
//   - Bracket expressions: ']' first is literal, '\' is literal, [:class:],
//     [.c.] and [=c=], ranges checked (REG_ERANGE).
//   - '\1'..'\9' refer only to groups already closed (REG_ESUBREG); one digit.
//   - A ')' with no open group is an ordinary character (RE_UNMATCHED_RIGHT_PAREN_ORD).
//   - GNU escapes \< \> \b \B \` \' \w \W \s \S; any other escaped char is literal.
//   - Anchors: without REG_NEWLINE glibc still treats a newline the match has
//     itself consumed as a line boundary, while the text before and after the
//     match counts as buffer edges: '^' holds at offset 0 or right after a '\n'
//     inside the match, '$' at the end or right before a '\n' the match goes on
//     to consume ("a.^b" matches "a\nb", "c*^b" does not). Each anchor is
//     emitted from what can be consumed before (^) or after ($) it; only when
//     both "nothing" and "something" are possible is the result approximate.
// ---------------------------------------------------------------------------

const RE_DUP_MAX = 0x7fff;

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\x09-\\x0d\\x20',
  blank: '\\x09\\x20',
  punct: '\\x21-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7e',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
  cntrl: '\\x00-\\x1f\\x7f',
  xdigit: '0-9A-Fa-f',
};

/** Whether a piece of pattern consumes no text, always some, or either. */
type Consumes = 'zero' | 'some' | 'either';

type Node =
  | { t: 'alt'; branches: Node[][] }
  | { t: 'group'; num: number; alt: Node }
  | { t: 'atom'; js: string }
  | { t: 'backref'; num: number; group: Node }
  | { t: 'bol' } | { t: 'eol' }
  | { t: 'anchor'; js: string }
  | { t: 'repeat'; node: Node; min: number; max: number };

function compileError(pattern: string, why: string): FilterSyntaxError {
  return new FilterSyntaxError('compile', `event filter regex '${pattern}' does not compile: ${why}`);
}

function hex(code: number): string {
  return code <= 0xff ? '\\x' + code.toString(16).padStart(2, '0') : '\\u' + code.toString(16).padStart(4, '0');
}

const JS_SPECIAL = new Set('\\^$.|?*+()[]{}/-'.split(''));
function literal(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c < 0x20 || c >= 0x7f) return hex(c);
  return JS_SPECIAL.has(ch) ? '\\' + ch : ch;
}

/** Translate a POSIX ERE to an equivalent JS RegExp; throws FilterSyntaxError('compile') where regcomp() fails. */
export function translateEre(pattern: string): RegExp {
  const ast = new EreParser(pattern).parse();
  const js = emit(ast, 'zero', 'zero');
  let re: RegExp;
  try {
    re = new RegExp(js, 's');
  } catch (err) {
    throw compileError(pattern, (err as Error).message);
  }
  // A filter runs against every event of the session: one that can backtrack
  // exponentially is refused like one that does not compile (regex-safety.ts).
  const unsafe = unsafeRegexReason(re);
  if (unsafe !== undefined) throw compileError(pattern, unsafe);
  return re;
}

class EreParser {
  private i = 0;
  private groups = 0;
  private readonly closed = new Map<number, Node>();
  private depth = 0;
  constructor(private readonly p: string) {}

  parse(): Node {
    const alt = this.alternation();
    if (this.i < this.p.length) throw compileError(this.p, 'unexpected )'); // not reached: stray ')' is literal
    return alt;
  }

  private alternation(): Node {
    const branches: Node[][] = [this.sequence()];
    while (this.p[this.i] === '|') {
      this.i++;
      branches.push(this.sequence());
    }
    return { t: 'alt', branches };
  }

  private sequence(): Node[] {
    const p = this.p;
    const items: Node[] = [];
    /** The last item can take a repetition operator. */
    let canRepeat = false;
    while (this.i < p.length) {
      const c = p[this.i]!;
      if (c === '|') break;
      if (c === ')' && this.depth > 0) break;
      if (c === '*' || c === '+' || c === '?' || c === '{') {
        if (!canRepeat) throw compileError(p, 'repetition with nothing to repeat (REG_BADRPT)');
        this.i++;
        let min = 0;
        let max = Infinity;
        if (c === '+') min = 1;
        else if (c === '?') max = 1;
        else if (c === '{') [min, max] = this.interval();
        items.push({ t: 'repeat', node: items.pop()!, min, max });
        continue;
      }
      const item = this.item();
      items.push(item);
      canRepeat = item.t !== 'bol' && item.t !== 'eol' && item.t !== 'anchor';
    }
    return items;
  }

  private item(): Node {
    const p = this.p;
    const c = p[this.i]!;
    this.i++;
    switch (c) {
      case '\\': {
        if (this.i >= p.length) throw compileError(p, 'trailing backslash (REG_EESCAPE)');
        const d = p[this.i]!;
        this.i++;
        if (d >= '1' && d <= '9') {
          const num = d.charCodeAt(0) - 48;
          const group = this.closed.get(num);
          if (group === undefined) throw compileError(p, `invalid back reference \\${d} (REG_ESUBREG)`);
          return { t: 'backref', num, group };
        }
        switch (d) {
          case '<': return { t: 'anchor', js: '\\b(?=\\w)' };
          case '>': return { t: 'anchor', js: '\\b(?<=\\w)' };
          case 'b': return { t: 'anchor', js: '\\b' };
          case 'B': return { t: 'anchor', js: '\\B' };
          case '`': return { t: 'anchor', js: '(?<![\\s\\S])' };
          case "'": return { t: 'anchor', js: '(?![\\s\\S])' };
          case 'w': return { t: 'atom', js: '[0-9A-Za-z_]' };
          case 'W': return { t: 'atom', js: '[^0-9A-Za-z_]' };
          case 's': return { t: 'atom', js: `[${POSIX_CLASSES.space}]` };
          case 'S': return { t: 'atom', js: `[^${POSIX_CLASSES.space}]` };
          default: return { t: 'atom', js: literal(d) };
        }
      }
      case '.': return { t: 'atom', js: '[\\s\\S]' };
      case '[': return { t: 'atom', js: this.bracket() };
      case '(': {
        const num = ++this.groups;
        this.depth++;
        const alt = this.alternation();
        if (p[this.i] !== ')') throw compileError(p, 'unmatched ( (REG_EPAREN)');
        this.i++;
        this.depth--;
        const group: Node = { t: 'group', num, alt };
        this.closed.set(num, group);
        return group;
      }
      case '^': return { t: 'bol' };
      case '$': return { t: 'eol' };
      default: return { t: 'atom', js: literal(c) }; // includes a ')' with no open group
    }
  }

  /**
   * `{m}`, `{m,}`, `{m,n}`, `{,n}` after the '{': parse_dup_op() and
   * fetch_number() token by token, so `a{\\,}` (an escaped comma still counts
   * as the comma) and the REG_EBRACE/REG_BADBR/REG_ESIZE choices match glibc.
   */
  private interval(): [number, number] {
    const p = this.p;
    const MISSING = -1;
    const ERROR = -2;
    let tok: { type: 'char' | 'close' | 'end' | 'other'; c: string } = { type: 'end', c: '' };
    const fetch = (): void => {
      if (this.i >= p.length) { tok = { type: 'end', c: '' }; return; }
      const ch = p[this.i]!;
      if (ch === '\\') {
        if (this.i + 1 >= p.length) { this.i++; tok = { type: 'other', c: '\\' }; return; }
        const d = p[this.i + 1]!;
        this.i += 2;
        tok = { type: /[1-9wWsSbB<>`']/.test(d) ? 'other' : 'char', c: d };
        return;
      }
      this.i++;
      tok = { type: ch === '}' ? 'close' : '{*+?|()[^$.'.includes(ch) ? 'other' : 'char', c: ch };
    };
    const fetchNumber = (): number => {
      let num = MISSING;
      for (;;) {
        fetch();
        if (tok.type === 'end') return ERROR;
        if (tok.type === 'close' || tok.c === ',') return num;
        const c = tok.c.charCodeAt(0);
        num = tok.type !== 'char' || c < 48 || c > 57 || num === ERROR ? ERROR
          : num === MISSING ? c - 48 : Math.min(RE_DUP_MAX + 1, num * 10 + c - 48);
      }
    };
    let start = fetchNumber();
    if (start === MISSING) {
      if (tok.type === 'char' && tok.c === ',') start = 0;
      else throw compileError(p, 'invalid interval (REG_BADBR)');
    }
    let end = 0;
    if (start !== ERROR) end = tok.type === 'close' ? start : tok.type === 'char' && tok.c === ',' ? fetchNumber() : ERROR;
    if (start === ERROR || end === ERROR) {
      throw compileError(p, tok.type === 'end' ? 'unmatched { (REG_EBRACE)' : 'invalid interval (REG_BADBR)');
    }
    if ((end !== MISSING && start > end) || tok.type !== 'close') throw compileError(p, 'invalid interval (REG_BADBR)');
    if ((end === MISSING ? start : end) > RE_DUP_MAX) throw compileError(p, 'interval too large (REG_ESIZE)');
    return [start, end === MISSING ? Infinity : end];
  }

  /** A bracket expression after the '['. */
  private bracket(): string {
    const p = this.p;
    const n = p.length;
    let i = this.i;
    let negate = false;
    if (p[i] === '^') { negate = true; i++; }
    const items: string[] = [];
    let first = true;
    let afterRange = false;
    for (;;) {
      if (i >= n) throw compileError(p, 'unmatched [ (REG_EBRACK)');
      const c = p[i]!;
      if (c === ']' && !first) { i++; break; }
      first = false;
      if (afterRange && c === '-' && p[i + 1] !== ']') throw compileError(p, 'invalid range end (REG_ERANGE)');
      afterRange = false;
      let lo: number;
      if (c === '[' && (p[i + 1] === ':' || p[i + 1] === '.' || p[i + 1] === '=')) {
        const kind = p[i + 1]!;
        const end = p.indexOf(kind + ']', i + 2);
        if (end < 0) throw compileError(p, 'unmatched [ (REG_EBRACK)');
        const name = p.slice(i + 2, end);
        i = end + 2;
        if (kind === ':') {
          const cls = POSIX_CLASSES[name];
          if (cls === undefined) throw compileError(p, `unknown character class [:${name}:] (REG_ECTYPE)`);
          if (p[i] === '-' && p[i + 1] !== ']') throw compileError(p, 'character class as range end point (REG_ERANGE)');
          items.push(cls);
          continue;
        }
        if (name.length !== 1) throw compileError(p, `invalid collating element [${kind}${name}${kind}] (REG_ECOLLATE)`);
        lo = name.charCodeAt(0);
      } else {
        lo = c.charCodeAt(0);
        i++;
      }
      if (p[i] === '-' && i + 1 < n && p[i + 1] !== ']') {
        i++;
        let hi: number;
        if (p[i] === '[' && (p[i + 1] === '.' || p[i + 1] === '=')) {
          const kind = p[i + 1]!;
          const end = p.indexOf(kind + ']', i + 2);
          if (end < 0) throw compileError(p, 'unmatched [ (REG_EBRACK)');
          const name = p.slice(i + 2, end);
          if (name.length !== 1) throw compileError(p, 'invalid collating element (REG_ECOLLATE)');
          hi = name.charCodeAt(0);
          i = end + 2;
        } else if (p[i] === '[' && p[i + 1] === ':') {
          throw compileError(p, 'character class as range end point (REG_ERANGE)');
        } else {
          hi = p.charCodeAt(i);
          i++;
        }
        if (hi < lo) throw compileError(p, 'invalid range end (REG_ERANGE)');
        items.push(hex(lo) + '-' + hex(hi));
        afterRange = true;
      } else {
        items.push(hex(lo));
      }
    }
    this.i = i;
    return '[' + (negate ? '^' : '') + items.join('') + ']';
  }
}

function consumes(node: Node): Consumes {
  switch (node.t) {
    case 'atom': return 'some';
    case 'bol': case 'eol': case 'anchor': return 'zero';
    case 'group': return consumes(node.alt);
    case 'backref': return consumes(node.group);
    case 'alt': {
      let acc: Consumes | undefined;
      for (const b of node.branches) {
        const c = seqConsumes(b, 0, b.length);
        acc = acc === undefined ? c : acc === c ? acc : 'either';
      }
      return acc ?? 'zero';
    }
    case 'repeat': {
      const c = consumes(node.node);
      if (c === 'zero' || node.max === 0) return 'zero';
      return node.min === 0 ? 'either' : c;
    }
  }
}

function seqConsumes(items: Node[], from: number, to: number): Consumes {
  let acc: Consumes = 'zero';
  for (let i = from; i < to; i++) acc = then(acc, consumes(items[i]!));
  return acc;
}

/** Consumption of "a then b". */
function then(a: Consumes, b: Consumes): Consumes {
  if (a === 'some' || b === 'some') return 'some';
  return a === 'zero' && b === 'zero' ? 'zero' : 'either';
}

function merge(a: Consumes, b: Consumes): Consumes { return a === b ? a : 'either'; }

/** JS for `node`, given what the match may have consumed before it and may consume after it. */
function emit(node: Node, before: Consumes, after: Consumes): string {
  switch (node.t) {
    case 'atom': return node.js;
    case 'anchor': return node.js;
    case 'bol': return before === 'zero' ? '^' : before === 'some' ? '(?<=\\n)' : '(?:^|(?<=\\n))';
    case 'eol': return after === 'zero' ? '$' : after === 'some' ? '(?=\\n)' : '(?:$|(?=\\n))';
    case 'backref': return `(?:\\${node.num})`;
    case 'group': return '(' + emit(node.alt, before, after) + ')';
    case 'alt': {
      const parts: string[] = [];
      for (const items of node.branches) {
        let s = '';
        for (let i = 0; i < items.length; i++) {
          s += emit(items[i]!, then(before, seqConsumes(items, 0, i)), then(seqConsumes(items, i + 1, items.length), after));
        }
        parts.push(s);
      }
      return parts.join('|');
    }
    case 'repeat': {
      // Later iterations follow earlier ones, so they see the body's own consumption too.
      const body = consumes(node.node);
      const inBefore = node.max > 1 ? merge(before, then(body, before)) : before;
      const inAfter = node.max > 1 ? merge(after, then(body, after)) : after;
      let inner = emit(node.node, inBefore, inAfter);
      if (node.node.t !== 'atom' && node.node.t !== 'group') inner = '(?:' + inner + ')';
      const q = node.min === 0 && node.max === Infinity ? '*'
        : node.min === 1 && node.max === Infinity ? '+'
          : node.min === 0 && node.max === 1 ? '?'
            : node.max === Infinity ? `{${node.min},}`
              : node.min === node.max ? `{${node.min}}` : `{${node.min},${node.max}}`;
      return inner + q;
    }
  }
}
