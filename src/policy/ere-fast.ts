// Fast paths for event filters (policy/ere.ts). Most real filters are a
// literal or a few alternatives of one ("Event: (Hangup|Newstate)"): those are
// answered with String.includes/startsWith/endsWith. Other patterns first
// check for a literal every match must contain, and when every match must
// start with one ("Channel: (PJSIP|SIP)/[0-9]+") the engine scans only from its
// first occurrence. test/unit/policy/ere.test.ts checks every path against the
// engine alone on random patterns.

import type { RE2JS } from 're2js';
import type { Node } from './ere-parse.js';

/** Most strings one exact set may hold before it is not worth listing. */
const MAX_SET = 16;

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
export function fastTest(ast: Node): ((text: string) => boolean) | undefined {
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
export function guarded(ast: Node, re: RE2JS): (text: string) => boolean {
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
