// The WebSocket Origin check (http/origin.ts): no Origin, the listener's own,
// or a listed one; everything else refused.

import t from 'tap';
import { OriginCheck, normalizeOrigin } from '../../../src/http/origin.js';

t.test('normalizeOrigin', async (t) => {
  t.equal(normalizeOrigin('https://Ops.Example.COM:443'), 'https://ops.example.com');
  t.equal(normalizeOrigin('http://ops.example.com:80'), 'http://ops.example.com');
  t.equal(normalizeOrigin('http://127.0.0.1:8088'), 'http://127.0.0.1:8088');
  t.equal(normalizeOrigin('https://[::1]:8443'), 'https://[::1]:8443');
  for (const bad of ['null', '', 'ops.example.com', 'file:///x', 'ws://a', 'https://a/path', 'https://u:p@a', 'https://a?x', 'https://a#x', 'javascript:alert(1)']) {
    t.equal(normalizeOrigin(bad), undefined, bad);
  }
});

t.test('default: no Origin or the listener\'s own origin only', async (t) => {
  const plain = new OriginCheck({ origins: [], tls: false });
  t.ok(plain.allows(undefined, '127.0.0.1:8088'), 'no Origin: not a browser');
  t.ok(plain.allows('http://127.0.0.1:8088', '127.0.0.1:8088'));
  t.ok(plain.allows('http://LOCALHOST:8088', 'localhost:8088'));
  t.notOk(plain.allows('https://127.0.0.1:8088', '127.0.0.1:8088'), 'another scheme is another origin');
  t.notOk(plain.allows('http://127.0.0.1:8089', '127.0.0.1:8088'), 'another port');
  t.notOk(plain.allows('http://evil.example', '127.0.0.1:8088'));
  t.notOk(plain.allows('null', '127.0.0.1:8088'));
  t.notOk(plain.allows('http://127.0.0.1:8088', undefined), 'no Host to compare with');
  t.notOk(plain.allows('http://127.0.0.1:8088', ''));
  t.notOk(plain.allows('http://evil.example', 'evil.example/x'), 'a Host that is no host');
  const secure = new OriginCheck({ origins: [], tls: true });
  t.ok(secure.allows('https://pbx.example.com', 'pbx.example.com:443'));
  t.notOk(secure.allows('http://pbx.example.com', 'pbx.example.com'));
});

t.test('an allowlist, and *', async (t) => {
  const c = new OriginCheck({ origins: ['https://ops.example.com', 'http://localhost:3000'], tls: true });
  t.ok(c.allows('https://ops.example.com', 'pbx:8443'));
  t.ok(c.allows('https://OPS.example.com:443', 'pbx:8443'));
  t.ok(c.allows('http://localhost:3000', 'pbx:8443'));
  t.notOk(c.allows('https://ops.example.com.evil.example', 'pbx:8443'));
  t.notOk(c.allows('https://evil.example', 'pbx:8443'));
  const any = new OriginCheck({ origins: ['*'], tls: false });
  t.ok(any.allows('https://anything.example', 'x'));
  t.ok(any.allows('null', 'x'));
});
