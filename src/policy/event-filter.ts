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
// order is should_send_event(). Regexes are POSIX EREs (regcomp() with
// REG_EXTENDED|REG_NOSUB), run on a linear-time engine (policy/ere.ts): a
// client's Filter is tested against every event on the one event loop.

import type { AmiMessage } from '../protocol/message.js';
import { FilterSyntaxError } from '../errors.js';
import { translateEre, type EreMatcher } from './ere.js';

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
    private readonly regex: EreMatcher | undefined,
  ) {}

  // The last answer: the sessions sharing this filter (FilterCache) are asked
  // about the same event text one after another, so the engine runs once per
  // event. (Past the name check the answer depends on the text alone.)
  private lastText: string | undefined;
  private lastAnswer = false;

  matches(eventName: string, event: AmiMessage | undefined, text: string): boolean {
    if (this.eventName !== undefined && eventName !== this.eventName) return false;
    if (this.regex === undefined) return this.test(event, text);
    if (text === this.lastText) return this.lastAnswer;
    const answer = this.test(event, text);
    this.lastText = text;
    this.lastAnswer = answer;
    return answer;
  }

  private test(event: AmiMessage | undefined, text: string): boolean {
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

/**
 * Compiled filters by spec, so that sessions with the same filters (the
 * user's eventfilter, a client's Filter repeated at every login or reload)
 * share one compiled filter and its last answer. Bounded: a client cannot grow
 * it without limit; past `max` entries the oldest is forgotten.
 */
export class FilterCache {
  private readonly map = new Map<string, CompiledFilter>();
  constructor(private readonly max = 4096) {}

  /** compileFilter(spec), compiled once; throws FilterSyntaxError like it. */
  get(spec: FilterSpec): CompiledFilter {
    const key = typeof spec === 'string' ? 'l' + spec : 'a' + JSON.stringify([spec.matchcriteria ?? '', spec.filter ?? '']);
    let f = this.map.get(key);
    if (f === undefined) {
      f = compileFilter(spec);
      if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
      this.map.set(key, f);
    }
    return f;
  }

  get size(): number { return this.map.size; }
}
