// The two WebSocket framings (downstream/websocket-codec.ts): the ami-json
// schema (types, header order, repeats as arrays, escaping, UTF-8), its client
// decoding (errors, injection, the TCP request limits), and the `ami` framing's
// frame-ends-a-packet rule.

import t from 'tap';
import { AmiMessage } from '../../../src/protocol/message.js';
import { OutboundEvent } from '../../../src/protocol/outbound-event.js';
import {
  AMI_EVENT_FORM, AmiFrameDecoder, JSON_EVENT_FORM, amiText, decodeJsonAction, encodeJson, encodeJsonBanner, encodeJsonError, textFrame,
} from '../../../src/downstream/websocket-codec.js';

const LIMITS = { maxLineBytes: 1024, maxHeaders: 128 };

t.test('encodeJson: type, headers in wire order, repeats as arrays at their first place', async (t) => {
  const m = new AmiMessage(['Event: VarSet', 'Privilege: dialplan,all', 'Variable: A=1', 'Channel: PJSIP/1', 'Variable: B=2', 'Variable:   C=3 ', 'Empty:']);
  const text = encodeJson('event', m).toString('utf8');
  t.equal(text, '{"type":"event","headers":{"Event":"VarSet","Privilege":"dialplan,all","Variable":["A=1","B=2","C=3 "],"Channel":"PJSIP/1","Empty":""}}');
  const doc = JSON.parse(text) as { headers: Record<string, unknown> };
  t.same(Object.keys(doc.headers), ['Event', 'Privilege', 'Variable', 'Channel', 'Empty']);
});

t.test('encodeJson: escaping, hostile names and UTF-8', async (t) => {
  const m = new AmiMessage(['Event: X', '__proto__: p', 'constructor: c', 'Quote: a"b\\c</script>', 'Name: ' + Buffer.from('Zoë ☎', 'utf8').toString('latin1'), 'Bad: Zo\xeb', 'Ctl: a\x01b']);
  const doc = JSON.parse(encodeJson('response', m).toString('utf8')) as { type: string; headers: Record<string, string> };
  t.equal(doc.type, 'response');
  t.equal(doc.headers['__proto__'], 'p');
  t.ok(Object.prototype.hasOwnProperty.call(doc.headers, '__proto__'), 'an own key, not the prototype');
  t.equal(doc.headers['constructor'], 'c');
  t.equal(doc.headers['Quote'], 'a"b\\c</script>');
  t.equal(doc.headers['Name'], 'Zoë ☎', 'UTF-8 bytes from Asterisk decode to text');
  t.equal(doc.headers['Bad'], 'Zo\uFFFD', 'invalid UTF-8 becomes U+FFFD');
  t.equal(doc.headers['Ctl'], 'a\x01b');
});

t.test('encodeJson: a legacy Follows body; banner and error frames', async (t) => {
  const m = new AmiMessage(['Response: Follows', 'Privilege: Command'], 'line 1\nline 2\n');
  t.same(JSON.parse(encodeJson('response', m).toString()), { type: 'response', headers: { Response: 'Follows', Privilege: 'Command' }, body: 'line 1\nline 2\n' });
  t.same(JSON.parse(encodeJsonBanner('Asterisk Call Manager/11.0.0').toString()), { type: 'banner', banner: 'Asterisk Call Manager/11.0.0' });
  t.same(JSON.parse(encodeJsonError({ error: 'invalid-json', message: 'm' }).toString()), { type: 'error', error: 'invalid-json', message: 'm' });
});

t.test('event forms are built once per event for every receiver', async (t) => {
  let encodes = 0;
  const m = new AmiMessage(['Event: Hangup', 'Privilege: call,all']);
  const counting = { name: 'counting', encode: (x: AmiMessage) => { encodes++; return JSON_EVENT_FORM.encode(x); } };
  const ev = new OutboundEvent(m.toBuffer(), m);
  const a = ev.as(counting);
  const b = ev.as(counting);
  t.equal(a, b, 'the same Buffer');
  t.equal(encodes, 1);
  t.equal(ev.as(JSON_EVENT_FORM), ev.as(JSON_EVENT_FORM));
  t.equal(ev.as(AMI_EVENT_FORM), ev.as(AMI_EVENT_FORM));
  t.equal(ev.as(AMI_EVENT_FORM).toString('latin1'), '\x81\x26Event: Hangup\r\nPrivilege: call,all\r\n\r\n', 'a whole text frame');
});

t.test('textFrame: FIN + text opcode, unmasked, 7/16/64-bit lengths at their boundaries', async (t) => {
  for (const [n, head] of [[0, [0x81, 0]], [125, [0x81, 125]], [126, [0x81, 126, 0, 126]], [65535, [0x81, 126, 0xff, 0xff]], [65536, [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]]] as const) {
    const payload = Buffer.alloc(n, 0x61);
    const f = textFrame(payload);
    t.same([...f.subarray(0, head.length)], head, `length ${n}`);
    t.equal(f.length, head.length + n);
    t.ok(f.subarray(head.length).equals(payload));
  }
});

t.test('amiText: the TCP bytes when they are UTF-8, U+FFFD for the bytes that are not', async (t) => {
  const ok = Buffer.from('Event: X\r\nName: Zoë\r\n\r\n', 'utf8');
  t.equal(amiText(ok), ok, 'the same Buffer, not a copy');
  t.equal(amiText(Buffer.from('Name: Zo\xeb\r\n\r\n', 'latin1')).toString('utf8'), 'Name: Zo\uFFFD\r\n\r\n');
});

t.test('decodeJsonAction: an action with strings, numbers, booleans and arrays', async (t) => {
  const m = decodeJsonAction(JSON.stringify({ type: 'action', headers: { Action: 'Originate', ActionID: 12, Async: true, Variable: ['A=1', 'B=ü'] } }), LIMITS);
  t.ok(m instanceof AmiMessage);
  const msg = m as AmiMessage;
  t.same(msg.lines, ['Action: Originate', 'ActionID: 12', 'Async: true', 'Variable: A=1', 'Variable: ' + Buffer.from('B=ü').toString('latin1')]);
  t.equal(msg.fault, undefined);
  t.ok(decodeJsonAction('{"headers":{"Action":"Ping"}}', LIMITS) instanceof AmiMessage, 'type may be left out');
});

t.test('decodeJsonAction: every malformed frame is a FrameError, never an exception', async (t) => {
  const bad: Array<[string, string]> = [
    ['', 'invalid-json'],
    ['{', 'invalid-json'],
    ['null', 'invalid-action'],
    ['"Action: Ping"', 'invalid-action'],
    ['[]', 'invalid-action'],
    ['{"type":"response","headers":{}}', 'invalid-action'],
    ['{"type":"action"}', 'invalid-action'],
    ['{"headers":[["Action","Ping"]]}', 'invalid-action'],
    ['{"headers":{"Action":null}}', 'invalid-action'],
    ['{"headers":{"Action":[["Ping"]]}}', 'invalid-action'],
    ['{"headers":{"Action":"Ping\\nX: y"}}', 'invalid-action'],
    ['{"headers":{"Action":"Ping\\rX: y"}}', 'invalid-action'],
    ['{"headers":{"A:B":"x"}}', 'invalid-action'],
    ['{"headers":{"":"x"}}', 'invalid-action'],
    ['{"headers":{"A\\r\\nB":"x"}}', 'invalid-action'],
  ];
  for (const [frame, error] of bad) {
    const r = decodeJsonAction(frame, LIMITS);
    t.notOk(r instanceof AmiMessage, frame);
    t.equal((r as { error: string }).error, error, frame);
  }
  const wide = decodeJsonAction('{"headers":{"Action":"Ping\\u010aX: y"}}', LIMITS) as AmiMessage;
  t.equal(wide.lines[0], 'Action: Ping\xc4\x8aX: y', 'U+010A is sent as its UTF-8 bytes, never as a bare LF');
});

t.test('decodeJsonAction: the TCP request limits give the TCP parse faults (S3, S4)', async (t) => {
  const long = decodeJsonAction(JSON.stringify({ headers: { Action: 'Ping', ActionID: 'a', X: 'y'.repeat(1020) } }), LIMITS) as AmiMessage;
  t.equal(long.fault, 'line-too-long');
  t.equal(long.actionId(), 'a', 'the ActionID survives for the error reply');
  const fits = decodeJsonAction(JSON.stringify({ headers: { Action: 'Ping', X: 'y'.repeat(1024 - 5) } }), LIMITS) as AmiMessage;
  t.equal(fits.fault, undefined, 'a line of 1022 bytes + CRLF fits');
  const many: Record<string, string> = { Action: 'Ping' };
  for (let i = 0; i < 200; i++) many['H' + i] = 'v';
  const m = decodeJsonAction(JSON.stringify({ headers: many }), LIMITS) as AmiMessage;
  t.equal(m.fault, 'too-many-lines');
  t.equal(m.lines.length, 128);
  const arr = decodeJsonAction(JSON.stringify({ headers: { Action: 'Ping', Variable: Array.from({ length: 128 }, (_, i) => 'v' + i) } }), LIMITS) as AmiMessage;
  t.equal(arr.fault, 'too-many-lines', 'array elements count as lines');
});

t.test('AmiFrameDecoder: a frame ends its packet; several packets per frame; empty frames ignored', async (t) => {
  const got: string[][] = [];
  const d = new AmiFrameDecoder((m) => got.push(m.lines), LIMITS);
  d.write(Buffer.from('Action: Ping\r\nActionID: 1\r\n\r\n'));
  d.write(Buffer.from('Action: Ping\r\nActionID: 2'));
  d.write(Buffer.from('Action: Ping\nActionID: 3\n'));
  d.write(Buffer.from('Action: Ping\nActionID: 4\n\n'));
  d.write(Buffer.from(''));
  d.write(Buffer.from('Action: A\r\n\r\nAction: B\r\n'));
  d.write(Buffer.from('\r\n'));
  t.same(got, [
    ['Action: Ping', 'ActionID: 1'],
    ['Action: Ping', 'ActionID: 2'],
    ['Action: Ping', 'ActionID: 3'],
    ['Action: Ping', 'ActionID: 4'],
    ['Action: A'],
    ['Action: B'],
    [],
  ], 'a lone blank line is an empty packet, as on TCP ("Missing action in request")');
});

t.test('AmiFrameDecoder keeps the TCP limits (S3, S4)', async (t) => {
  const got: AmiMessage[] = [];
  const d = new AmiFrameDecoder((m) => got.push(m), LIMITS);
  d.write(Buffer.from('Action: Ping\r\nX: ' + 'y'.repeat(3000) + '\r\n\r\n'));
  d.write(Buffer.from('Action: Ping\r\n' + Array.from({ length: 130 }, (_, i) => `H${i}: v`).join('\r\n')));
  t.equal(got[0]!.fault, 'line-too-long');
  t.equal(got.at(-1)!.fault, 'too-many-lines');
});
