// The POSIX ERE parser (glibc regcomp(REG_EXTENDED), C locale) behind
// policy/ere.ts: token by token as glibc parses, so the same patterns fail
// with the same REG_* errors, into a small tree the translator writes out for
// RE2. Atoms carry their RE2 text, whether their characters are word
// characters (for \< and \>) and, when few, the characters themselves (for
// the fast paths in ere-fast.ts).

import { FilterSyntaxError } from '../errors.js';

const RE_DUP_MAX = 0x7fff;

export type Range = readonly [number, number];
export const WORD: readonly Range[] = [[48, 57], [65, 90], [95, 95], [97, 122]];
export const SPACE: readonly Range[] = [[9, 13], [32, 32]];
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
export type Consumes = 'zero' | 'some' | 'either';
/** Whether the characters an atom matches are all word characters ([0-9A-Za-z_]), none, or some. */
export type Word = 'yes' | 'no' | 'mixed';

export type Node =
  | { t: 'alt'; branches: Node[][] }
  | { t: 'group'; alt: Node }
  | { t: 'atom'; re: string; word: Word; chars: string[] | undefined }
  | { t: 'bol' } | { t: 'eol' }
  | { t: 'wordstart' } | { t: 'wordend' }
  | { t: 'anchor'; re: string }
  | { t: 'repeat'; node: Node; min: number; max: number };

export function compileError(pattern: string, why: string): FilterSyntaxError {
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

export class EreParser {
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
