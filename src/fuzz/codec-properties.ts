// Property-based checks of the AMI codec (src/protocol): AmiParser in request
// and upstream mode, and AmiMessage serialization. Used by the fixed-seed unit
// test (test/unit/protocol/parser.fuzz.test.ts) and the long campaign
// (src/fuzz/run.ts). Each property is a named fast-check property; a failure is
// replayed from its seed and counterexample path (docs/fuzzing.md).
//
// What they pin down, in terms of what amigate relies on:
//   no-throw/*       a client (or a broken upstream) cannot crash a session by
//                    any byte sequence, and the messages it gets are usable;
//   bounded-memory/* the parser never holds a full line limit of bytes (S3),
//                    whatever a client sends; legacy bodies stay capped;
//   round-trip/*     what amigate writes, it reads back as the same lines, in any
//                    TCP chunking (S2);
//   header-injection/* no name or value amigate writes can add a line (CR/LF);
//   chunking/*       packets do not depend on TCP chunk boundaries (S2).

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AmiParser, type ParserOptions } from '../protocol/parser.js';
import { AmiMessage } from '../protocol/message.js';
import { HeaderInjectionError } from '../errors.js';
import {
  chunkingArb, followsPacketArb, optionsArb, pairArb, pairsArb, parserInputArb, plainPairsArb, poisonPairArb, render, split,
  REQUEST_OPTIONS, UPSTREAM_OPTIONS, type ParserMode, type Pair,
} from './arbitraries.js';

/** What one run of a property is given; `path` replays one counterexample. */
export interface CheckParams {
  seed: number;
  numRuns: number;
  path?: string;
  /** Stop after this many ms; the run then counts as passed with fewer cases. */
  interruptAfterTimeLimit?: number;
}

export interface CodecProperty {
  /** Stable id (`no-throw/request`), used by `--property` and in replay commands. */
  readonly name: string;
  readonly summary: string;
  check(params: CheckParams): fc.RunDetails<unknown>;
}

/** Everything a feed can observe from the parser. */
export interface Observation {
  banners: string[];
  messages: AmiMessage[];
  buffered: number;
}

export function feed(chunks: Iterable<Buffer>, options: ParserOptions, afterWrite?: (p: AmiParser) => void): Observation {
  const banners: string[] = [];
  const messages: AmiMessage[] = [];
  const p = new AmiParser({ onMessage: (m) => messages.push(m), onBanner: (l) => banners.push(l) }, options);
  for (const c of chunks) {
    p.write(c);
    afterWrite?.(p);
  }
  return { banners, messages, buffered: p.buffered };
}

/** An Observation as one comparable string. */
export function canonical(o: Observation): string {
  return JSON.stringify([o.banners, o.messages.map((m) => [m.lines, m.body ?? null, m.fault ?? null]), o.buffered]);
}

const BANNER = 'Asterisk Call Manager/11.0.0';
const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

/** Calls what the session, router and fan-out call on a parsed packet. */
function exercise(m: AmiMessage): void {
  void m.kind; void m.isEvent; void m.isResponse;
  m.get('ActionID'); m.getNonEmpty('Action'); m.getAll('Variable'); m.has('Event'); m.entries();
  m.toBuffer();
  const c = m.clone();
  c.set('ActionID', 'amigate-1'); c.insertAfter(0, 'Server', 'pbx'); c.delete('Privilege');
  c.toBuffer();
}

function noThrow(mode: ParserMode, corpus: readonly string[]): fc.IProperty<any> {
  return fc.property(optionsArb(mode), parserInputArb(corpus), chunkingArb, (o, parts, chunking) => {
    const input = render(parts, o.maxLineBytes);
    const p = new AmiParser({ onMessage: exercise, onBanner: () => {} }, o);
    for (const c of split(input, chunking)) p.write(c);
  });
}

/**
 * Request side: buf < maxLineBytes after every write, every line shorter than
 * that, at most maxLines lines. Legacy upstream side: a `Response: Follows`
 * body never exceeds maxBodyBytes by more than one line.
 */
function boundedMemory(mode: 'request' | 'legacy', corpus: readonly string[]): fc.IProperty<any> {
  return fc.property(optionsArb(mode), parserInputArb(corpus), chunkingArb, (o, parts, chunking) => {
    const input = render(parts, o.maxLineBytes);
    const maxBody = mode === 'legacy' ? o.maxBodyBytes ?? DEFAULT_MAX_BODY : 0;
    const bound = mode === 'request' ? o.maxLineBytes : 2 * o.maxLineBytes + maxBody;
    const seen = feed(split(input, chunking), o, (p) => {
      assert.ok(p.buffered < bound, `buffered ${p.buffered} >= ${bound}`);
    });
    for (const m of seen.messages) {
      assert.ok(m.lines.length <= o.maxLines, `${m.lines.length} lines > maxLines ${o.maxLines}`);
      for (const l of m.lines) {
        assert.ok(l.length < o.maxLineBytes, `line of ${l.length} bytes >= maxLineBytes ${o.maxLineBytes}`);
        assert.ok(!l.includes('\n'), 'LF inside a line');
      }
      if (m.body !== undefined) assert.ok(m.body.length < maxBody + o.maxLineBytes + 2, `body of ${m.body.length} bytes`);
    }
  });
}

/**
 * Legacy mode mixes in `Response: Follows` packets with raw bodies (S24); plain
 * packets there must not start with `Response:` or they could open one.
 */
function roundTrip(mode: 'request' | 'upstream' | 'legacy'): fc.IProperty<any> {
  const options = mode === 'request' ? REQUEST_OPTIONS : mode === 'upstream' ? UPSTREAM_OPTIONS : { ...UPSTREAM_OPTIONS, legacyFollows: true };
  const packet: fc.Arbitrary<[Pair[], string | undefined]> = mode === 'legacy'
    ? fc.oneof(plainPairsArb.map((p): [Pair[], undefined] => [p, undefined]), followsPacketArb)
    : pairsArb.map((p): [Pair[], undefined] => [p, undefined]);
  return fc.property(fc.array(packet, { maxLength: 4, size: 'max' }), chunkingArb, (packets, chunking) => {
    const sent = packets.map(([p, body]) => new AmiMessage(AmiMessage.from(p).lines, body));
    const wire = (mode !== 'request' ? BANNER + '\r\n' : '') + sent.map((m) => m.toString()).join('');
    const seen = feed(split(wire, chunking), options);
    // The upstream side drops blank-line-only packets (emitEmpty: false).
    const want = mode !== 'request' ? sent.filter((m) => m.lines.length > 0) : sent;
    assert.deepEqual(seen.banners, mode !== 'request' ? [BANNER] : []);
    assert.equal(seen.messages.length, want.length, 'packet count');
    seen.messages.forEach((m, i) => {
      assert.deepEqual(m.lines, want[i]!.lines, `lines of packet ${i}`);
      assert.equal(m.fault, undefined, `fault of packet ${i}`);
      assert.equal(m.body, want[i]!.body, `body of packet ${i}`);
      assert.ok(m.toBuffer().equals(want[i]!.toBuffer()), `re-serialized bytes of packet ${i}`);
    });
    assert.equal(seen.buffered, 0);
  });
}

type Edit = 'from' | 'set' | 'append' | 'insertAfter';

function apply(m: AmiMessage, edit: Exclude<Edit, 'from'>, [k, v]: Pair, at: number): void {
  if (edit === 'set') m.set(k, v);
  else if (edit === 'append') m.append(k, v);
  else m.insertAfter(m.lines.length === 0 ? -1 : at % m.lines.length, k, v);
}

/** A name with CR/LF/':' (or empty) or a value with CR/LF is refused, and nothing changes. */
function injectionRefused(): fc.IProperty<any> {
  const edit = fc.constantFrom<Edit>('from', 'set', 'append', 'insertAfter');
  return fc.property(pairsArb, poisonPairArb, fc.nat(), edit, (pairs, poison, at, how) => {
    let m: AmiMessage | undefined;
    let before: Buffer | undefined;
    let lines: string[] | undefined;
    const attempt = (): void => {
      if (how === 'from') {
        const i = at % (pairs.length + 1);
        m = AmiMessage.from([...pairs.slice(0, i), poison, ...pairs.slice(i)]);
        return;
      }
      m = AmiMessage.from(pairs);
      before = Buffer.from(m.toBuffer());
      lines = m.lines.slice();
      apply(m, how, poison, at);
    };
    assert.throws(attempt, (e: unknown) => e instanceof HeaderInjectionError && e.code === 'AMIGATE_ERR_HEADER_INJECTION');
    if (how !== 'from') {
      assert.deepEqual(m!.lines, lines, 'lines changed by a refused edit');
      assert.ok(m!.toBuffer().equals(before!), 'wire bytes changed by a refused edit');
    }
  });
}

/**
 * Any other name/value chars, including ones above U+00FF whose low byte is CR
 * or LF: the wire is exactly the lines joined by CRLF, and no line holds CR or LF.
 */
function injectionWireClean(): fc.IProperty<any> {
  const edits = fc.array(fc.tuple(fc.constantFrom<Exclude<Edit, 'from'>>('set', 'append', 'insertAfter'), pairArb, fc.nat()), { maxLength: 6, size: 'max' });
  return fc.property(pairsArb, edits, (pairs, todo) => {
    const m = AmiMessage.from(pairs);
    for (const [how, pair, at] of todo) apply(m, how, pair, at);
    const wire = m.toBuffer();
    const text = wire.toString('latin1');
    assert.equal(wire.length, text.length);
    for (const l of m.lines) assert.ok(!/[\r\n]/.test(l), `CR or LF in line ${JSON.stringify(l)}`);
    for (let i = 0; i < wire.length; i++) {
      if (wire[i] === 13) assert.equal(wire[i + 1], 10, `bare CR at byte ${i}`);
      if (wire[i] === 10) assert.equal(wire[i - 1], 13, `bare LF at byte ${i}`);
    }
    assert.deepEqual(text.split('\r\n'), m.lines.length === 0 ? ['', ''] : [...m.lines, '', '']);
  });
}

function chunkingInvariance(mode: ParserMode, corpus: readonly string[]): fc.IProperty<any> {
  return fc.property(optionsArb(mode), parserInputArb(corpus), chunkingArb, (o, parts, chunking) => {
    const input = render(parts, o.maxLineBytes);
    const whole = canonical(feed([Buffer.from(input, 'latin1')], o));
    assert.equal(canonical(feed(split(input, chunking), o)), whole);
  });
}

/** Wraps any fast-check property as a CodecProperty (also for the runner's own tests). */
export function defineProperty(name: string, summary: string, property: fc.IProperty<any>): CodecProperty {
  return { name, summary, check: (params) => fc.check(property, params) as fc.RunDetails<unknown> };
}

/**
 * All codec properties. `corpus` holds whole wire streams (latin1, e.g. each
 * direction of each capture in ../shared/ami-transcripts); mutated windows of
 * them are one of the input sources. An empty corpus is allowed.
 */
export function codecProperties(corpus: readonly string[]): CodecProperty[] {
  return [
    defineProperty('no-throw/request', 'request parser: no input or chunking makes write() throw', noThrow('request', corpus)),
    defineProperty('no-throw/upstream', 'upstream parser: no input or chunking makes write() throw', noThrow('upstream', corpus)),
    defineProperty('no-throw/legacy', 'upstream parser with legacy Response: Follows bodies: never throws', noThrow('legacy', corpus)),
    defineProperty('bounded-memory/request', 'request parser buffers < maxLineBytes after every write (S3, S4)', boundedMemory('request', corpus)),
    defineProperty('bounded-memory/legacy', 'legacy Follows bodies stay within maxBodyBytes plus one line', boundedMemory('legacy', corpus)),
    defineProperty('round-trip/request', 'AmiMessage.from(pairs).toString() parses back to the same lines (request side)', roundTrip('request')),
    defineProperty('round-trip/upstream', 'AmiMessage.from(pairs).toString() parses back to the same lines (upstream side)', roundTrip('upstream')),
    defineProperty('round-trip/legacy', 'plain and Response: Follows packets parse back to the same lines and body (S24)', roundTrip('legacy')),
    defineProperty('header-injection/refused', 'CR/LF in a name or value, or ":" in a name, throws HeaderInjectionError and writes nothing', injectionRefused()),
    defineProperty('header-injection/wire-clean', 'any other chars (even > U+00FF) never put CR or LF on the wire', injectionWireClean()),
    defineProperty('chunking/request', 'request packets are the same for any split of the bytes', chunkingInvariance('request', corpus)),
    defineProperty('chunking/upstream', 'upstream packets are the same for any split of the bytes', chunkingInvariance('upstream', corpus)),
    defineProperty('chunking/legacy', 'legacy Follows packets are the same for any split of the bytes', chunkingInvariance('legacy', corpus)),
  ];
}
