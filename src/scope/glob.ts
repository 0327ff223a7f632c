// Scope patterns (users.<name>.scope.*): `*` is any run of characters (`/` and
// `@` included), `?` one character, everything else literal. Compiled once at
// config load; matching is a linear two-pointer walk, never a RegExp, so a
// hostile channel name cannot make it backtrack.
//
// Case follows what Asterisk compares: channel names (ast_channel_by_name_cb(),
// strncasecmp), device names (devicestate.c, strcasecmp) and queue names
// (app_queue queue_cmp_cb(), strcasecmp) are case-insensitive; dialplan contexts
// (pbx.c hashtab_compare_contexts(), strcmp) and account codes are exact.

export interface Glob {
  readonly source: string;
  matches(value: string): boolean;
}

export function compileGlob(source: string, caseInsensitive: boolean): Glob {
  const pattern = caseInsensitive ? source.toLowerCase() : source;
  const literal = !pattern.includes('*') && !pattern.includes('?');
  return {
    source,
    matches(value: string): boolean {
      const v = caseInsensitive ? value.toLowerCase() : value;
      return literal ? v === pattern : globMatch(pattern, v);
    },
  };
}

/** Wildcard match: `*` (any run), `?` (one char). O(len(p) * len(v)) at worst, no recursion. */
export function globMatch(p: string, v: string): boolean {
  let pi = 0, vi = 0, star = -1, mark = 0;
  while (vi < v.length) {
    const c = p.charCodeAt(pi);
    if (pi < p.length && (c === 63 /* ? */ || c === v.charCodeAt(vi))) { pi++; vi++; }
    else if (pi < p.length && c === 42 /* * */) { star = pi++; mark = vi; }
    else if (star >= 0) { pi = star + 1; vi = ++mark; }
    else return false;
  }
  while (pi < p.length && p.charCodeAt(pi) === 42) pi++;
  return pi === p.length;
}

/** Any of `globs` matches `value`. */
export function anyMatch(globs: readonly Glob[], value: string): boolean {
  for (const g of globs) if (g.matches(value)) return true;
  return false;
}

interface TrieNode { readonly next: Map<number, TrieNode>; readonly here: Array<{ id: number; glob: Glob }> }

/**
 * Which owners' patterns match a value, without trying every pattern: patterns
 * hang in a trie under their literal prefix (the text before the first `*` or
 * `?`), so a channel name walks one path and only tests the patterns found on
 * it. 100 tenants' `PJSIP/tNNN-*` cost one walk plus one or two matches.
 */
export class GlobIndex {
  private readonly root: TrieNode = { next: new Map(), here: [] };
  private size = 0;

  constructor(private readonly caseInsensitive: boolean) {}

  add(id: number, source: string): void {
    const glob = compileGlob(source, this.caseInsensitive);
    const p = this.caseInsensitive ? source.toLowerCase() : source;
    let node = this.root;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c === 42 || c === 63) break;
      let n = node.next.get(c);
      if (n === undefined) node.next.set(c, (n = { next: new Map(), here: [] }));
      node = n;
    }
    node.here.push({ id, glob });
    this.size++;
  }

  /** Add the id of every pattern that matches `value` to `out`. */
  collect(value: string, out: Set<number>): void {
    if (this.size === 0 || value === '') return;
    const v = this.caseInsensitive ? value.toLowerCase() : value;
    let node: TrieNode | undefined = this.root;
    for (let i = 0; node !== undefined; i++) {
      for (const e of node.here) if (!out.has(e.id) && e.glob.matches(v)) out.add(e.id);
      if (i >= v.length) break;
      node = node.next.get(v.charCodeAt(i));
    }
  }
}
