// POSIX ERE (glibc regcomp(REG_EXTENDED|REG_NOSUB), C locale), as Asterisk
// compiles eventfilter and Filter patterns and Hangup's /regex/ channels, run on
// a linear-time engine: the pattern is parsed here exactly as glibc parses it
// (so the same patterns fail with the same REG_* errors), then written out in
// RE2 syntax for re2js (policy/linear-regex.ts says why re2js). Checked
// against glibc on the cases in test/unit/policy/ere.test.ts.
//
// Matching is boolean (REG_NOSUB), so POSIX leftmost-longest and RE2
// leftmost-first agree on whether a match exists. What needs care:
//   - RE2/JS-only syntax must not leak through: "(?=x)" is REG_BADRPT in ERE.
//   - ERE allows stacked repetition (a**, a+?, x{1}{2}): emitted as (?:...).
//   - Bracket expressions: ']' first is literal, '\' is literal, [:class:],
//     [.c.] and [=c=], ranges checked (REG_ERANGE); no REG_NEWLINE, so '.'
//     and negated brackets match '\n' too.
//   - A ')' with no open group is an ordinary character (RE_UNMATCHED_RIGHT_PAREN_ORD).
//   - GNU escapes \< \> \b \B \` \' \w \W \s \S; any other escaped char is literal.
//   - Anchors: without REG_NEWLINE glibc still treats a newline the match has
//     itself consumed as a line boundary, while the text before and after the
//     match counts as buffer edges: '^' holds at offset 0 or right after a '\n'
//     inside the match, '$' at the end or right before a '\n' the match goes on
//     to consume ("a.^b" matches "a\nb", "c*^b" does not). Each anchor is
//     emitted from what can be consumed before (^) or after ($) it: \A or \z
//     when nothing can, (?m:^) or (?m:$) otherwise; only when both "nothing"
//     and "something" are possible is the result approximate.
// What RE2 cannot express is refused like a pattern regcomp() rejects (the
// client gets Asterisk's "Filter did not compile" reply): backreferences \1-\9,
// \< not followed / \> not preceded by a known word character (they would need
// lookaround), and repetition counts over 1000 (glibc allows 32767).
//
// The usual filter is a plain string ("Event: Newchannel") or a few
// alternatives of one ("Event: (Hangup|Newstate)"): such patterns are answered
// with String.includes/startsWith/endsWith, and other patterns are first
// checked for a literal every match must contain, before the engine runs.

import { RE2JS } from 're2js';
import { FilterSyntaxError } from '../errors.js';
import { explain } from './linear-regex.js';

/** A compiled ERE: test() is linear in the subject and keeps no state. */
export interface EreMatcher {
  readonly pattern: string;
  /** The RE2 pattern run by the engine (for tests and logs). */
  readonly re2: string;
  test(text: string): boolean;
}

const RE_DUP_MAX = 0x7fff;
/** Most strings one exact set may hold before it is not worth listing. */
const MAX_SET = 16;

type Range = readonly [number, number];
const WORD: readonly Range[] = [[48, 57], [65, 90], [95, 95], [97, 122]];
const SPACE: readonly Range[] = [[9, 13], [32, 32]];
const POSIX_CLASSES: Readonly<Record<string, readonly Range[]>> = {
  alpha: [[65, 90], [97, 122]],
  digit: [[48, 57]],
  alnum: [[48, 57], [65, 90], [97, 122]],
  upper: [[65, 90]],
  lower: [[97, 122]],
  space: SPACE,
  blank: [[9, 9], [32, 32]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  print: [[0x20, 0x7e]],
  graph: [[0x21, 0x7e]],
  cntrl: [[0, 0x1f], [0x7f, 0x7f]],
  xdigit: [[48, 57], [65, 70], [97, 102]],
};

/** Whether a piece of pattern consumes no text, always some, or either. */
type Consumes = 'zero' | 'some' | 'either';
/** Whether the characters an atom matches are all word characters ([0-9A-Za-z_]), none, or some. */
type Word = 'yes' | 'no' | 'mixed';

type Node =
  | { t: 'alt'; branches: Node[][] }
  | { t: 'group'; alt: Node }
  | { t: 'atom'; re: string; word: Word; chars: string[] | undefined }
  | { t: 'bol' } | { t: 'eol' }
  | { t: 'wordstart' } | { t: 'wordend' }
  | { t: 'anchor'; re: string }
  | { t: 'repeat'; node: Node; min: number; max: number };

function compileError(pattern: string, why: string): FilterSyntaxError {
  return new FilterSyntaxError('compile', `event filter regex '${pattern}' does not compile: ${why}`);
}

const hex = (code: number): string => `\\x{${code.toString(16)}}`;

function literalAtom(cp: number): Node {
  const ch = String.fromCodePoint(cp);
  const alnum = (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122);
  const re = alnum || cp === 32 ? ch : cp > 32 && cp < 127 ? '\\' + ch : hex(cp);
  return { t: 'atom', re, word: alnum || cp === 95 ? 'yes' : 'no', chars: [ch] };
}

function classAtom(ranges: readonly Range[], negate: boolean): Node {
  const re = '[' + (negate ? '^' : '') + ranges.map(([lo, hi]) => (lo === hi ? hex(lo) : hex(lo) + '-' + hex(hi))).join('') + ']';
  const inWord = (c: number) => WORD.some(([lo, hi]) => c >= lo && c <= hi);
  let all = true;
  let none = true;
  let count = 0;
  for (const [lo, hi] of ranges) {
    count += hi - lo + 1;
    for (let c = lo; c <= Math.min(hi, 0x7f); c++) { if (inWord(c)) none = false; else all = false; }
    if (hi > 0x7f) all = false;
  }
  const wordAll = WORD.every(([lo, hi]) => ranges.some(([a, b]) => a <= lo && b >= hi));
  const word: Word = negate ? (wordAll ? 'no' : 'mixed') : all && count > 0 ? 'yes' : none ? 'no' : 'mixed';
  let chars: string[] | undefined;
  if (!negate && count <= 4) {
    chars = [];
    for (const [lo, hi] of ranges) for (let c = lo; c <= hi; c++) chars.push(String.fromCodePoint(c));
  }
  return { t: 'atom', re, word, chars };
}

/** Translate a POSIX ERE for the linear-time engine; throws FilterSyntaxError('compile') where regcomp() fails or RE2 cannot follow. */
export function translateEre(pattern: string, options: { fastPaths?: boolean } = {}): EreMatcher {
  const ast = new EreParser(pattern).parse();
  const re2 = emit(ast, 'zero', 'zero', pattern);
  let re: RE2JS;
  try {
    re = RE2JS.compile(re2, RE2JS.DOTALL);
  } catch (err) {
    throw compileError(pattern, explain(re2, err));
  }
  // fastPaths: false (tests only) runs every subject on the engine.
  const test = options.fastPaths === false ? (text: string) => re.test(text) : fastTest(ast) ?? guarded(ast, re);
  return { pattern, re2, test };
}

class EreParser {
  private i = 0;
  private groups = 0;
  private readonly closed = new Set<number>();
  private depth = 0;
  constructor(private readonly p: string) {}

  parse(): Node {
    return this.alternation(); // a stray ')' at depth 0 is a literal, so all input is consumed
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
      canRepeat = item.t === 'atom' || item.t === 'group';
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
        const d = p.codePointAt(this.i)!;
        this.i += d > 0xffff ? 2 : 1;
        if (d >= 49 && d <= 57) {
          // glibc accepts a backreference to a closed group; RE2 cannot run one in linear time.
          if (!this.closed.has(d - 48)) throw compileError(p, `invalid back reference \\${d - 48} (REG_ESUBREG)`);
          throw compileError(p, `back reference \\${d - 48}: backreferences are not supported (amigate matches with a linear-time engine)`);
        }
        switch (String.fromCodePoint(d)) {
          case '<': return { t: 'wordstart' };
          case '>': return { t: 'wordend' };
          case 'b': return { t: 'anchor', re: '\\b' };
          case 'B': return { t: 'anchor', re: '\\B' };
          case '`': return { t: 'anchor', re: '\\A' };
          case "'": return { t: 'anchor', re: '\\z' };
          case 'w': return classAtom(WORD, false);
          case 'W': return classAtom(WORD, true);
          case 's': return classAtom(SPACE, false);
          case 'S': return classAtom(SPACE, true);
          default: return literalAtom(d);
        }
      }
      case '.': return { t: 'atom', re: '.', word: 'mixed', chars: undefined };
      case '[': return this.bracket();
      case '(': {
        const num = ++this.groups;
        this.depth++;
        const alt = this.alternation();
        if (p[this.i] !== ')') throw compileError(p, 'unmatched ( (REG_EPAREN)');
        this.i++;
        this.depth--;
        this.closed.add(num);
        return { t: 'group', alt };
      }
      case '^': return { t: 'bol' };
      case '$': return { t: 'eol' };
      default: {
        // Includes a ')' with no open group. A non-BMP character is one literal.
        const cp = p.codePointAt(this.i - 1)!;
        if (cp > 0xffff) this.i++;
        return literalAtom(cp);
      }
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
  private bracket(): Node {
    const p = this.p;
    const n = p.length;
    let i = this.i;
    let negate = false;
    if (p[i] === '^') { negate = true; i++; }
    const ranges: Range[] = [];
    let first = true;
    let afterRange = false;
    /** [.c.] or [=c=] at i: the one character it names. */
    const collating = (): number => {
      const kind = p[i + 1]!;
      const end = p.indexOf(kind + ']', i + 2);
      if (end < 0) throw compileError(p, 'unmatched [ (REG_EBRACK)');
      const name = p.slice(i + 2, end);
      if (name.length !== 1) throw compileError(p, `invalid collating element [${kind}${name}${kind}] (REG_ECOLLATE)`);
      i = end + 2;
      return name.charCodeAt(0);
    };
    for (;;) {
      if (i >= n) throw compileError(p, 'unmatched [ (REG_EBRACK)');
      const c = p[i]!;
      if (c === ']' && !first) { i++; break; }
      first = false;
      if (afterRange && c === '-' && p[i + 1] !== ']') throw compileError(p, 'invalid range end (REG_ERANGE)');
      afterRange = false;
      let lo: number;
      if (c === '[' && p[i + 1] === ':') {
        const end = p.indexOf(':]', i + 2);
        if (end < 0) throw compileError(p, 'unmatched [ (REG_EBRACK)');
        const name = p.slice(i + 2, end);
        i = end + 2;
        const cls = POSIX_CLASSES[name];
        if (cls === undefined) throw compileError(p, `unknown character class [:${name}:] (REG_ECTYPE)`);
        if (p[i] === '-' && p[i + 1] !== ']') throw compileError(p, 'character class as range end point (REG_ERANGE)');
        ranges.push(...cls);
        continue;
      }
      if (c === '[' && (p[i + 1] === '.' || p[i + 1] === '=')) lo = collating();
      else { lo = p.codePointAt(i)!; i += lo > 0xffff ? 2 : 1; }
      if (p[i] === '-' && i + 1 < n && p[i + 1] !== ']') {
        i++;
        let hi: number;
        if (p[i] === '[' && (p[i + 1] === '.' || p[i + 1] === '=')) hi = collating();
        else if (p[i] === '[' && p[i + 1] === ':') throw compileError(p, 'character class as range end point (REG_ERANGE)');
        else { hi = p.codePointAt(i)!; i += hi > 0xffff ? 2 : 1; }
        if (hi < lo) throw compileError(p, 'invalid range end (REG_ERANGE)');
        ranges.push([lo, hi]);
        afterRange = true;
      } else {
        ranges.push([lo, lo]);
      }
    }
    this.i = i;
    return classAtom(ranges, negate);
  }
}

// --- consumption and word-character analysis --------------------------------

function consumes(node: Node): Consumes {
  switch (node.t) {
    case 'atom': return 'some';
    case 'group': return consumes(node.alt);
    case 'alt': {
      let acc: Consumes | undefined;
      for (const b of node.branches) acc = acc === undefined ? seqConsumes(b, 0, b.length) : merge(acc, seqConsumes(b, 0, b.length));
      return acc ?? 'zero';
    }
    case 'repeat': {
      const c = consumes(node.node);
      if (c === 'zero' || node.max === 0) return 'zero';
      return node.min === 0 ? 'either' : c;
    }
    default: return 'zero';
  }
}

function seqConsumes(items: readonly Node[], from: number, to: number): Consumes {
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
function mergeWord(a: Word, b: Word): Word { return a === b ? a : 'mixed'; }

/** Word-ness of the first (dir 1) or last (dir -1) character `node` consumes; undefined when it consumes none. */
function edge(node: Node, dir: 1 | -1): Word | undefined {
  switch (node.t) {
    case 'atom': return node.word;
    case 'group': return edge(node.alt, dir);
    case 'alt': {
      let acc: Word | undefined;
      for (const b of node.branches) {
        const w = seqEdge(b, dir === 1 ? -1 : b.length, dir) ?? 'mixed'; // an empty branch: the neighbour decides
        acc = acc === undefined ? w : mergeWord(acc, w);
      }
      return acc;
    }
    case 'repeat': return consumes(node) === 'zero' ? undefined : node.min === 0 ? 'mixed' : edge(node.node, dir);
    default: return undefined;
  }
}

/** Word-ness of the next character consumed after (dir 1) or before (dir -1) items[at]; 'mixed' when it may come from outside. */
function seqEdge(items: readonly Node[], at: number, dir: 1 | -1): Word | undefined {
  for (let i = at + dir; i >= 0 && i < items.length; i += dir) {
    const item = items[i]!;
    const c = consumes(item);
    if (c === 'zero') continue;
    const w = edge(item, dir) ?? 'mixed';
    return c === 'some' ? w : 'mixed';
  }
  return 'mixed';
}

// --- RE2 emission --------------------------------------------------------------

/** RE2 syntax for `node`, given what the match may have consumed before it and may consume after it. */
function emit(node: Node, before: Consumes, after: Consumes, pattern: string): string {
  switch (node.t) {
    case 'atom': case 'anchor': return node.re;
    case 'bol': return before === 'zero' ? '\\A' : '(?m:^)';
    case 'eol': return after === 'zero' ? '\\z' : '(?m:$)';
    case 'wordstart': case 'wordend': throw new Error('emitted by its sequence');
    case 'group': return '(?:' + emit(node.alt, before, after, pattern) + ')';
    case 'alt': {
      const parts: string[] = [];
      for (const items of node.branches) {
        let s = '';
        for (let i = 0; i < items.length; i++) {
          const item = items[i]!;
          if (item.t === 'wordstart' || item.t === 'wordend') {
            s += wordAnchor(item.t, items, i, pattern);
            continue;
          }
          s += emit(item, then(before, seqConsumes(items, 0, i)), then(seqConsumes(items, i + 1, items.length), after), pattern);
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
      let inner = emit(node.node, inBefore, inAfter, pattern);
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

/**
 * GNU \< (a word starts: non-word before, word after) and \> (a word ends).
 * RE2 has only \b, which is the same thing when the character on the inner
 * side is known to be a word character; other uses would need lookaround.
 */
function wordAnchor(kind: 'wordstart' | 'wordend', items: readonly Node[], i: number, pattern: string): string {
  const inner = seqEdge(items, i, kind === 'wordstart' ? 1 : -1);
  if (inner === 'yes') return '\\b';
  if (inner === 'no') return '[^\\x{0}-\\x{10ffff}]'; // can never hold
  const [esc, where] = kind === 'wordstart' ? ['\\<', 'followed'] : ['\\>', 'preceded'];
  throw compileError(pattern, `${esc} must be ${where} by a letter, digit or _ (a linear-time engine cannot look around it)`);
}

// --- fast paths ----------------------------------------------------------------

/** The strings `node` matches, when there are few (at most MAX_SET). */
function exact(node: Node): string[] | undefined {
  switch (node.t) {
    case 'atom': return node.chars;
    case 'group': return exact(node.alt);
    case 'alt': {
      const out = new Set<string>();
      for (const b of node.branches) {
        const s = seqExact(b, 0, b.length);
        if (s === undefined) return undefined;
        for (const x of s) out.add(x);
      }
      return out.size <= MAX_SET ? [...out] : undefined;
    }
    case 'repeat': {
      const body = exact(node.node);
      if (body === undefined || node.max > 4) return undefined;
      const out = new Set<string>();
      let cur = [''];
      for (let k = 0; k <= node.max; k++) {
        if (k >= node.min) for (const x of cur) out.add(x);
        const next = product(cur, body);
        if (next === undefined) return undefined;
        cur = next;
      }
      return out.size <= MAX_SET ? [...out] : undefined;
    }
    default: return undefined;
  }
}

function seqExact(items: readonly Node[], from: number, to: number): string[] | undefined {
  let acc: string[] | undefined = [''];
  for (let i = from; i < to && acc !== undefined; i++) {
    const s = exact(items[i]!);
    acc = s === undefined ? undefined : product(acc, s);
  }
  return acc;
}

function product(a: readonly string[], b: readonly string[]): string[] | undefined {
  if (a.length * b.length > MAX_SET) return undefined;
  const out: string[] = [];
  for (const x of a) for (const y of b) out.push(x + y);
  return out;
}

/** A test without the engine: exact alternatives, optionally anchored at the text's start or end. */
function fastTest(ast: Node): ((text: string) => boolean) | undefined {
  if (ast.t !== 'alt') return undefined;
  const whole = exact(ast);
  if (whole !== undefined) return (text) => whole.some((s) => text.includes(s));
  if (ast.branches.length !== 1) return undefined;
  const items = ast.branches[0]!;
  const atStart = items[0]?.t === 'bol';
  const atEnd = items.length > (atStart ? 1 : 0) && items[items.length - 1]!.t === 'eol';
  const set = seqExact(items, atStart ? 1 : 0, items.length - (atEnd ? 1 : 0));
  if (set === undefined || (!atStart && !atEnd)) return undefined;
  if (atStart && atEnd) return (text) => set.includes(text);
  return atStart ? (text) => set.some((s) => text.startsWith(s)) : (text) => set.some((s) => text.endsWith(s));
}

/**
 * The engine behind a cheap check for a literal every match must contain (when
 * there is one). When every match must start with one of a few literals (a
 * "Header: regex" filter), the engine scans only from the first occurrence on:
 * every branch consumes those characters before any anchor can be tested, so
 * the anchors see the same characters in the slice.
 */
function guarded(ast: Node, re: RE2JS): (text: string) => boolean {
  const lead = leading(ast);
  if (lead !== undefined) {
    return (text) => {
      let k = -1;
      for (const s of lead) {
        const i = text.indexOf(s);
        if (i >= 0 && (k < 0 || i < k)) k = i;
      }
      return k >= 0 && re.test(k === 0 ? text : text.slice(k));
    };
  }
  const need = required(ast);
  if (need === undefined) return (text) => re.test(text);
  return (text) => need.some((s) => text.includes(s)) && re.test(text);
}

/** Strings one of which every match contains: per branch its longest run of exact items. */
function required(ast: Node): string[] | undefined {
  if (ast.t !== 'alt') return undefined;
  const out = new Set<string>();
  for (const items of ast.branches) {
    let best: string[] = [''];
    let run: string[] = [''];
    const shortest = (xs: readonly string[]) => xs.reduce((m, x) => Math.min(m, x.length), Infinity);
    const close = () => { if (shortest(run) > shortest(best)) best = run; };
    for (const item of items) {
      const s = exact(item);
      const next = s === undefined ? undefined : product(run, s);
      if (next !== undefined) { run = next; continue; }
      close();
      run = s ?? [''];
    }
    close();
    if (shortest(best) < 2) return undefined;
    for (const x of best) out.add(x);
  }
  return out.size <= MAX_SET ? [...out] : undefined;
}

/** Strings one of which every match starts with: each branch's run of exact items from its first. */
function leading(ast: Node): string[] | undefined {
  if (ast.t !== 'alt') return undefined;
  const out = new Set<string>();
  for (const items of ast.branches) {
    let run: string[] = [''];
    for (const item of items) {
      const s = exact(item);
      const next = s === undefined ? undefined : product(run, s);
      if (next === undefined) break;
      run = next;
    }
    if (run.some((x) => x.length < 2)) return undefined;
    for (const x of run) out.add(x);
  }
  return out.size <= MAX_SET ? [...out] : undefined;
}
