// AmiParser against every wire capture and a table of hand-written fixtures.
// Each fixture is fed whole, byte by byte, split once at every boundary and, for
// captures, in the chunks TCP really delivered; all feeds must give the same
// packets (style.md rule 2). That includes both directions of every TCP capture
// and the AMI bodies of the /rawman HTTP captures.

import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AmiParser, type ParserOptions } from '../../../src/protocol/parser.js';
import type { AmiMessage } from '../../../src/protocol/message.js';
import { loadTranscript, stream, transcriptNames, type Record as Rec } from '../../helpers/transcripts.js';

const REQUEST: ParserOptions = {};
const UPSTREAM: ParserOptions = { banner: true, maxLineBytes: 1 << 20, maxLines: 1e5, emitEmpty: false };
const LEGACY: ParserOptions = { ...UPSTREAM, legacyFollows: true };
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/ami');

interface Parsed { banners: string[]; messages: AmiMessage[]; buffered: number }

function parse(chunks: Iterable<Buffer>, options: ParserOptions): Parsed {
  const banners: string[] = [];
  const messages: AmiMessage[] = [];
  const p = new AmiParser({ onMessage: (m) => messages.push(m), onBanner: (l) => banners.push(l) }, options);
  for (const c of chunks) p.write(c);
  return { banners, messages, buffered: p.buffered };
}

/** Everything a feed can observe, as one comparable string. */
function canon(r: Parsed): string {
  return JSON.stringify([r.banners, r.messages.map((m) => [m.lines, m.body ?? null, m.fault ?? null]), r.buffered]);
}

/**
 * Whether feeding `chunks` observes exactly `want` (same banners, packets and
 * leftover), compared packet by packet as they are emitted. Used for the
 * every-boundary splits: canon()'s JSON.stringify took most of the time when an
 * 18 KB stream is parsed 18,000 times.
 */
function feedsSame(chunks: Buffer[], options: ParserOptions, want: Parsed): boolean {
  let ok = true;
  let k = 0;
  let banners = 0;
  const p = new AmiParser({
    onMessage: (m) => {
      const w = want.messages[k++];
      if (!ok || w === undefined || m.fault !== w.fault || m.body !== w.body || m.lines.length !== w.lines.length) { ok = false; return; }
      for (let i = 0; i < m.lines.length; i++) if (m.lines[i] !== w.lines[i]) { ok = false; return; }
    },
    onBanner: (l) => { if (l !== want.banners[banners++]) ok = false; },
  }, options);
  for (const c of chunks) p.write(c);
  return ok && k === want.messages.length && banners === want.banners.length && p.buffered === want.buffered;
}

function* bytewise(b: Buffer): Generator<Buffer> {
  for (let i = 0; i < b.length; i++) yield b.subarray(i, i + 1);
}

/** mulberry32: a tiny seeded PRNG so random split points are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Feeds `input` whole, byte by byte, split once at every boundary and in
 * `chunks` (the reads TCP really delivered) when given; asserts all agree and
 * returns the whole-feed result.
 */
function feedAllWays(t: Test, input: string, options: ParserOptions, chunks?: string[]): Parsed {
  const b = Buffer.from(input, 'latin1');
  const whole = parse([b], options);
  const want = canon(whole);
  t.equal(canon(parse(bytewise(b), options)), want, 'byte by byte = whole');
  const bad: number[] = [];
  for (let i = 0; i <= b.length; i++) {
    if (!feedsSame([b.subarray(0, i), b.subarray(i)], options, whole)) bad.push(i);
  }
  t.same(bad, [], `split at each of ${b.length + 1} boundaries = whole`);
  if (chunks) t.equal(canon(parse(chunks.map((c) => Buffer.from(c, 'latin1')), options)), want, 'recorded TCP chunks = whole');
  return whole;
}

const wire = (r: Parsed) => r.messages.map((m) => m.toString()).join('');
// S29: the 15-http captures are HTTP, not the TCP protocol; their AMI bodies are checked below.
const amiCaptures = transcriptNames().filter((n) => !n.startsWith('15-http'));
const httpCaptures = transcriptNames().filter((n) => n.startsWith('15-http'));

t.test('captures exist', async (t) => {
  t.ok(amiCaptures.length >= 25, `${amiCaptures.length} AMI captures`);
  t.equal(httpCaptures.length, 11, '11 HTTP captures');
});

t.test('every server->client capture: same packets every way, byte-exact round trip', async (t) => {
  for (const name of amiCaptures) {
    await t.test(name, async (t) => {
      const recs = loadTranscript(name);
      const s2c = stream(recs, 's2c');
      const chunks = recs.filter((r) => r.dir === 's2c' && r.data.length > 0).map((r) => r.data);
      const r = feedAllWays(t, s2c, UPSTREAM, chunks);
      t.same(r.banners, ['Asterisk Call Manager/11.0.0'], 'banner');
      t.equal(r.buffered, 0, 'nothing left over');
      t.equal('Asterisk Call Manager/11.0.0\r\n' + wire(r), s2c, 'concatenated toString() reproduces the stream');
      t.equal(r.messages.filter((m) => m.fault).length, 0, 'no faults');
      t.ok(r.messages.every((m) => m.isEvent || m.isResponse), 'every packet starts with Event: or Response: (S21)');
    });
  }
});

/** What Asterisk answers to a request, as far as the parse decides it (S3, S4, S6). */
function parseVerdict(m: AmiMessage): string | undefined {
  if (m.fault === 'too-many-lines') return 'Too many lines in message or allocation failure';
  if (m.fault === 'line-too-long') return 'Failed to parse message: line too long';
  if (m.getNonEmpty('Action') === undefined) return 'Missing action in request';
  return undefined;
}

t.test('every client->server capture: same packets every way; one Response per packet, as Asterisk judged it', async (t) => {
  for (const name of amiCaptures) {
    await t.test(name, async (t) => {
      const recs: Rec[] = loadTranscript(name);
      const c2s = stream(recs, 'c2s');
      const chunks = recs.filter((r) => r.dir === 'c2s' && r.data.length > 0).map((r) => r.data);
      const req = feedAllWays(t, c2s, REQUEST, chunks);
      t.equal(req.buffered, 0, 'no partial line left');
      const responses = parse([Buffer.from(stream(recs, 's2c'), 'latin1')], UPSTREAM).messages.filter((m) => m.isResponse);
      // A session answers its requests strictly in order (S26); login failures close it (S8).
      const closedEarly = responses.length < req.messages.length && responses.at(-1)?.get('Message') === 'Authentication failed';
      if (!closedEarly) t.equal(responses.length, req.messages.length, 'one Response per request packet');
      const mismatches: string[] = [];
      for (let i = 0; i < Math.min(responses.length, req.messages.length); i++) {
        const q = req.messages[i]!;
        const a = responses[i]!;
        if (a.get('ActionID') !== q.get('ActionID')) mismatches.push(`#${i} ActionID ${a.get('ActionID')} != ${q.get('ActionID')}`);
        const verdict = parseVerdict(q);
        if (verdict !== undefined && a.get('Message') !== verdict) mismatches.push(`#${i} ${a.get('Message')} != ${verdict}`);
        if (verdict === undefined && /^(Failed to parse|Too many lines|Missing action)/.test(a.get('Message') ?? '')) mismatches.push(`#${i} unexpected ${a.get('Message')}`);
      }
      t.same(mismatches, [], 'ActionID echo and parse errors agree with Asterisk');
    });
  }
});

// ---------------------------------------------------------------------------
// The HTTP captures (S29). A /rawman reply's body is "the same AMI text as over
// TCP" (ami-transcripts/README.md; main/manager.c generic_http_callback() runs
// only the XML and HTML formats through xml_translate()), so it goes through
// the same checks, minus the banner. /mxml and /manager bodies are XML and HTML renderings, and every
// request is an HTTP GET with the action in its query string: no AMI packets to
// parse, so those are listed as skipped rather than silently dropped.

/** An HTTP/1.1 reply split into its head and its body, which must match Content-Length. */
function httpReply(t: Test, text: string): { type: string; body: string } {
  const end = text.indexOf('\r\n\r\n');
  const head = text.slice(0, end);
  const body = text.slice(end + 4);
  t.match(head, /^HTTP\/1\.1 200 OK\r\n/, 'every reply is 200 OK, even for errors');
  t.equal(Number(/\r\nContent-Length: (\d+)/i.exec(head)?.[1]), body.length, 'Content-Length is the body length');
  return { type: /\r\nContent-type: ([^\r;]+)/i.exec(head)?.[1] ?? '', body };
}

t.test('every HTTP capture: /rawman bodies are AMI packets, same every way', async (t) => {
  for (const name of httpCaptures) {
    const recs = loadTranscript(name);
    const s2c = stream(recs, 's2c');
    const rawman = /^GET \/rawman\?/.test(stream(recs, 'c2s'));
    await t.test(`${name} server->client`, rawman ? {} : { skip: 'an /mxml or /manager body is XML or HTML, not AMI packets (S29)' }, async (t) => {
      const { type, body } = httpReply(t, s2c);
      t.equal(type, 'text/plain', '/rawman replies are text/plain');
      const r = feedAllWays(t, body, { ...UPSTREAM, banner: false });
      t.ok(r.messages.length > 0, 'at least one packet');
      t.equal(r.buffered, 0, 'the body ends on a packet boundary');
      t.equal(wire(r), body, 'concatenated toString() reproduces the body');
      t.equal(r.messages.filter((m) => m.fault).length, 0, 'no faults');
      t.ok(r.messages.every((m) => m.isEvent || m.isResponse), 'every packet starts with Event: or Response: (S21)');
    });
    await t.test(`${name} client->server`, { skip: 'an HTTP GET with the action in its query string, not an AMI packet (S29)' }, () => {});
  }
});

// ---------------------------------------------------------------------------
// Hand-written fixtures. `expect` lists packets as [lines, fault?, body?].

type Want = [lines: string[], fault?: 'line-too-long' | 'too-many-lines', body?: string];
interface Fixture { name: string; input: string; options?: ParserOptions; banner?: string; expect: Want[]; check?: (t: Test, msgs: AmiMessage[]) => void }

const A = (n: number, c = 'A') => c.repeat(n);
const manyHeaders = (n: number) => Array.from({ length: n }, (_, i) => `X-Header-${i}: v\r\n`).join('');
const cap14 = loadTranscript('14-long-lines.jsonl').filter((r) => r.dir === 'c2s').map((r) => r.data);
const cap14Msg = (prefix: string) => {
  const m = cap14.find((d) => d.startsWith(prefix));
  if (m === undefined) throw new Error(`capture 14 has no request starting ${prefix}`);
  return m;
};

const fixtures: Fixture[] = [
  { name: 'bare LF line ends (S2)', input: 'Action: Ping\nActionID: e9\n\n', expect: [[['Action: Ping', 'ActionID: e9']]] },
  {
    name: 'mixed CRLF and LF',
    input: 'Action: Ping\r\nActionID: m1\n\r\nAction: Ping\nActionID: m2\r\n\n',
    expect: [[['Action: Ping', 'ActionID: m1']], [['Action: Ping', 'ActionID: m2']]],
  },
  {
    name: 'a lone CR is data, CR CR LF keeps one CR',
    input: 'Action: Ping\r\nActionID: a\rb\r\nX: v\r\r\n\r\n',
    expect: [[['Action: Ping', 'ActionID: a\rb', 'X: v\r']]],
    check: (t, [m]) => { t.equal(m!.get('ActionID'), 'a\rb'); t.equal(m!.get('X'), 'v\r'); },
  },
  {
    name: 'Action:Ping without a space is an Action (S5)',
    input: 'Action:Ping\r\n\r\n',
    expect: [[['Action:Ping']]],
    check: (t, [m]) => t.equal(m!.getNonEmpty('Action'), 'Ping'),
  },
  {
    name: 'Action : Ping is not an Action (S5, capture 09)',
    input: 'Action : Ping\r\nActionID: e7\r\n\r\n',
    expect: [[['Action : Ping', 'ActionID: e7']]],
    check: (t, [m]) => { t.equal(m!.get('Action'), undefined); t.equal(m!.getNonEmpty('Action'), undefined); },
  },
  {
    name: 'leading blanks skipped, trailing kept (ActionID:    e10   )',
    input: 'Action: Ping\r\nActionID:    e10   \r\n\r\n',
    expect: [[['Action: Ping', 'ActionID:    e10   ']]],
    check: (t, [m]) => t.equal(m!.get('ActionID'), 'e10   '),
  },
  {
    name: 'repeated headers keep their order',
    input: 'Action: Originate\r\nVariable: a=1\r\nOutput: x\r\nvariable: b=2\r\nOutput: \r\nVariable: c=3\r\n\r\n',
    expect: [[['Action: Originate', 'Variable: a=1', 'Output: x', 'variable: b=2', 'Output: ', 'Variable: c=3']]],
    check: (t, [m]) => { t.same(m!.getAll('Variable'), ['a=1', 'b=2', 'c=3']); t.same(m!.getAll('Output'), ['x', '']); },
  },
  {
    name: 'the first non-empty Action wins, the first ActionID wins',
    input: 'Action:\r\nAction:   \r\nAction: Ping\r\nAction: Logoff\r\nActionID: first\r\nActionID: second\r\n\r\n',
    expect: [[['Action:', 'Action:   ', 'Action: Ping', 'Action: Logoff', 'ActionID: first', 'ActionID: second']]],
    check: (t, [m]) => { t.equal(m!.get('Action'), ''); t.equal(m!.getNonEmpty('Action'), 'Ping'); t.equal(m!.get('ActionID'), 'first'); },
  },
  {
    name: 'lines without a colon are kept but never match',
    input: 'hello world this line has no colon\r\nActionID: e5\r\n\r\n',
    expect: [[['hello world this line has no colon', 'ActionID: e5']]],
    check: (t, [m]) => { t.equal(m!.getNonEmpty('Action'), undefined); t.same(m!.entries(), [['ActionID', 'e5']]); },
  },
  { name: 'three bare CRLFs are three empty packets (S6)', input: '\r\n\r\n\r\n', expect: [[[]], [[]], [[]]] },
  {
    name: 'capture 14: 1022 chars + CRLF (1024 bytes) is accepted',
    input: cap14Msg('Action: Ping\r\nActionID: x'),
    expect: [[['Action: Ping', 'ActionID: ' + A(1012, 'x')]]],
    check: (t, [m]) => t.equal(m!.lines[1]!.length, 1022),
  },
  {
    name: 'capture 14: 1023 chars + CRLF is line-too-long plus an extra empty packet',
    input: cap14Msg('Action: Ping\r\nActionID: y'),
    expect: [[['Action: Ping'], 'line-too-long'], [[]]],
  },
  {
    name: 'capture 14: a 5 KB ActionID line is one fault, its tail stays as a colon-less line',
    input: cap14Msg('Action: Ping\r\nActionID: B'),
    expect: [[['Action: Ping', A(5010 - 4 * 1024, 'B')], 'line-too-long']],
    check: (t, [m]) => t.equal(m!.get('ActionID'), undefined, 'no ActionID to echo, as in the capture'),
  },
  {
    name: 'capture 14: the ActionID before a long line is kept',
    input: cap14Msg('Action: Ping\r\nActionID: long-hdr'),
    expect: [[['Action: Ping', 'ActionID: long-hdr', A(5008 - 4 * 1024, 'D')], 'line-too-long']],
    check: (t, [m]) => t.equal(m!.get('ActionID'), 'long-hdr'),
  },
  {
    name: 'capture 14: a 2 KB line with no terminator, ended by a later write',
    input: cap14Msg('Action: Ping\r\nActionID: C') + '\r\n\r\n',
    expect: [[['Action: Ping', A(2010 - 1024, 'C')], 'line-too-long']],
  },
  {
    name: 'a discarded line does not leak into the next packet',
    input: 'Action: Ping\r\nX: ' + A(3000) + '\r\n\r\nAction: Ping\r\nActionID: next\r\n\r\n',
    expect: [[['Action: Ping', A(3003 - 2048)], 'line-too-long'], [['Action: Ping', 'ActionID: next']]],
  },
  {
    name: 'exactly 128 lines is fine',
    input: 'Action: Ping\r\nActionID: ok\r\n' + manyHeaders(126) + '\r\n',
    expect: [[['Action: Ping', 'ActionID: ok', ...manyHeaders(126).split('\r\n').slice(0, -1)]]],
  },
  {
    name: 'more than 128 lines is too-many-lines, the ActionID is kept (S4, capture 14)',
    input: cap14Msg('Action: Ping\r\nActionID: many') + 'Action: Ping\r\nActionID: after-many\r\n\r\n',
    expect: [
      [['Action: Ping', 'ActionID: many', ...manyHeaders(126).split('\r\n').slice(0, -1)], 'too-many-lines'],
      [['Action: Ping', 'ActionID: after-many']],
    ],
  },
  {
    name: 'too-many-lines wins over line-too-long, which then hits the next packet [code-reading do_message]',
    input: 'Action: Ping\r\nActionID: both\r\n' + manyHeaders(130) + 'X: ' + A(2000) + '\r\n\r\nAction: Ping\r\nActionID: next\r\n\r\nAction: Ping\r\nActionID: last\r\n\r\n',
    expect: [
      [['Action: Ping', 'ActionID: both', ...manyHeaders(126).split('\r\n').slice(0, -1)], 'too-many-lines'],
      [['Action: Ping', 'ActionID: next'], 'line-too-long'],
      [['Action: Ping', 'ActionID: last']],
    ],
  },
  {
    name: 'upstream: banner, then packets; stray blank lines are not packets',
    options: UPSTREAM,
    input: 'Asterisk Call Manager/11.0.0\r\n\r\nResponse: Success\r\nPing: Pong\r\n\r\n\r\nEvent: X\r\nPrivilege: call,all\r\n\r\n',
    banner: 'Asterisk Call Manager/11.0.0',
    expect: [[['Response: Success', 'Ping: Pong']], [['Event: X', 'Privilege: call,all']]],
  },
];

for (const f of fixtures) {
  t.test(f.name, async (t) => {
    const r = feedAllWays(t, f.input, f.options ?? REQUEST);
    t.same(r.messages.map((m) => [m.lines, m.fault ?? null, m.body ?? null]), f.expect.map(([l, fault, body]) => [l, fault ?? null, body ?? null]), 'packets');
    if (f.banner !== undefined) t.same(r.banners, [f.banner], 'banner');
    f.check?.(t, r.messages);
  });
}

// ---------------------------------------------------------------------------
// Asterisk <= 13 `Response: Follows` bodies (S24), relayed byte-exact.

const legacyFixtures: Array<{ name: string; input: string; expect: Want[] }> = [
  {
    name: 'output with colons and blank lines, ended by a newline',
    input: 'Asterisk Call Manager/2.10.6\r\nResponse: Follows\r\nPrivilege: Command\r\nActionID: x\r\nName/username   Host: 10.0.0.1\nStatus: OK\n\n1 sip peers\n--END COMMAND--\r\n\r\n',
    expect: [[['Response: Follows', 'Privilege: Command', 'ActionID: x'], undefined, 'Name/username   Host: 10.0.0.1\nStatus: OK\n\n1 sip peers\n']],
  },
  {
    name: 'output that does not end in a newline',
    input: 'Asterisk Call Manager/2.10.6\r\nResponse: Follows\r\nPrivilege: Command\r\nSystem uptime: 5 seconds--END COMMAND--\r\n\r\n',
    expect: [[['Response: Follows', 'Privilege: Command'], undefined, 'System uptime: 5 seconds']],
  },
  {
    name: 'empty output, and output that starts with a blank line, CRLF lines',
    input: 'Asterisk Call Manager/2.10.6\r\nResponse: Follows\r\nPrivilege: Command\r\nActionID: e\r\n--END COMMAND--\r\n\r\n' +
      'Response: Follows\r\nPrivilege: Command\r\n\r\nfoo\r\n--END COMMAND--\r\n\r\nResponse: Success\r\nPing: Pong\r\n\r\n',
    expect: [
      [['Response: Follows', 'Privilege: Command', 'ActionID: e'], undefined, ''],
      [['Response: Follows', 'Privilege: Command'], undefined, '\r\nfoo\r\n'],
      [['Response: Success', 'Ping: Pong']],
    ],
  },
];

for (const f of legacyFixtures) {
  t.test(`legacy Follows: ${f.name}`, async (t) => {
    const r = feedAllWays(t, f.input, LEGACY);
    t.same(r.messages.map((m) => [m.lines, m.fault ?? null, m.body ?? null]), f.expect.map(([l, fault, body]) => [l, fault ?? null, body ?? null]), 'packets');
    t.equal(f.input.slice(f.input.indexOf('\r\n') + 2), wire(r), 'byte-exact round trip');
  });
}

t.test('legacy Follows: an Asterisk 13 session from test/fixtures/ami', async (t) => {
  const input = readFileSync(join(FIXTURES, 'asterisk13-command.ami'), 'latin1');
  const r = feedAllWays(t, input, LEGACY);
  t.equal(r.banners[0], 'Asterisk Call Manager/2.10.6');
  const follows = r.messages.filter((m) => m.body !== undefined);
  t.ok(follows.length >= 2, 'has Follows packets');
  t.ok(follows.every((m) => m.get('Privilege') === 'Command'));
  t.equal(r.banners[0] + '\r\n' + wire(r), input, 'byte-exact round trip');
});

t.test('without legacyFollows a Follows body is read as plain lines', async (t) => {
  const r = parse([Buffer.from('Asterisk Call Manager/2.10.6\r\nResponse: Follows\r\nPrivilege: Command\r\nfoo\n--END COMMAND--\r\n\r\n', 'latin1')], UPSTREAM);
  t.same(r.messages.map((m) => [m.lines, m.body]), [[['Response: Follows', 'Privilege: Command', 'foo', '--END COMMAND--'], undefined]]);
});

// ---------------------------------------------------------------------------
// Resource bounds.

t.test('a 10 MB line without a newline keeps memory bounded', async (t) => {
  for (const [label, options, bound] of [['request', REQUEST, 1024], ['upstream', { ...UPSTREAM, banner: false }, 1 << 20]] as const) {
    const got: AmiMessage[] = [];
    const p = new AmiParser({ onMessage: (m) => got.push(m) }, options);
    const chunk = Buffer.alloc(64 * 1024, 'Z');
    p.write('Action: Ping\r\nActionID: big\r\nX: ');
    let max = 0;
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) {
      p.write(chunk);
      max = Math.max(max, p.buffered);
    }
    t.ok(max < bound, `${label}: buffered stayed below ${bound} (max ${max})`);
    t.equal(got.length, 0, `${label}: nothing emitted yet`);
    p.write('\r\n\r\n');
    t.equal(got.length, 1, `${label}: one packet at the blank line`);
    t.equal(got[0]!.fault, 'line-too-long', `${label}: flagged`);
    t.equal(got[0]!.get('ActionID'), 'big', `${label}: ActionID kept`);
    t.equal(p.buffered, 0);
  }
  // One single 10 MB write is linear too (it used to rescan the buffer per 1 KB discarded).
  const p = new AmiParser({ onMessage: () => undefined });
  const start = process.hrtime.bigint();
  p.write(Buffer.alloc(10 * 1024 * 1024, 'Z'));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.ok(p.buffered < 1024, 'one 10 MB write: buffered < 1024');
  t.ok(ms < 500, `one 10 MB write took ${ms.toFixed(0)} ms`);
});

t.test('wholeLines (upstream side): a too-long line is discarded whole, at every split', async (t) => {
  const WHOLE: ParserOptions = { maxLineBytes: 24, maxLines: 100, emitEmpty: false, wholeLines: true };
  const long = 'Data: ' + 'x'.repeat(40);
  const r = feedAllWays(t, `Event: Big\r\nPrivilege: user,all\r\n${long}\r\nAfter: yes\r\n\r\nEvent: Next\r\n\r\n`, WHOLE);
  t.same(r.messages.map((m) => [m.lines, m.fault ?? null]), [
    [['Event: Big', 'Privilege: user,all', 'After: yes'], 'line-too-long'],
    [['Event: Next'], null],
  ], 'no piece of the long line, the rest intact, only its packet flagged');
  t.equal(r.buffered, 0);
  const bare = feedAllWays(t, `Event: A\n${long}\nB: 1\n\n`, WHOLE);
  t.same(bare.messages.map((m) => m.lines), [['Event: A', 'B: 1']], 'a bare LF ends the long line too');
  // The boundary: maxLineBytes - 1 bytes before the line end are a line; maxLineBytes are not.
  const edge = feedAllWays(t, `E: ${'y'.repeat(20)}\nF: ${'z'.repeat(21)}\n\n`, WHOLE);
  t.same(edge.messages.map((m) => [m.lines, m.fault ?? null]), [[['E: ' + 'y'.repeat(20)], 'line-too-long']]);
  // A long last line before the blank line, split over many writes, holds nothing.
  const got: AmiMessage[] = [];
  const p = new AmiParser({ onMessage: (m) => got.push(m) }, { ...WHOLE, maxLineBytes: 1 << 20 });
  p.write('Response: Success\r\nActionID: big\r\nOutput: ');
  let max = 0;
  for (let i = 0; i < 3_000_000; i += 64 * 1024) { p.write(Buffer.alloc(64 * 1024, 'v')); max = Math.max(max, p.buffered); }
  t.ok(max < 1 << 20, `buffered stayed below maxLineBytes (max ${max})`);
  p.write('\r\nOutput: after\r\n\r\n');
  t.same(got.map((m) => m.lines), [['Response: Success', 'ActionID: big', 'Output: after']]);
  t.equal(got[0]!.fault, 'line-too-long');
});

t.test('100,000 headers', async (t) => {
  const lines = Array.from({ length: 100_000 }, (_, i) => `Output: line ${i}`);
  const input = 'Response: Success\r\n' + lines.slice(1).join('\r\n') + '\r\n\r\n';
  const b = Buffer.from(input, 'latin1');
  const up = { ...UPSTREAM, banner: false };
  const whole = parse([b], up);
  t.equal(whole.messages.length, 1);
  t.equal(whole.messages[0]!.lines.length, 100_000, 'upstream limit 1e5: all kept');
  t.equal(whole.messages[0]!.fault, undefined);
  t.equal(whole.messages[0]!.toString(), input, 'round trip');
  const want = canon(whole);
  const chunked: Buffer[] = [];
  for (let i = 0; i < b.length; i += 65536) chunked.push(b.subarray(i, i + 65536));
  t.equal(canon(parse(chunked, up)), want, '64 KiB chunks = whole');
  const r = rng(7);
  const bad: number[] = [];
  for (let k = 0; k < 20; k++) {
    const i = Math.floor(r() * b.length);
    if (canon(parse([b.subarray(0, i), b.subarray(i)], up)) !== want) bad.push(i);
  }
  t.same(bad, [], '20 seeded splits = whole');
  const over = parse([Buffer.from('Output: x\r\n' + input, 'latin1')], up);
  t.equal(over.messages[0]!.fault, 'too-many-lines', '100,001 lines exceed maxLines 1e5');
  const req = parse([b], REQUEST);
  t.equal(req.messages[0]!.fault, 'too-many-lines', 'request side: 128 lines');
  t.equal(req.messages[0]!.lines.length, 128);
});

t.test('string and Buffer chunks are the same bytes (latin1)', async (t) => {
  const s = 'Event: X\r\nName: caf\u00e9\r\n\r\n';
  const a = parse([Buffer.from(s, 'latin1')], REQUEST);
  const msgs: AmiMessage[] = [];
  new AmiParser({ onMessage: (m) => msgs.push(m) }).write(s);
  t.same(msgs.map((m) => m.lines), a.messages.map((m) => m.lines));
  t.same(a.messages[0]!.toBuffer(), Buffer.from(s, 'latin1'));
});
