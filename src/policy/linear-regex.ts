// Every regular expression that comes from a client or a config file runs on
// a linear-time engine: re2js, a pure-JavaScript port of RE2 (no native build,
// no WebAssembly, installs with a plain `npm install`). amigate runs all its
// sessions on one event loop; with V8's backtracking RegExp a single
// `Filter: .*.*.*ZZ` (or `(a|a)*b`, `(.|[^Z])*ZZ`, `(\s|.)*ZZ`: patterns no
// screening heuristic catches) froze every session for minutes (issue 11.6).
// RE2 matches in time linear in the text (times the pattern size), whatever
// the pattern. What it cannot express, backreferences and lookaround, is
// refused when the pattern is compiled, with an error saying so.
//
// Why re2js (docs/benchmarks.md has the numbers): re2-wasm and the native `re2`
// binding copy every subject into UTF-8 memory and were 4-10x slower per event;
// `re2` also downloads a prebuilt binary or builds RE2 with a C++ toolchain;
// V8's own linear engine needs a process-wide flag, has no case-insensitive
// mode and ran 25x slower.
//
// This module compiles the JavaScript-style patterns of the config
// (commands.allow/deny, log.sensitive). Event filters are POSIX EREs and are
// translated first (policy/ere.ts).

import { RE2JS } from 're2js';
import { RegexSyntaxError } from '../errors.js';

/** A compiled pattern: test() is linear in the subject; no state between calls. */
export interface LinearRegex {
  /** The pattern as written. */
  readonly source: string;
  test(text: string): boolean;
}

export interface LinearRegexOptions {
  readonly ignoreCase?: boolean;
  /** '.' matches '\n' too. */
  readonly dotAll?: boolean;
}

/**
 * Compile `source` (RE2 syntax, which for everyday patterns is JavaScript's:
 * classes, \d \w \s \b, groups, (?:...), (?<name>...), {m,n}, (?i)). Throws
 * RegexSyntaxError for a syntax error or for what RE2 cannot run in linear
 * time (lookahead, lookbehind, backreferences).
 */
export function compileLinearRegex(source: string, options: LinearRegexOptions = {}): LinearRegex {
  const flags = (options.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0) | (options.dotAll ? RE2JS.DOTALL : 0);
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, flags);
  } catch (err) {
    throw new RegexSyntaxError(`/${source}/: ${explain(source, err)}`);
  }
  return { source, test: (text: string) => re.test(text) };
}

/** A readable reason for a compile failure, naming what RE2 deliberately lacks. */
export function explain(source: string, err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const m = /^error parsing regexp: (.*)$/s.exec(raw);
  const detail = m ? m[1]! : raw;
  if (/\(\?<?[=!]/.test(source) && /Perl syntax|named capture/.test(detail)) {
    return 'lookahead and lookbehind ((?=...), (?!...), (?<=...), (?<!...)) are not supported: amigate matches with a linear-time engine (RE2 syntax)';
  }
  if (/invalid escape sequence: `\\[1-9k]/.test(detail)) {
    return 'backreferences (\\1, \\k<name>) are not supported: amigate matches with a linear-time engine (RE2 syntax)';
  }
  if (/invalid repeat count/.test(detail)) {
    return `${detail}: the linear-time engine allows at most 1000 repetitions (also when nested repetitions multiply)`;
  }
  return `${detail} (RE2 syntax)`;
}
