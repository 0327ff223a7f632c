// Regexes that could freeze the proxy. JavaScript's RegExp backtracks, and
// amigate runs on one event loop: `^core show (\w+\s?)+$` against a 30-word
// Command, or a client's `Filter: (a+)+b` tested against every event, would
// stop every session for seconds to hours. Patterns come from the config
// (commands.allow/deny, eventfilter) and from clients (the Filter action), so
// both are screened once, when compiled, never per match.
//
// safe-regex2 (fastify) flags star height > 1 (a repetition inside a
// repetition: the classic exponential case) and more than `limit` repetitions
// in one pattern. It is a heuristic: it does not see every polynomial case
// (`.*a.*a.*a` on a long line is slow but bounded by maxlinebytes) or
// overlapping alternatives inside one star (`(a|a)*`). It refuses no pattern
// that Asterisk's own tests use for eventfilter, and none of the documented
// examples. Asterisk's regcomp()/regexec() (glibc, POSIX) does not backtrack
// this way, so this is a deliberate deviation: such a pattern is refused, not
// run.

import safeRegex from 'safe-regex2';

/** Repetitions allowed in one pattern (safe-regex2's default). */
export const MAX_REPETITIONS = 25;

/** Why `re` may take exponential time, or undefined when it passes the screen. */
export function unsafeRegexReason(re: RegExp): string | undefined {
  // safe-regex2's parser (ret) does not know lookbehind and calls what it cannot
  // parse unsafe; a lookbehind adds no repetition, so screen it as a plain group.
  // (The ERE translation emits lookbehinds for \>, \` and ^ after text.)
  const shape = re.source.replace(/\(\?<[=!]/g, '(?:');
  return safeRegex(shape, { limit: MAX_REPETITIONS })
    ? undefined
    : `may take exponential time (a repetition inside a repetition, e.g. (a+)+, or more than ${MAX_REPETITIONS} repetitions); rewrite it without nested quantifiers`;
}
