// AmiMessage: header lookups as main/manager.c __astman_get_header() does them
// (S5), in-place edits that keep `Response:`/`Event:` first (S21), the cached
// wire form, and the serializer's refusal of header injection.

import t from 'tap';
import { AmiMessage, headerLine, valueAt } from '../../../src/protocol/message.js';
import { AmigateError, HeaderInjectionError } from '../../../src/errors.js';

const msg = (s: string) => new AmiMessage(s.split('\r\n'));

t.test('get: case-insensitive name, colon right after it, first match, leading blanks skipped', async (t) => {
  const m = msg('Response: Success\r\nactionid:    e10   \r\nActionID: second\r\nAction : x\r\nAction:Ping\r\nX-Tab:\t\tv\r\nEmpty:');
  t.equal(m.get('ActionID'), 'e10   ', 'leading blanks skipped, trailing kept');
  t.equal(m.get('ACTIONID'), 'e10   ', 'name is case-insensitive');
  t.equal(m.get('Action'), 'Ping', '`Action : x` is not an Action header, `Action:Ping` is');
  t.equal(m.get('X-Tab'), 'v', 'tabs are blanks (bytes < 33)');
  t.equal(m.get('Empty'), '', 'present but empty');
  t.equal(m.get('Missing'), undefined);
  t.equal(m.get('Action'.slice(0, 3)), undefined, 'a prefix of a name does not match');
  t.ok(m.has('empty'));
  t.notOk(m.has('Missing'));
  t.equal(m.indexOf('actionid'), 1);
  t.equal(m.indexOf('actionid', 2), 2);
  t.equal(m.indexOf('actionid', 3), -1);
});

t.test('getNonEmpty: how Action is read (first non-empty, S5)', async (t) => {
  const m = msg('Action:\r\nAction:   \r\nAction: Ping\r\nAction: Logoff');
  t.equal(m.get('Action'), '');
  t.equal(m.getNonEmpty('Action'), 'Ping');
  t.equal(msg('Action:\r\nActionID: x').getNonEmpty('Action'), undefined);
  t.equal(msg('ActionID: x').getNonEmpty('Action'), undefined);
});

t.test('getAll: repeated headers in order (Variable, Output, ChanVariable)', async (t) => {
  const m = msg('Response: Success\r\nOutput: a\r\nVariable: x=1\r\noutput: \r\nOUTPUT:   b\r\nVariable: y=2');
  t.same(m.getAll('Output'), ['a', '', 'b']);
  t.same(m.getAll('Variable'), ['x=1', 'y=2']);
  t.same(m.getAll('Nope'), []);
});

t.test('kind, isEvent, isResponse look only at the first line', async (t) => {
  const ev = msg('Event: OriginateResponse\r\nPrivilege: call,all\r\nResponse: Success');
  t.equal(ev.kind, 'Event');
  t.ok(ev.isEvent);
  t.notOk(ev.isResponse, 'an Event with a Response: header is still an Event (S25)');
  const r = msg('response: Error\r\nMessage: x');
  t.equal(r.kind, 'response', 'kind is as sent');
  t.ok(r.isResponse);
  t.notOk(r.isEvent);
  t.equal(new AmiMessage().kind, '');
  t.notOk(new AmiMessage().isEvent);
  t.equal(msg('garbage').kind, '');
  t.notOk(msg('Eventful: x').isEvent, 'Eventful is not Event');
  t.notOk(msg('Event').isEvent, 'no colon');
});

t.test('set replaces the first match in place, or appends', async (t) => {
  const m = msg('Response: Success\r\nActionID: a\r\nMessage: m\r\nactionid: b');
  m.set('ActionID', 'z');
  t.same(m.lines, ['Response: Success', 'ActionID: z', 'Message: m', 'actionid: b']);
  m.set('New', 'v');
  t.same(m.lines.at(-1), 'New: v');
});

t.test('insertAfter keeps the first line first (S21)', async (t) => {
  const m = msg('Response: Success\r\nMessage: m');
  m.insertAfter(0, 'ActionID', 'x');
  t.same(m.lines, ['Response: Success', 'ActionID: x', 'Message: m']);
  m.insertAfter(m.lines.length - 1, 'Tail', 't');
  t.equal(m.lines.at(-1), 'Tail: t');
});

t.test('delete removes every match; append, setLineAt, removeLineAt', async (t) => {
  const m = msg('Event: X\r\nChanVariable: a\r\nKeep: 1\r\nchanvariable: b\r\nChanVariable: c');
  t.equal(m.delete('ChanVariable'), 3);
  t.same(m.lines, ['Event: X', 'Keep: 1']);
  t.equal(m.delete('ChanVariable'), 0);
  m.append('A', '1');
  m.setLineAt(1, 'Keep: 2');
  t.same(m.lines, ['Event: X', 'Keep: 2', 'A: 1']);
  m.removeLineAt(2);
  t.same(m.lines, ['Event: X', 'Keep: 2']);
});

t.test('toBuffer: CRLF framing, cached, and invalidated by every mutation', async (t) => {
  const m = msg('Response: Success\r\nActionID: 1');
  const b1 = m.toBuffer();
  t.equal(b1.toString('latin1'), 'Response: Success\r\nActionID: 1\r\n\r\n');
  t.equal(m.toBuffer(), b1, 'same Buffer object while unchanged');
  const mutations: Array<[string, (m: AmiMessage) => unknown, string]> = [
    ['set', (x) => x.set('ActionID', '2'), 'Response: Success\r\nActionID: 2\r\n\r\n'],
    ['insertAfter', (x) => x.insertAfter(0, 'A', 'b'), 'Response: Success\r\nA: b\r\nActionID: 2\r\n\r\n'],
    ['append', (x) => x.append('Z', 'z'), 'Response: Success\r\nA: b\r\nActionID: 2\r\nZ: z\r\n\r\n'],
    ['delete', (x) => x.delete('A'), 'Response: Success\r\nActionID: 2\r\nZ: z\r\n\r\n'],
    ['setLineAt', (x) => x.setLineAt(1, 'ActionID: 3'), 'Response: Success\r\nActionID: 3\r\nZ: z\r\n\r\n'],
    ['removeLineAt', (x) => x.removeLineAt(2), 'Response: Success\r\nActionID: 3\r\n\r\n'],
  ];
  let prev = m.toBuffer();
  for (const [name, f, want] of mutations) {
    f(m);
    const b = m.toBuffer();
    t.not(b, prev, `${name} drops the cache`);
    t.equal(b.toString('latin1'), want, `${name}: wire`);
    prev = b;
  }
  t.equal(m.delete('Nope'), 0);
  t.equal(m.toBuffer(), prev, 'a delete that removes nothing keeps the cache');
  t.equal(new AmiMessage().toString(), '\r\n', 'an empty packet is one blank line');
});

t.test('bytes are kept: latin1 in, latin1 out', async (t) => {
  const raw = Buffer.from([0x58, 0x3a, 0x20, 0xe9, 0xff, 0x80]); // "X: " + 3 high bytes
  const m = new AmiMessage([raw.toString('latin1')]);
  t.same(m.toBuffer(), Buffer.concat([raw, Buffer.from('\r\n\r\n')]));
});

t.test('clone is deep enough: lines, body and fault copied, edits do not leak', async (t) => {
  const m = new AmiMessage(['Response: Follows', 'Privilege: Command'], 'out\n');
  m.fault = 'line-too-long';
  const c = m.clone();
  c.set('ActionID', 'x');
  t.same(m.lines, ['Response: Follows', 'Privilege: Command']);
  t.equal(c.body, 'out\n');
  t.equal(c.fault, 'line-too-long');
  t.equal(c.toString(), 'Response: Follows\r\nPrivilege: Command\r\nActionID: x\r\nout\n--END COMMAND--\r\n\r\n');
});

t.test('entries: [key, value] pairs, colon-less lines skipped', async (t) => {
  const m = msg('Event: X\r\nno colon here\r\nA:   1 \r\n: nameless\r\nB:');
  t.same(m.entries(), [['Event', 'X'], ['A', '1 '], ['B', '']]);
});

t.test('from / headerLine build "Key: Value" lines', async (t) => {
  const m = AmiMessage.from([['Action', 'Ping'], ['ActionID', '  spaced  ']]);
  t.same(m.lines, ['Action: Ping', 'ActionID:   spaced  ']);
  t.equal(m.get('ActionID'), 'spaced  ', 'a value with leading blanks does not survive Asterisk parsing either');
  t.equal(headerLine('Variable', 'a=b: c'), 'Variable: a=b: c', 'colons are fine in values');
  t.equal(headerLine('X', ''), 'X: ');
  t.equal(valueAt('ActionID:  \t x', 8), 'x');
});

t.test('header injection is refused with AMIGATE_ERR_HEADER_INJECTION', async (t) => {
  const badValues = ['a\r\nAction: Originate', 'a\rb', 'a\nb', '\r\n', 'x\n\nAction: Command'];
  const badKeys = ['', 'A:B', 'Ac\rtion', 'Ac\ntion', 'A\r\nB', ':'];
  const attempts: Array<[string, () => unknown]> = [];
  for (const v of badValues) {
    attempts.push([`value ${JSON.stringify(v)} via from`, () => AmiMessage.from([['ActionID', v]])]);
    attempts.push([`value ${JSON.stringify(v)} via set`, () => new AmiMessage(['Action: Ping']).set('ActionID', v)]);
    attempts.push([`value ${JSON.stringify(v)} via append`, () => new AmiMessage().append('X', v)]);
    attempts.push([`value ${JSON.stringify(v)} via insertAfter`, () => new AmiMessage(['Action: Ping']).insertAfter(0, 'X', v)]);
  }
  for (const k of badKeys) attempts.push([`key ${JSON.stringify(k)}`, () => AmiMessage.from([[k, 'v']])]);
  for (const [name, f] of attempts) {
    let err: unknown;
    try { f(); } catch (e) { err = e; }
    t.ok(err instanceof HeaderInjectionError && err instanceof AmigateError && err.code === 'AMIGATE_ERR_HEADER_INJECTION', name);
  }
  const m = new AmiMessage(['Action: Ping']);
  t.throws(() => m.set('ActionID', 'x\r\nAction: Logoff'));
  t.same(m.lines, ['Action: Ping'], 'a refused edit changes nothing');
});

t.test('text above U+00FF is written as UTF-8, so it cannot smuggle a CR or LF byte', async (t) => {
  // latin1 would keep only the low byte: U+010A -> 0x0A (LF), U+020D -> 0x0D (CR).
  const m = AmiMessage.from([['CallerID', 'a\u010aAction: Originate'], ['X\u020d', 'v'], ['Name', 'J\u00f6rg \u20ac']]);
  const wire = m.toBuffer();
  t.equal(wire.filter((b) => b === 0x0a).length, 4, 'the only LFs are the framing (3 lines + blank)');
  t.equal(wire.filter((b) => b === 0x0d).length, 4, 'the only CRs are the framing');
  t.equal(Buffer.from(m.get('CallerID')!, 'latin1').toString('utf8'), 'a\u010aAction: Originate', 'round-trips as UTF-8');
  t.equal(Buffer.from(m.get('Name')!, 'latin1').toString('utf8'), 'J\u00f6rg \u20ac', 'the whole value is UTF-8 once it needs to be');
  t.equal(AmiMessage.from([['Name', 'J\u00f6rg']]).toBuffer().toString('latin1'), 'Name: J\u00f6rg\r\n\r\n', 'latin1-only text stays byte-per-char');
});
