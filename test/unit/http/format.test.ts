// src/http/format.ts and response.ts against the real Asterisk 22 HTTP captures
// (15-http-rawman.*): the body each format writes for the AMI text the action
// produced, and the response head, byte for byte.

import t from 'tap';
import { loadTranscript, stream } from '../../helpers/transcripts.js';
import { renderBody, renderMessages, xmlTranslate, xmlEscape } from '../../../src/http/format.js';
import { amiHead, errorPage, headText, unauthorizedPage } from '../../../src/http/response.js';
import { requestParams } from '../../../src/http/params.js';
import { matchRoute } from '../../../src/http/routes.js';
import { AmiMessage } from '../../../src/protocol/message.js';

/** [request target, response head text, response body] of one capture. */
function capture(name: string): { target: string; head: string; body: string } {
  const recs = loadTranscript(name);
  const req = stream(recs, 'c2s');
  const res = stream(recs, 's2c');
  const split = res.indexOf('\r\n\r\n') + 4;
  return { target: /^GET (\S+) /.exec(req)![1]!, head: res.slice(0, split), body: res.slice(split) };
}

const AMI_TEXT: Record<string, string> = {
  '15-http-rawman.04-mxml-ping.jsonl': 'Response: Success\r\nActionID: hp2\r\nPing: Pong\r\nTimestamp: 1795327058.006381\r\n\r\n',
  '15-http-rawman.05-manager-ping.jsonl': 'Response: Success\r\nPing: Pong\r\nTimestamp: 1795327058.006851\r\n\r\n',
  '15-http-rawman.08-mxml-queuestatus.jsonl':
    'Response: Success\r\nEventList: start\r\nMessage: Queue status will follow\r\n\r\n' +
    'Event: QueueParams\r\nQueue: testq\r\nMax: 0\r\nStrategy: ringall\r\nCalls: 0\r\nHoldtime: 0\r\nTalkTime: 0\r\nCompleted: 0\r\nAbandoned: 1\r\nServiceLevel: 0\r\nServicelevelPerf: 0.0\r\nServicelevelPerf2: 0.0\r\nWeight: 0\r\n\r\n' +
    'Event: QueueMember\r\nQueue: testq\r\nName: TestMember\r\nLocation: Local/600@test/n\r\nStateInterface: Local/600@test/n\r\nMembership: static\r\nPenalty: 0\r\nCallsTaken: 0\r\nLastCall: 0\r\nLastPause: 0\r\nLoginTime: 1795326930\r\nInCall: 0\r\nStatus: 1\r\nPaused: 0\r\nPausedReason: \r\nWrapuptime: 0\r\n\r\n' +
    'Event: QueueStatusComplete\r\nEventList: Complete\r\nListItems: 2\r\n\r\n',
};

t.test('mxml and manager bodies are byte-identical to the captures', async (t) => {
  for (const [file, text] of Object.entries(AMI_TEXT)) {
    const c = capture(file);
    const route = matchRoute(c.target.split('?')[0]!)!;
    const params = requestParams({ method: 'GET', target: c.target });
    t.equal(renderBody(route.format, text, params), c.body, file);
  }
});

t.test('rawman bodies are the AMI text itself', async (t) => {
  for (const n of ['01-rawman-login', '02-rawman-ping-cookie', '06-rawman-coreshowchannels', '07-rawman-command', '11-rawman-bad-login']) {
    const c = capture(`15-http-rawman.${n}.jsonl`);
    t.equal(renderBody('rawman', c.body, []), c.body);
  }
});

t.test('the response head is Asterisk\'s, field for field', async (t) => {
  const c = capture('15-http-rawman.04-mxml-ping.jsonl');
  const date = new Date(Date.UTC(2026, 10, 22, 5, 57, 38));
  const head = amiHead({
    format: 'mxml', serverName: 'Asterisk/GIT-22-22.0.0-pre1-541-g69535d4837', date, close: true,
    setCookie: 'mansession_id="6bbd5858"; Version=1; Max-Age=60',
  }, c.body.length);
  t.equal(headText(200, 'OK', head), c.head);
  const digest = amiHead({ format: 'rawman', date, close: false, digest: true, setCookie: 'x' }, 5);
  t.same(digest, ['Date', 'Sun, 22 Nov 2026 05:57:38 GMT', 'Cache-Control', 'no-cache, no-store', 'Content-type', 'text/plain', 'Content-Length', '5'],
    'digest answers have no Set-Cookie and no Pragma; no Server line without a name; no Connection when kept open');
});

t.test('repeated keys, escaping, trimming, opaque data', async (t) => {
  const text = 'Response: Success\r\nMessage: Command output follows\r\nOutput: a <b> & "c" \'d\'   \r\nOutput: \r\nOutput: e\r\n\r\n' +
    'Event: X\r\nOutput: again\r\n\r\n';
  t.equal(xmlTranslate(text, [], 'mxml'),
    "<response type='object' id='unknown'><generic response='Success' message='Command output follows' " +
    "output='a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;' output-2='' output-3='e' /></response>\n" +
    "<response type='object' id='unknown'><generic event='X' output='again' /></response>\n",
    'counts restart per message');
  t.equal(xmlTranslate('Response: Success\r\nOutput: 1\r\nOutput: 2\r\n\r\n', [], 'manager'),
    '<tr><td>Response</td><td>Success</td></tr>\n<tr><td>Output</td><td>1</td></tr>\n<tr><td>Output-2</td><td>2</td></tr>\n' +
    '<tr><td colspan="2"><hr></td></tr>\r\n');
  t.equal(xmlEscape('Some-Key.x', 3), 'some_key_x');
  t.equal(xmlTranslate('Response: Follows\r\nline one\r\nline two\r\n\r\n', [], 'mxml'),
    "<response type='object' id='unknown'><generic response='Follows' opaque_data='line one\nline two' /></response>\n");
  t.equal(xmlTranslate('', [], 'mxml'), '');
  t.equal(renderBody('mxml', '', []), '<ajax-response>\n</ajax-response>\n');
});

t.test('ajaxdest/ajaxobjtype: used, last one wins, escaped unless told not to', async (t) => {
  const params = [{ name: 'ajaxdest', value: 'a' }, { name: 'AjaxDest', value: "b'><x" }, { name: 'ajaxobjtype', value: 'obj' }];
  t.equal(xmlTranslate('K: v\r\n\r\n', params, 'mxml'), "<response type='object' id='b&apos;&gt;&lt;x'><obj k='v' /></response>\n");
  t.equal(xmlTranslate('K: v\r\n\r\n', params, 'mxml', false), "<response type='object' id='b'><x'><obj k='v' /></response>\n", 'as Asterisk');
});

t.test('renderMessages joins messages in order; digest HTML page', async (t) => {
  const msgs = [AmiMessage.from([['Response', 'Success'], ['Message', 'm']]), 'Event: E\r\n\r\n'];
  t.equal(renderMessages('rawman', msgs, []), 'Response: Success\r\nMessage: m\r\n\r\nEvent: E\r\n\r\n');
  const page = renderMessages('manager', msgs, [], { digest: true });
  t.match(page, /^<!DOCTYPE HTML PUBLIC "-\/\/IETF\/\/DTD HTML 2.0\/\/EN">\r\n<html><head>\r\n/);
  t.match(page, /<tr><td>Event<\/td><td>E<\/td><\/tr>\n<tr><td colspan="2"><hr><\/td><\/tr>\r\n<\/table><\/form><\/body><\/html>\r\n$/);
});

t.test('error pages are ast_http_create_response()', async (t) => {
  const p = errorPage(404, 'Not Found', 'The requested URL was not found on this server.', { close: true, serverName: 'a<b', date: new Date(0) });
  t.equal(p.body, '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n<html><head>\r\n<title>404 Not Found</title>\r\n</head><body>\r\n' +
    '<h1>Not Found</h1>\r\n<p>The requested URL was not found on this server.</p>\r\n<hr />\r\n<address>a&lt;b</address>\r\n</body></html>\r\n');
  t.same(p.headers.slice(0, 8), ['Server', 'a<b', 'Date', 'Thu, 01 Jan 1970 00:00:00 GMT', 'Connection', 'close', 'Cache-Control', 'no-cache, no-store']);
  t.same(p.headers.slice(-4), ['Content-type', 'text/html', 'Content-Length', String(p.body.length)]);
  const u = unauthorizedPage('Digest x', { close: false });
  t.equal(u.status, 401);
  t.same(u.headers.slice(-6), ['WWW-authenticate', 'Digest x', 'Content-type', 'text/html', 'Content-Length', String(u.body.length)]);
  t.match(u.body, /<p><\/p>/);
});
