// src/http/redact.ts and get-policy.ts.

import t from 'tap';
import { redactForm, redactTarget, REDACTED } from '../../../src/http/redact.js';
import { allowedThroughGet, getRefused } from '../../../src/http/get-policy.js';

t.test('secret= and key= values are redacted in any case and encoding, the rest kept byte for byte', async (t) => {
  t.equal(redactTarget('/rawman?action=login&username=admin&secret=adminpw'), `/rawman?action=login&username=admin&secret=${REDACTED}`);
  t.equal(redactTarget('/rawman?action=login&SECRET=a&Key=b&s%65cret=c&secret'), `/rawman?action=login&SECRET=${REDACTED}&Key=${REDACTED}&s%65cret=${REDACTED}&secret=${REDACTED}`);
  t.equal(redactTarget('/rawman?action=ping&secretary=x&monkey=y'), '/rawman?action=ping&secretary=x&monkey=y');
  t.equal(redactTarget('/rawman'), '/rawman');
  t.equal(redactTarget('/rawman?secret=a#frag'), `/rawman?secret=${REDACTED}#frag`);
  t.equal(redactForm('action=login&secret=p%40ss+word'), `action=login&secret=${REDACTED}`);
  t.notMatch(redactTarget('/x?secret=hunter2&key=hunter3'), /hunter/);
});

t.test('allowget: only read-only actions through GET', async (t) => {
  t.ok(allowedThroughGet('Ping'));
  t.ok(allowedThroughGet('WAITEVENT'));
  t.ok(allowedThroughGet(undefined), 'no action: the session answers Missing action');
  for (const a of ['login', 'originate', 'command', 'setvar', 'hangup', 'somethingnew']) t.notOk(allowedThroughGet(a), a);
  t.match(getRefused(), { status: 405, title: 'Method Not Allowed' });
});
