// src/http/session-store.ts: 128-bit ids, idle expiry with the hook, holds,
// the bound with eviction of unauthenticated sessions, cookie parsing and the
// Set-Cookie attributes.

import t from 'tap';
import { HttpSessionStore, cookieSessionId, setCookieValue, type HttpSession, type HttpSessionEndReason } from '../../../src/http/session-store.js';

function store(opts: { max?: number; idle?: number } = {}) {
  let now = 1_000_000;
  const ended: Array<[string, HttpSessionEndReason]> = [];
  const s = new HttpSessionStore<{ n: number }>({
    idleTimeoutMs: opts.idle ?? 60_000, maxSessions: opts.max ?? 10, sweepIntervalMs: 0,
    now: () => now, onExpire: (x, r) => ended.push([x.id, r]),
  });
  return { s, ended, advance: (ms: number) => { now += ms; } };
}

t.test('ids are 32 hex digits (128 bits), distinct, and looked up by kind', async (t) => {
  const { s } = store({ max: 1000 });
  const ids = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const x = s.create('cookie', { n: i })!;
    t.match(x.id, /^[0-9a-f]{32}$/);
    ids.add(x.id);
    s.markAuthenticated(x);
  }
  t.equal(ids.size, 200);
  const d = s.create('digest', { n: -1 })!;
  t.equal(s.get(d.id, 'cookie'), undefined, 'a digest session is never found by its id as a cookie');
  t.equal(s.get(d.id, 'digest'), d);
  t.equal(s.get('6bbd5858', 'cookie'), undefined, 'an Asterisk-style id is not even looked up');
  t.equal(s.get(undefined, 'cookie'), undefined);
});

t.test('idle expiry: authenticated after httptimeout, unauthenticated after 5 s, hook called once', async (t) => {
  const { s, ended, advance } = store();
  const a = s.create('cookie', { n: 1 })!;
  s.markAuthenticated(a);
  const u = s.create('cookie', { n: 2 })!;
  advance(4999);
  t.equal(s.get(u.id, 'cookie'), u);
  advance(1);
  t.equal(s.get(u.id, 'cookie'), undefined, 'unauthenticated: 5 s');
  t.same(ended, [[u.id, 'idle']]);
  advance(50_000);
  s.touch(a);
  advance(59_999);
  s.sweep();
  t.equal(s.get(a.id, 'cookie'), a, 'touch restarts the idle clock');
  advance(1);
  s.sweep();
  t.equal(s.size, 0);
  t.same(ended, [[u.id, 'idle'], [a.id, 'idle']]);
  s.sweep();
  t.equal(ended.length, 2, 'never twice');
});

t.test('a held session (a long poll) does not expire; release restarts the clock', async (t) => {
  const { s, ended, advance } = store();
  const a = s.create('cookie', { n: 1 })!;
  s.markAuthenticated(a);
  s.hold(a);
  advance(120_000);
  s.sweep();
  t.equal(s.get(a.id, 'cookie'), a);
  s.release(a);
  advance(59_000);
  s.sweep();
  t.equal(s.get(a.id, 'cookie'), a);
  advance(1000);
  s.sweep();
  t.same(ended, [[a.id, 'idle']]);
});

t.test('bounded: the oldest unauthenticated session is evicted; full of logged-in ones refuses', async (t) => {
  const { s, ended } = store({ max: 3 });
  const a = s.create('cookie', { n: 1 })!;
  s.markAuthenticated(a);
  const u1 = s.create('cookie', { n: 2 })!;
  const u2 = s.create('cookie', { n: 3 })!;
  const b = s.create('cookie', { n: 4 })!;
  t.same(ended, [[u1.id, 'evicted']]);
  s.markAuthenticated(b);
  const c = s.create('cookie', { n: 5 })!;
  t.same(ended, [[u1.id, 'evicted'], [u2.id, 'evicted']]);
  s.markAuthenticated(c);
  t.equal(s.create('cookie', { n: 6 }), undefined, 'no room and nothing to evict');
  t.equal(s.size, 3);
  s.end(a);
  t.equal(ended.length, 2, 'end() by the owner does not call the hook');
  t.ok(s.create('cookie', { n: 7 }));
  s.close();
  t.same(ended.slice(2).map((e) => e[1]), ['shutdown', 'shutdown', 'shutdown']);
});

t.test('the sweep timer expires sessions on its own and close() stops it', async (t) => {
  const ended: HttpSession<number>[] = [];
  const s = new HttpSessionStore<number>({ idleTimeoutMs: 30, sweepIntervalMs: 10, onExpire: (x) => ended.push(x) });
  t.teardown(() => s.close());
  s.create('cookie', 1);
  const deadline = Date.now() + 5000;
  while (ended.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.equal(ended.length, 1);
});

t.test('cookieSessionId: Asterisk parse_cookies(), quotes stripped, last one wins', async (t) => {
  t.equal(cookieSessionId('mansession_id="6bbd5858"'), '6bbd5858');
  t.equal(cookieSessionId('a=1; mansession_id=abc ; b="2"'), 'abc');
  t.equal(cookieSessionId('mansession_id="x"; mansession_id="y"'), 'y');
  t.equal(cookieSessionId(['a=1', 'mansession_id=z']), 'z');
  t.equal(cookieSessionId('mansession_id=""; other=1'), undefined);
  t.equal(cookieSessionId(undefined), undefined);
});

t.test('Set-Cookie: Asterisk\'s value plus HttpOnly, SameSite=Strict, Secure on TLS', async (t) => {
  t.equal(setCookieValue('ab', { maxAgeSeconds: 60, secure: false }), 'mansession_id="ab"; Version=1; Max-Age=60; HttpOnly; SameSite=Strict');
  t.equal(setCookieValue('ab', { maxAgeSeconds: 30, secure: true }), 'mansession_id="ab"; Version=1; Max-Age=30; HttpOnly; SameSite=Strict; Secure');
});
