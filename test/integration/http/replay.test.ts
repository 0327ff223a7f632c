// "A web panel written for Asterisk's /rawman works unchanged when pointed at
// amigate": the 15-http-rawman captures of a real Asterisk 22 (login, ping with
// and without the cookie, /mxml, /manager, CoreShowChannels, Command,
// QueueStatus, logoff, use after logoff, bad login) replayed byte for byte
// through amigate's HTTP listener in front of the simulated Asterisk. Answers
// must equal the captured ones after normalising dates, uptimes and the
// cookie value, and after taking away the cookie attributes amigate adds on
// purpose (HttpOnly, SameSite=Strict: docs/http.md).

import t from 'tap';
import net from 'node:net';
import { loadTranscript, transcriptNames, type Record as Rec } from '../../helpers/transcripts.js';
import { normaliseHttp, replayHttp, splitHttp } from '../../helpers/http-replay.js';
import { startProxy, UPSTREAM_USER } from '../../helpers/start-proxy.js';

const SERVER = 'Asterisk/GIT-22-22.0.0-pre1-541-g69535d4837';

/** 08's QueueParams shows `Abandoned: 1`: a queue caller hung up on that Asterisk before (as in the sim conformance test). */
async function abandonOneQueueCaller(port: number): Promise<void> {
  const s = net.connect(port, '127.0.0.1');
  let text = '';
  s.on('data', (d: Buffer) => { text += d.toString('latin1'); });
  await new Promise<void>((resolve) => s.once('connect', resolve));
  s.write(`Action: Login\r\nUsername: ${UPSTREAM_USER.name}\r\nSecret: ${UPSTREAM_USER.secret}\r\n\r\n` +
    'Action: Originate\r\nChannel: Local/300@test\r\nApplication: Wait\r\nData: 1\r\nAsync: true\r\n\r\n');
  const deadline = Date.now() + 5000;
  while (!/Event: QueueCallerAbandon\r\n/.test(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  s.destroy();
}

t.test('15-http-rawman through amigate equals Asterisk 22', async (t) => {
  const h = await startProxy(t, {
    sim: { systemName: 'amiref' },
    users: { admin: { secret: 'adminpw', read: 'all', write: 'all' } },
    listeners: [{ name: 'web', protocol: 'http', servername: SERVER }],
  });
  await abandonOneQueueCaller(h.sim.port);
  const conns: Array<{ file: string; records: Rec[] }> = transcriptNames()
    .filter((f) => f.startsWith('15-http-rawman.'))
    .map((file) => ({ file, records: loadTranscript(file) }));
  t.equal(conns.length, 11, 'every capture');
  const cookies = new Map<string, string>();
  const exchanges = await replayHttp(h.portOf('web'), conns, cookies);
  t.equal(new Set(cookies.values()).size, cookies.size, 'each captured session has its own amigate session');
  for (const id of cookies.values()) t.match(id, /^[0-9a-f]{32}$/, 'amigate cookies are 128 bits');
  for (const x of exchanges) {
    t.test(x.file, async (t) => {
      let want = x.want;
      for (const [w, g] of cookies) want = want.replaceAll(`mansession_id="${w}"`, `mansession_id="${g}"`);
      const got = splitHttp(x.got);
      const exp = splitHttp(want);
      t.match(got.head, /^Set-Cookie: mansession_id="[0-9a-f]{32}"; Version=1; Max-Age=60; HttpOnly; SameSite=Strict\r$/m, 'the cookie is HttpOnly and SameSite=Strict (no Secure on plain HTTP)');
      const head = got.head.replace('; HttpOnly; SameSite=Strict\r\n', '\r\n');
      t.equal(normaliseHttp(head), normaliseHttp(exp.head), 'status line and headers, in order');
      t.equal(normaliseHttp(got.body), normaliseHttp(exp.body), 'body');
      t.equal(/^Content-Length: (\d+)\r$/m.exec(got.head)?.[1], String(Buffer.byteLength(got.body, 'latin1')), 'Content-Length is the body length');
      t.equal(x.gotEof, x.wantEof, 'the connection closes (Connection: close)');
      if (x.wantMs >= 900) t.ok(x.gotMs >= 900, `answered after the login-failure delay (${x.gotMs} ms)`);
    });
  }
});
