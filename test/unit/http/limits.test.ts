// src/http/limits.ts over a real node:http server on 127.0.0.1: malformed or
// oversized HTTP gets a clear 4xx page, never a 200.

import t, { type Test } from 'tap';
import http from 'node:http';
import net from 'node:net';
import { checkRequestHead, clientErrorText, readBody, serverOptions, DEFAULT_HTTP_LIMITS, type HttpLimits } from '../../../src/http/limits.js';
import { errorPage, headText } from '../../../src/http/response.js';
import { HttpRequestError } from '../../../src/errors.js';

const LIMITS: HttpLimits = { ...DEFAULT_HTTP_LIMITS, maxHeaderBytes: 2048, maxBodyBytes: 64, maxTargetBytes: 256, maxHeaders: 10 };

async function server(t: Test): Promise<number> {
  const srv = http.createServer(serverOptions(LIMITS), (req, res) => {
    res.sendDate = false;
    void (async () => {
      try {
        checkRequestHead(req, LIMITS);
        const body = req.method === 'POST' ? await readBody(req, LIMITS) : '';
        res.writeHead(200, 'OK', ['Content-Length', String(body.length + 2)]);
        res.end(body + 'ok');
      } catch (err) {
        if (!(err instanceof HttpRequestError)) throw err;
        const p = errorPage(err.status, err.title, err.text, { close: true });
        res.shouldKeepAlive = false;
        res.writeHead(p.status, p.title, p.headers);
        res.end(p.body);
      }
    })();
  });
  srv.on('clientError', (err: Error & { code?: string }, socket) => {
    const text = clientErrorText(err);
    if (text !== undefined && socket.writable) socket.end(text, 'latin1');
    else socket.destroy();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }));
  return (srv.address() as net.AddressInfo).port;
}

function raw(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    s.on('end', () => resolve(got));
    s.on('close', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(5000, () => { s.destroy(); resolve(got); });
    s.write(data);
  });
}

t.test('limits and malformed HTTP get 4xx/5xx pages', async (t) => {
  const port = await server(t);
  const status = (s: string): string => /^HTTP\/1\.1 (\d{3} [^\r]*)\r\n/.exec(s)?.[1] ?? `(no status) ${JSON.stringify(s.slice(0, 80))}`;
  t.equal(status(await raw(port, 'GET /rawman HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')), '200 OK', 'control');
  t.equal(status(await raw(port, `GET /rawman?${'a'.repeat(300)} HTTP/1.1\r\nHost: x\r\n\r\n`)), '414 URI Too Long');
  t.equal(status(await raw(port, `GET /rawman HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(3000)}\r\n\r\n`)), '431 Request Header Fields Too Large');
  t.equal(status(await raw(port, 'GET /rawman HTTP/1.1\r\nHost: x\r\n' + Array.from({ length: 11 }, (_, i) => `X-${i}: 1\r\n`).join('') + '\r\n')),
    '413 Request Entity Too Large');
  t.equal(status(await raw(port, 'PUT /rawman HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n')), '501 Not Implemented');
  t.equal(status(await raw(port, `POST /rawman HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n${'c'.repeat(100)}`)),
    '413 Request Entity Too Large', 'declared too large');
  t.equal(status(await raw(port, `POST /rawman HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n${'d'.repeat(80)}\r\n0\r\n\r\n`)),
    '413 Request Entity Too Large', 'chunked body counted as it arrives');
  t.equal(status(await raw(port, 'GARBAGE\r\n\r\n')), '400 Bad Request');
  const small = await raw(port, 'POST /rawman HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello');
  t.match(small, /\r\n\r\nhellook$/, 'a body within the limit is read whole');
});

t.test('checkRequestHead by itself', async (t) => {
  const head = (o: Partial<{ method: string; url: string; headers: http.IncomingHttpHeaders; rawHeaders: string[] }>) =>
    ({ method: 'GET', url: '/rawman', headers: {}, rawHeaders: [], ...o });
  t.doesNotThrow(() => checkRequestHead(head({}), LIMITS));
  const thrown = (fn: () => void): unknown => { try { fn(); } catch (e) { return e; } return undefined; };
  t.match(thrown(() => checkRequestHead(head({ url: '' }), LIMITS)), { status: 400 });
  t.match(thrown(() => checkRequestHead(head({ headers: { 'content-length': '12x' } }), LIMITS)), { status: 400, text: 'Invalid Content-Length in request!' });
  t.match(thrown(() => checkRequestHead(head({ headers: { 'transfer-encoding': 'gzip' } }), LIMITS)), { status: 501, title: 'Unimplemented' });
  t.match(thrown(() => checkRequestHead(head({ method: 'DELETE' }), LIMITS)), { status: 501 });
});

t.test('clientErrorText', async (t) => {
  t.equal(clientErrorText(Object.assign(new Error('x'), { code: 'ECONNRESET' })), undefined);
  const s = clientErrorText(Object.assign(new Error('x'), { code: 'HPE_HEADER_OVERFLOW' }))!;
  t.match(s, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  t.match(s, /\r\nConnection: close\r\n/);
  t.equal(headText(200, 'OK', ['A', 'b']), 'HTTP/1.1 200 OK\r\nA: b\r\n\r\n');
});
