// The one-pass `action` line (audit-json.ts) against the pino path it
// replaces: for generated requests (secret-named headers in every case,
// repeated headers, __proto__, numeric names, long values, sensitive patterns,
// allow-lists, header caps), both lines parse to the same record; and a
// hand-written request shows no redacted value in the raw text.

import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { Audit, type ActionFields, type AuditOptions } from '../../../src/observability/audit.js';
import { FAST_JSON } from '../../../src/observability/logger.js';
import { AmiMessage } from '../../../src/protocol/message.js';
import { captureLogger, type LogLine } from '../../helpers/log-capture.js';

const NAMES = ['Secret', 'secret', 'SECRET', 'sEcReT', 'Key', 'key', 'KEY', 'kEy', 'Password', 'password', 'PASSWORD', 'passphrase', 'Passphrase',
  'Variable', 'variable', 'Channel', 'Action', 'action', 'ActionID', 'actionid', '__proto__', 'constructor', '1', '10', 'Data', 'X-Ünï'];

const latin1 = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const name = fc.oneof(fc.constantFrom(...NAMES), fc.string({ unit: fc.constantFrom('a', 'B', '-', '_', '7'), minLength: 1, maxLength: 8 }));
const value = fc.oneof(latin1, latin1.map((s) => s.repeat(12)), fc.constantFrom('DB_PASSWORD=hunter2', 'API_TOKEN=abc', ' leading', ''));
const options: fc.Arbitrary<AuditOptions> = fc.record({
  headers: fc.option(fc.subarray(['channel', 'VARIABLE', 'secret', 'data', '1']), { nil: undefined }),
  sensitive: fc.constantFrom([], [/^Variable:\s*\w*(PASS|SECRET|TOKEN)/i], [/^Data:/i]),
  maxHeaders: fc.constantFrom(32, 3),
  maxValueLength: fc.constantFrom(256, 10),
});
const fields = fc.record({
  headers: fc.array(fc.tuple(name, value), { maxLength: 12 }),
  user: fc.option(latin1, { nil: undefined }),
  actionId: fc.option(latin1, { nil: undefined }),
  result: fc.constantFrom('success', 'denied', 'error', 'timeout', 'upstream-lost'),
  rule: fc.option(fc.constantFrom('classes', 'actions.deny'), { nil: undefined }),
  upstream: fc.option(fc.constantFrom('pbx1'), { nil: undefined }),
  reason: fc.option(latin1, { nil: undefined }),
  latencyMs: fc.double({ min: 0, max: 1e5, noNaN: true }),
  upstreamMs: fc.option(fc.double({ min: 0, max: 1e5, noNaN: true }), { nil: undefined }),
});

const base = { session: 7, remote: '127.0.0.1:50412', listener: 'tls', action: 'Originate' };
const withoutTime = (l: LogLine) => { const { time: _t, ...rest } = l; return rest; };

t.test('the one-pass line parses to exactly what the pino path writes', async (t) => {
  const fast = captureLogger();
  t.equal((fast.logger as unknown as Record<symbol, unknown>)[FAST_JSON], true, 'the capture logger takes the one-pass path');
  // An extra redact path turns the one-pass path off: this logger goes through pino.
  const slow = captureLogger({ redact: ['no.such.path'] });
  t.notOk((slow.logger as unknown as Record<symbol, unknown>)[FAST_JSON], 'the reference logger does not');
  let runs = 0;
  fc.assert(fc.property(fields, options, fc.boolean(), (f, opts, asLines) => {
    fast.clear();
    slow.clear();
    const lines = f.headers.map(([n, v]) => `${n}: ${v}`);
    // proxy.ts passes the raw lines; before issue 12 it passed msg.entries() (leading blanks of values skipped).
    const rec: ActionFields = { ...base, ...f, headers: asLines ? new AmiMessage(lines).entries() : f.headers };
    new Audit(fast.logger, opts).action(asLines ? { ...rec, headers: undefined, lines } : rec);
    new Audit(slow.logger, opts).action(rec);
    const [a] = fast.lines();
    const [b] = slow.lines();
    // node's deep equality: tap's treats a header named `constructor` as the object's constructor.
    if (!isDeepStrictEqual(withoutTime(a!), withoutTime(b!))) t.fail('lines differ', { fast: fast.raw(), pino: slow.raw() });
    runs++;
  }), { numRuns: 300 });
  t.equal(runs, 300, 'every generated record compared');
});

t.test('secret-named headers are hidden in every letter case, once or repeated', async (t) => {
  const cap = captureLogger();
  const msg = AmiMessage.from([
    ['Action', 'Originate'], ['ActionID', 'x1'], ['sEcReT', 's3cret-one'], ['KEY', 'k3y-two'], ['Password', 'p4ss-a'], ['Password', 'p4ss-b'],
    ['Variable', 'DB_PASSWORD=v4r-s3cret'], ['Variable', 'X=1'], ['Channel', 'PJSIP/100'],
  ]);
  new Audit(cap.logger, { sensitive: [/^Variable:\s*\w*(PASS|SECRET|TOKEN)/i] })
    .action({ ...base, user: 'crm', lines: msg.lines, result: 'success', latencyMs: 1.23456, upstream: 'pbx1' });
  const raw = cap.raw();
  for (const s of ['s3cret-one', 'k3y-two', 'p4ss-a', 'p4ss-b', 'v4r-s3cret']) t.notOk(raw.includes(s), `${s} is not in the line`);
  const [line] = cap.lines();
  t.strictSame(line!['headers'], { sEcReT: '[REDACTED]', KEY: '[REDACTED]', Password: '[REDACTED]', Variable: ['[REDACTED]', 'X=1'], Channel: 'PJSIP/100' });
  t.match(line, { level: 'info', stream: 'audit', audit: 'action', actionId: 'x1', latencyMs: 1.235, msg: 'action', name: 'amigate' });
  t.ok(raw.endsWith('\n') && raw.split('\n').length === 2, 'one line');
});
