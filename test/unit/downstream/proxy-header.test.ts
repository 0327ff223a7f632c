// The PROXY header framing (downstream/proxy-header.ts): v1 and v2 with their
// bounds, `auto` detection, headers split across reads, the client's bytes
// after the header kept, LOCAL/UNKNOWN, IPv6 and IPv4-mapped addresses, and
// the socket reader (leftover given back, timeout) over a real loopback socket.

import t, { type Test } from 'tap';
import net from 'node:net';
import { frameProxyHeader, readProxyHeader, V1_MAX_BYTES, V2_MAX_LENGTH, type FrameResult, type ProxyProtocolMode, type ReadResult } from '../../../src/downstream/proxy-header.js';

const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** A v2 header as HAProxy writes it: command (0 LOCAL, 1 PROXY), family/transport byte, address block, TLVs. */
function v2(command: number, famProto: number, block: number[], tlv: number[] = [], version = 2): Buffer {
  const body = Buffer.from([...block, ...tlv]);
  const head = Buffer.alloc(4);
  head[0] = (version << 4) | command;
  head[1] = famProto;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([SIG, head, body]);
}
const port = (p: number) => [p >> 8, p & 0xff];
const V2_TCP4 = v2(1, 0x11, [127, 0, 0, 5, 127, 0, 0, 1, ...port(40001), ...port(5038)]);
const v6bytes = (text: string) => {
  // enough for the addresses used here
  const parts = text === '::1' ? [0, 0, 0, 0, 0, 0, 0, 1] : text.split(':').map((h) => parseInt(h, 16));
  return parts.flatMap((p) => [p >> 8, p & 0xff]);
};
const V2_TCP6 = v2(1, 0x21, [...v6bytes('2001:db8:0:0:0:0:0:7'), ...v6bytes('::1'), ...port(50000), ...port(5038)]);
const MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 9];
const V2_MAPPED = v2(1, 0x21, [...MAPPED, ...MAPPED, ...port(1), ...port(2)]);

function frame(text: string | Buffer, mode: ProxyProtocolMode = 'auto'): FrameResult {
  return frameProxyHeader(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, mode);
}

t.test('v1: TCP4, TCP6, UNKNOWN; the bytes after the header are kept', async (t) => {
  let r = frame('PROXY TCP4 127.0.0.5 127.0.0.1 40001 5038\r\nAction: Login\r\n');
  t.same(r, { state: 'done', header: { kind: 'proxy', version: 1, source: { address: '127.0.0.5', port: 40001 }, destination: { address: '127.0.0.1', port: 5038 } }, rest: Buffer.from('Action: Login\r\n') });
  r = frame('PROXY TCP6 2001:db8::7 ::1 65535 0\r\n', 'v1');
  t.match(r, { state: 'done', header: { kind: 'proxy', source: { address: '2001:db8::7', port: 65535 }, destination: { port: 0 } } });
  t.equal((r as { rest: Buffer }).rest.length, 0);
  t.same(frame('PROXY UNKNOWN\r\nx'), { state: 'done', header: { kind: 'local', version: 1 }, rest: Buffer.from('x') }, 'UNKNOWN: the connection\'s own address');
  t.match(frame('PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n'), { state: 'done', header: { kind: 'local' } }, 'UNKNOWN with anything after it');
});

t.test('v1: malformed and missing', async (t) => {
  const bad = [
    'PROXY TCP4 127.0.0.5 127.0.0.1 40001\r\n', // a field short
    'PROXY TCP4 ::1 127.0.0.1 1 2\r\n', // IPv6 address under TCP4
    'PROXY TCP6 127.0.0.5 ::1 1 2\r\n', // IPv4 address under TCP6
    'PROXY TCP4 127.0.0.256 127.0.0.1 1 2\r\n',
    'PROXY TCP4 127.0.0.5 127.0.0.1 65536 2\r\n',
    'PROXY TCP4 127.0.0.5 127.0.0.1 0080 2\r\n', // leading zero
    'PROXY TCP4 127.0.0.5 127.0.0.1 1 2\n', // LF without CR
    'PROXY UDP4 127.0.0.5 127.0.0.1 1 2\r\n',
    'PROXY  TCP4 127.0.0.5 127.0.0.1 1 2\r\n',
  ];
  for (const b of bad) t.match(frame(b), { state: 'fail', reason: 'proxy-malformed' }, JSON.stringify(b));
  t.match(frame('PROXY ' + 'x'.repeat(V1_MAX_BYTES)), { state: 'fail', reason: 'proxy-malformed', detail: /no CRLF in the first 107 bytes/ }, 'no CRLF within the bound');
  t.match(frame('PROXY TCP4 ' + '1'.repeat(100) + '\r\n'), { state: 'fail', reason: 'proxy-malformed' }, 'a CRLF past 107 bytes');
  t.match(frame('PROXY ' + 'x'.repeat(V1_MAX_BYTES - 7)), { state: 'more' }, 'under the bound: read on');
  for (const b of ['Action: Login\r\n', 'GET /rawman HTTP/1.1\r\n', '\x16\x03\x01\x02\x00', 'PROXX', 'proxy tcp4']) {
    t.match(frame(b), { state: 'fail', reason: 'proxy-missing' }, `no header: ${JSON.stringify(b.slice(0, 8))}`);
  }
  t.match(frame(V2_TCP4, 'v1'), { state: 'fail', reason: 'proxy-missing' }, 'a v2 header on a v1 listener');
});

t.test('v2: PROXY over IPv4 and IPv6, LOCAL, TLVs skipped, mapped addresses', async (t) => {
  const tail = Buffer.from('GET / HTTP/1.1\r\n');
  let r = frame(Buffer.concat([V2_TCP4, tail]), 'v2');
  t.same(r, { state: 'done', header: { kind: 'proxy', version: 2, source: { address: '127.0.0.5', port: 40001 }, destination: { address: '127.0.0.1', port: 5038 } }, rest: tail });
  r = frame(V2_TCP6);
  t.match(r, { state: 'done', header: { kind: 'proxy', source: { address: '2001:db8::7', port: 50000 }, destination: { address: '::1', port: 5038 } } });
  t.match(frame(V2_MAPPED), { state: 'done', header: { source: { address: '::ffff:192.0.2.9' } } }, 'IPv4-mapped written as a Node socket would');
  // LOCAL (HAProxy's health checks with check-send-proxy): AF_UNSPEC, no addresses.
  t.same(frame(Buffer.concat([v2(0, 0x00, []), tail])), { state: 'done', header: { kind: 'local', version: 2 }, rest: tail });
  t.match(frame(v2(1, 0x00, [])), { state: 'done', header: { kind: 'local' } }, 'PROXY with AF_UNSPEC: the real endpoints');
  const withTlv = v2(1, 0x11, [127, 0, 0, 5, 127, 0, 0, 1, ...port(1), ...port(2)], [0x05, 0x00, 0x03, 0x61, 0x62, 0x63, 0x04, 0x00, 0x00]);
  t.same(frame(Buffer.concat([withTlv, tail])), { state: 'done', header: { kind: 'proxy', version: 2, source: { address: '127.0.0.5', port: 1 }, destination: { address: '127.0.0.1', port: 2 } }, rest: tail }, 'TLVs skipped, rest after them');
});

t.test('v2: malformed, oversize, and split across reads', async (t) => {
  t.match(frame(v2(1, 0x11, [127, 0, 0, 5], [], 2)), { state: 'fail', reason: 'proxy-malformed' }, 'address block too short for AF_INET');
  t.match(frame(v2(1, 0x11, [127, 0, 0, 5, 127, 0, 0, 1, 0, 1, 0, 2], [], 1)), { state: 'fail', reason: 'proxy-malformed' }, 'version 1 in a v2 header');
  t.match(frame(v2(2, 0x11, [127, 0, 0, 5, 127, 0, 0, 1, 0, 1, 0, 2])), { state: 'fail', reason: 'proxy-malformed' }, 'unknown command');
  t.match(frame(v2(1, 0x12, [127, 0, 0, 5, 127, 0, 0, 1, 0, 1, 0, 2])), { state: 'fail', reason: 'proxy-malformed' }, 'UDP');
  t.match(frame(v2(1, 0x31, new Array(216).fill(0))), { state: 'fail', reason: 'proxy-malformed' }, 'AF_UNIX');
  const huge = Buffer.concat([SIG, Buffer.from([0x21, 0x11, (V2_MAX_LENGTH + 1) >> 8, (V2_MAX_LENGTH + 1) & 0xff])]);
  t.match(frame(huge), { state: 'fail', reason: 'proxy-malformed', detail: /at most 4096/ }, 'a length over the bound fails at once, before the bytes come');
  // Every split point of a v2 and a v1 header: `more` until complete, then the same answer.
  for (const [name, whole] of [['v2', Buffer.concat([V2_TCP6, Buffer.from('rest')])], ['v1', Buffer.from('PROXY TCP4 127.0.0.5 127.0.0.1 40001 5038\r\nrest')]] as const) {
    const headerLen = whole.length - 4;
    let ok = true;
    for (let i = 0; i < headerLen; i++) if (frame(whole.subarray(0, i)).state !== 'more') ok = false;
    t.ok(ok, `${name}: every prefix asks for more`);
    const r = frame(whole);
    t.equal(r.state, 'done');
    t.equal((r as { rest: Buffer }).rest.toString(), 'rest');
  }
  t.match(frame(SIG.subarray(0, 5), 'v1'), { state: 'fail', reason: 'proxy-missing' }, 'v1 only: the v2 signature\'s first bytes are not a header');
  t.match(frame(Buffer.from('PRO'), 'v2'), { state: 'fail', reason: 'proxy-missing' }, 'v2 only: PROXY text is not a header');
});

/** A connected pair on 127.0.0.1; the server side is read with readProxyHeader. */
async function pair(t: Test): Promise<{ client: net.Socket; server: net.Socket }> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => srv.once('connection', r));
  const client = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
  const server = await accepted;
  t.teardown(() => { client.destroy(); server.destroy(); srv.close(); });
  return { client, server };
}

t.test('readProxyHeader: a header in pieces, the client bytes given back in order, and the timeout', async (t) => {
  const { client, server } = await pair(t);
  const got = new Promise<ReadResult>((r) => readProxyHeader(server, 'auto', 5000, r));
  const bytes = Buffer.concat([V2_TCP4, Buffer.from('Action: Ping\r\n\r\n')]);
  // Header split over three writes, the last carrying the client's first bytes too.
  client.write(bytes.subarray(0, 5));
  await new Promise((r) => setTimeout(r, 20));
  client.write(bytes.subarray(5, 20));
  await new Promise((r) => setTimeout(r, 20));
  client.write(bytes.subarray(20));
  const r = await got;
  t.match(r, { ok: true, header: { kind: 'proxy', source: { address: '127.0.0.5', port: 40001 } } });
  client.write('Action: Logoff\r\n\r\n');
  let text = '';
  server.on('data', (d: Buffer) => { text += d.toString(); });
  server.resume();
  const end = Date.now() + 5000;
  while (!text.endsWith('Logoff\r\n\r\n') && Date.now() < end) await new Promise((res) => setTimeout(res, 10));
  t.equal(text, 'Action: Ping\r\n\r\nAction: Logoff\r\n\r\n', 'leftover first, then what came later');

  const slow = await pair(t);
  const t0 = Date.now();
  const timedOut = await new Promise<ReadResult>((res) => readProxyHeader(slow.server, 'v1', 200, res));
  t.match(timedOut, { ok: false, reason: 'proxy-missing', detail: /within 200 ms/ });
  t.ok(Date.now() - t0 >= 150, 'after the timeout');

  const bad = await pair(t);
  const refused = new Promise<ReadResult>((res) => readProxyHeader(bad.server, 'auto', 5000, res));
  bad.client.write('Action: Login\r\n');
  t.match(await refused, { ok: false, reason: 'proxy-missing' }, 'an AMI client talking straight away');
});
