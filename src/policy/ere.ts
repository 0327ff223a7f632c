// POSIX ERE (glibc regcomp(REG_EXTENDED|REG_NOSUB), C locale), as Asterisk
// compiles eventfilter and Filter patterns and Hangup's /regex/ channels, run on
// a linear-time engine: the pattern is parsed here exactly as glibc parses it
// (so the same patterns fail with the same REG_* errors), then written out in
// RE2 syntax for re2js (policy/linear-regex.ts says why re2js). Checked
// against glibc on the cases in test/unit/policy/ere.test.ts. The parser is
// ere-parse.ts, the fast paths ere-fast.ts.
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

import { RE2JS } from 're2js';
import { explain } from './linear-regex.js';
import { compileError, EreParser, type Consumes, type Node, type Word } from './ere-parse.js';
import { fastTest, guarded } from './ere-fast.js';

/** A compiled ERE: test() is linear in the subject and keeps no state. */
export interface EreMatcher {
  readonly pattern: string;
  /** The RE2 pattern run by the engine (for tests and logs). */
  readonly re2: string;
  test(text: string): boolean;
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
