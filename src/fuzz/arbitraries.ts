// fast-check generators for the AMI codec fuzz properties: parser options per
// mode, byte streams (random, AMI-shaped, mutated wire captures), chunkings, and
// header pairs built from the characters most likely to break framing.
//
// Streams are latin1 strings (one char per byte), the form AmiParser works in.
// Every arbitrary has an explicit size: fast-check's default "small" size would
// cap byte strings at about ten bytes and never reach Asterisk's 1024-byte line
// limit (S3).

import fc from 'fast-check';
import type { ParserOptions } from '../protocol/parser.js';

export type ParserMode = 'request' | 'upstream' | 'legacy';

/** Options with every limit resolved, so properties can assert against them. */
export interface ResolvedOptions extends ParserOptions {
  maxLineBytes: number;
  maxLines: number;
}

/** Upstream side as the upstream connection configures it (parser.ts header). */
export const UPSTREAM_OPTIONS: ResolvedOptions = { banner: true, maxLineBytes: 1 << 20, maxLines: 1e5, emitEmpty: false };
/** Request side: Asterisk's own limits (S3, S4). */
export const REQUEST_OPTIONS: ResolvedOptions = { maxLineBytes: 1024, maxLines: 128 };

const BANNER = 'Asterisk Call Manager/11.0.0';

/**
 * Real limits, or tiny ones: with a limit of a few bytes, short random streams
 * cross the line-too-long and too-many-lines paths on almost every case.
 */
export function optionsArb(mode: ParserMode): fc.Arbitrary<ResolvedOptions> {
  const tiny = fc.record({ maxLineBytes: fc.integer({ min: 1, max: 48 }), maxLines: fc.integer({ min: 1, max: 6 }) });
  if (mode === 'request') {
    return fc.oneof(
      fc.constant(REQUEST_OPTIONS),
      fc.tuple(tiny, fc.boolean()).map(([t, emitEmpty]) => ({ ...t, emitEmpty })),
    );
  }
  const base = mode === 'legacy' ? { ...UPSTREAM_OPTIONS, legacyFollows: true } : UPSTREAM_OPTIONS;
  return fc.oneof(
    fc.constant(base),
    fc.tuple(tiny, fc.integer({ min: 1, max: 256 })).map(([t, maxBodyBytes]) => ({ ...base, ...t, maxBodyBytes })),
  );
}

const byteChar = fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c));

/** Wire fragments that steer the parser into its interesting states. */
const TOKENS = [
  'Action: Ping', 'ActionID: 1', 'action:login', 'Username: admin', 'Secret: x', 'Event: Newchannel',
  'Response: Success', 'Response: Follows', 'response:  follows ', 'Privilege: Command', 'ActionID: a:b',
  '--END COMMAND--', 'out--END COMMAND--', 'Output: x', BANNER, ':', ' ', '\t', 'Variable: a=b',
];
const TERMINATORS = ['\r\n', '\n', '\r', '\r\n\r\n', '\n\n', '\r\r\n', '\n\r\n'];

/**
 * A stream is a list of parts; a `Run` stands for `count` bytes with count near a
 * multiple of the line limit, resolved only once the parser options are known
 * (see render()). Those are the boundaries where get_input() discards a full
 * buffer and where "1023 chars + CRLF" splits the CR from the LF (S3). Keeping
 * runs symbolic lets a counterexample print as `{run:"x",buffers:1,delta:-1}`
 * instead of a kilobyte of x.
 */
export interface Run { run: string; buffers: number; delta: number }
export type Part = string | Run;

/** Upstream's 1 MiB limit would make every run a megabyte; use 1024 there. */
const RUN_LIMIT_CAP = 4096;

export function render(parts: readonly Part[], maxLineBytes: number): string {
  const limit = maxLineBytes <= RUN_LIMIT_CAP ? maxLineBytes : 1024;
  let s = '';
  for (const p of parts) s += typeof p === 'string' ? p : p.run.repeat(Math.max(0, p.buffers * limit + p.delta));
  return s;
}

const runArb: fc.Arbitrary<Run> = fc.record({
  run: fc.constantFrom('x', ' ', '\r', ':'),
  buffers: fc.integer({ min: 1, max: 3 }),
  delta: fc.integer({ min: -3, max: 3 }),
});

const lineArb = fc.oneof(fc.constantFrom(...TOKENS), fc.string({ unit: byteChar, maxLength: 24, size: 'max' }));
const eolArb = fc.constantFrom('\r\n', '\n');

/** A whole packet: lines, each ended by CRLF or LF, then a blank line. */
const packetArb: fc.Arbitrary<string> = fc.tuple(fc.array(lineArb, { maxLength: 8, size: 'max' }), eolArb)
  .map(([lines, eol]) => lines.map((l) => l + eol).join('') + eol);

/**
 * An Asterisk <= 13 `Response: Follows` packet (S24): header lines, raw output
 * with bare LFs, blank lines and colons, then the `--END COMMAND--` marker (or
 * something close to it).
 */
const followsArb: fc.Arbitrary<string> = fc.record({
  actionId: fc.boolean(),
  output: fc.array(lineArb, { maxLength: 6, size: 'max' }),
  end: fc.constantFrom('--END COMMAND--', 'x--END COMMAND--', '--END COMMAND-', ''),
  eol: eolArb,
}).map(({ actionId, output, end, eol }) => 'Response: Follows' + eol + 'Privilege: Command' + eol
  + (actionId ? 'ActionID: 7' + eol : '') + output.map((l) => l + '\n').join('') + end + eol + eol);

/** A stream shaped like AMI traffic: tokens, terminators, packets, random bytes and long runs. */
export const amiStreamArb: fc.Arbitrary<Part[]> = fc.array(fc.oneof(
  { arbitrary: fc.constantFrom(...TOKENS), weight: 6 },
  { arbitrary: fc.constantFrom(...TERMINATORS), weight: 6 },
  { arbitrary: packetArb, weight: 2 },
  { arbitrary: followsArb, weight: 2 },
  { arbitrary: fc.string({ unit: byteChar, maxLength: 24, size: 'max' }), weight: 2 },
  { arbitrary: runArb, weight: 1 },
), { maxLength: 60, size: 'max' });

export function randomBytesArb(maxLength = 4096): fc.Arbitrary<string> {
  return fc.uint8Array({ maxLength, size: 'max' }).map((b) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1'));
}

type Mutation =
  | { op: 'set'; at: number; byte: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'dup'; at: number; len: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.oneof(fc.constantFrom(10, 13, 58, 32, 0), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...TERMINATORS, ...TOKENS), fc.string({ unit: byteChar, maxLength: 8, size: 'max' })) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 256 }) }),
);

function mutate(s: string, m: Mutation): string {
  const at = m.at % (s.length + 1);
  switch (m.op) {
    case 'set': return at >= s.length ? s : s.slice(0, at) + String.fromCharCode(m.byte) + s.slice(at + 1);
    case 'insert': return s.slice(0, at) + m.text + s.slice(at);
    case 'delete': return s.slice(0, at) + s.slice(at + m.len);
    case 'dup': return s.slice(0, at + m.len) + s.slice(at);
  }
}

/**
 * A window of up to `window` bytes of one capture stream, with up to eight
 * mutations. Windows keep each case small; a window start inside a packet is
 * itself a useful mutation (a stream that begins mid-line).
 */
export function mutatedCorpusArb(corpus: readonly string[], window = 4096): fc.Arbitrary<string> {
  return fc.record({
    index: fc.nat(),
    start: fc.nat(),
    fromStart: fc.boolean(),
    mutations: fc.array(mutationArb, { maxLength: 8, size: 'max' }),
  }).map(({ index, start, fromStart, mutations }) => {
    const src = corpus[index % corpus.length]!;
    const from = fromStart ? 0 : start % (src.length + 1);
    let s = src.slice(from, from + window);
    for (const m of mutations) s = mutate(s, m);
    return s;
  });
}

/** Any input: random bytes, AMI-shaped streams and (when given) mutated captures. */
export function parserInputArb(corpus: readonly string[]): fc.Arbitrary<Part[]> {
  const arbs: Array<fc.WeightedArbitrary<Part[]>> = [
    { arbitrary: randomBytesArb().map((s) => [s]), weight: 1 },
    { arbitrary: amiStreamArb, weight: 3 },
  ];
  if (corpus.length > 0) arbs.push({ arbitrary: mutatedCorpusArb(corpus).map((s) => [s]), weight: 3 });
  return fc.oneof(...arbs);
}

/** Where to cut a stream: a sorted list of offsets, or every byte on its own. */
export type Chunking = { bytewise: true } | { bytewise: false; cuts: number[] };

export const chunkingArb: fc.Arbitrary<Chunking> = fc.oneof(
  { arbitrary: fc.array(fc.nat(), { maxLength: 24, size: 'max' }).map((cuts) => ({ bytewise: false as const, cuts })), weight: 5 },
  { arbitrary: fc.constant({ bytewise: true as const }), weight: 1 },
);

/** The chunks of `input` (latin1) under `c`; offsets are taken modulo the length. */
export function split(input: string, c: Chunking): Buffer[] {
  const b = Buffer.from(input, 'latin1');
  if (c.bytewise) return Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1));
  const pts = [...new Set(c.cuts.map((x) => x % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of pts) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  out.push(b.subarray(prev));
  return out;
}

/**
 * Characters that have broken header encoders elsewhere: C0 controls, DEL, NEL,
 * latin1 high bytes, chars whose low byte is CR or LF (U+010A, U+0D0A: a latin1
 * encoder keeps only the low byte), Unicode line separators, lone surrogates
 * and astral chars (UTF-8 of a surrogate pair is four bytes).
 */
const NASTY = [
  '\u0000', '\t', '\u000b', '\u000c', '\u001f', ' ', '\u007f', '\u0085', '\u00a0', '\u00ff',
  '\u010a', '\u010d', '\u020a', '\u0d0a', '\u0a0d', '\uff0a', '\uff0d', '\u2028', '\u2029',
  '\ud800', '\udc0a', '\ud83d\ude00', '\u{10ff0a}',
];

/** One char of a header value: anything but CR and LF. */
export const valueCharArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY), weight: 2 },
  { arbitrary: byteChar, weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 1 },
).filter((c) => c !== '\r' && c !== '\n');

/** One char of a header name: anything but CR, LF and ':'. */
export const keyCharArb: fc.Arbitrary<string> = valueCharArb.filter((c) => c !== ':');

export const keyArb = fc.string({ unit: keyCharArb, minLength: 1, maxLength: 24, size: 'max' });
export const valueArb = fc.string({ unit: valueCharArb, maxLength: 64, size: 'max' });

export type Pair = [string, string];

/**
 * Header pairs whose lines fit Asterisk's request buffer: at most 3 bytes per
 * UTF-16 unit keeps a short pair under 300 bytes, and long pairs are ASCII lines
 * of 1000..1022 bytes, the longest a request line can be (1022 + CRLF, S3).
 */
export const pairArb: fc.Arbitrary<Pair> = fc.oneof(
  { arbitrary: fc.tuple(keyArb, valueArb), weight: 12 },
  {
    arbitrary: fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/), fc.integer({ min: 1000, max: 1022 }))
      .map(([k, len]): Pair => [k, 'v'.repeat(len - k.length - 2)]),
    weight: 1,
  },
);

/** One packet's headers; 128 lines is the request limit (S4). */
export const pairsArb = fc.array(pairArb, { maxLength: 16, size: 'max' });

/**
 * A header pair with one forbidden char spliced in: CR or LF anywhere, ':' or
 * nothing (the empty name) in the key.
 */
export const poisonPairArb: fc.Arbitrary<Pair> = fc.record({
  key: fc.string({ unit: keyCharArb, maxLength: 12, size: 'max' }),
  value: fc.string({ unit: valueCharArb, maxLength: 12, size: 'max' }),
  inKey: fc.boolean(),
  bad: fc.constantFrom('\r', '\n', '\r\n', ':', ''),
  at: fc.nat(),
}).map(({ key, value, inKey, bad, at }): Pair => {
  // ':' and '' are only forbidden in the name; in a value they are ordinary.
  if (bad === ':' || bad === '') inKey = true;
  if (bad === '') return ['', value];
  if (inKey) { const i = at % (key.length + 1); return [key.slice(0, i) + bad + key.slice(i), value]; }
  const i = at % (value.length + 1);
  return [key.length === 0 ? 'K' : key, value.slice(0, i) + bad + value.slice(i)];
});

const END_COMMAND = '--END COMMAND--';
const bodyTextArb = fc.string({ unit: byteChar.filter((c) => c !== '\n'), maxLength: 30, size: 'max' })
  .filter((l) => !l.endsWith(END_COMMAND));

/** Name of a `Name: value` line, lower-cased ('' when there is no colon). */
function lineName(l: string): string {
  const c = l.indexOf(':');
  return c < 0 ? '' : l.slice(0, c).toLowerCase();
}

/**
 * An Asterisk <= 13 `Response: Follows` packet as [header pairs, raw body] (S24).
 * The body is any bytes whose lines do not end with the marker, and whose first
 * line is not itself a Privilege:/ActionID: header (it would be read as one).
 */
export const followsPacketArb: fc.Arbitrary<[Pair[], string]> = fc.record({
  actionId: fc.option(valueArb, { nil: undefined }),
  lines: fc.array(fc.tuple(bodyTextArb, eolArb), { maxLength: 6, size: 'max' }),
  tail: bodyTextArb,
}).filter(({ lines, tail }) => {
  const first = lines.length > 0 ? lines[0]![0] : tail;
  return lineName(first) !== 'privilege' && lineName(first) !== 'actionid';
}).map(({ actionId, lines, tail }): [Pair[], string] => {
  const pairs: Pair[] = [['Response', 'Follows'], ['Privilege', 'Command']];
  if (actionId !== undefined) pairs.push(['ActionID', actionId]);
  return [pairs, lines.map(([l, eol]) => l + eol).join('') + tail];
});

/** Header pairs that cannot start a Follows packet (their first name is not Response). */
export const plainPairsArb = pairsArb.filter((p) => p.length === 0 || p[0]![0].toLowerCase() !== 'response');

