// src/http/params.ts: query/form decoding, which source a method reads, and
// the AMI message the parameters become.

import t from 'tap';
import { decodeComponent, paramsToMessage, parseForm, requestParams, isFormContentType, paramValue, MAX_PARAMS } from '../../../src/http/params.js';
import { matchRoute } from '../../../src/http/routes.js';
import { HttpRequestError } from '../../../src/errors.js';

t.test('decodeComponent: + is a space, %XX a byte, a NUL ends the value, bad escapes stay', async (t) => {
  t.equal(decodeComponent('core+show%20uptime'), 'core show uptime');
  t.equal(decodeComponent('a%2Bb'), 'a+b');
  t.equal(decodeComponent('%e9t%C3%A9'), '\xe9t\xc3\xa9', 'bytes as latin1 chars');
  t.equal(decodeComponent('100%'), '100%');
  t.equal(decodeComponent('%zz%4'), '%zz%4');
  t.equal(decodeComponent('ab%00cd'), 'ab');
});

t.test('parseForm keeps order and repeated names; empty names are left out', async (t) => {
  t.same(parseForm('action=originate&Variable=a%3D1&Variable=b=2&flag&&=x'), [
    { name: 'action', value: 'originate' },
    { name: 'Variable', value: 'a=1' },
    { name: 'Variable', value: 'b=2' },
    { name: 'flag', value: '' },
  ]);
  t.same(parseForm(''), []);
});

t.test('requestParams: GET from the query, POST only from a form body', async (t) => {
  t.same(requestParams({ method: 'GET', target: '/rawman?action=ping&actionid=a+1' }),
    [{ name: 'action', value: 'ping' }, { name: 'actionid', value: 'a 1' }]);
  t.same(requestParams({ method: 'POST', target: '/rawman?action=command&command=x', contentType: 'application/x-www-form-urlencoded; charset=UTF-8', body: 'action=ping' }),
    [{ name: 'action', value: 'ping' }], 'the query of a POST is ignored');
  t.same(requestParams({ method: 'POST', target: '/rawman?action=ping', contentType: 'application/json', body: 'action=ping' }), [],
    'a body of another type gives no parameters');
  t.same(requestParams({ method: 'post', target: '/rawman', contentType: undefined, body: 'action=ping' }), []);
  t.ok(isFormContentType('Application/X-WWW-Form-Urlencoded'));
  t.notOk(isFormContentType('multipart/form-data'));
});

t.test('paramsToMessage: name: value lines in order; injection refused; excess flagged', async (t) => {
  const msg = paramsToMessage(parseForm('action=Originate&Variable=a=1&Variable=b=2&ActionID=x'));
  t.same(msg.lines, ['action: Originate', 'Variable: a=1', 'Variable: b=2', 'ActionID: x']);
  t.equal(msg.get('Action'), 'Originate');
  t.same(msg.getAll('variable'), ['a=1', 'b=2']);
  t.equal(msg.fault, undefined);
  for (const bad of ['action=ping%0D%0AAction:%20Command', 'act%3Aion=ping', 'x%0A=1']) {
    t.throws(() => paramsToMessage(parseForm(bad)), HttpRequestError, bad);
  }
  const many = paramsToMessage(Array.from({ length: MAX_PARAMS + 1 }, (_, i) => ({ name: `h${i}`, value: 'v' })));
  t.equal(many.lines.length, MAX_PARAMS);
  t.equal(many.fault, 'too-many-lines');
  t.equal(paramValue(parseForm('Action=a&action=b'), 'ACTION'), 'a');
});

t.test('matchRoute: the six routes, case-insensitive, optional prefix and trailing slash', async (t) => {
  t.same(matchRoute('/rawman'), { format: 'rawman', digest: false });
  t.same(matchRoute('/MXML/'), { format: 'mxml', digest: false });
  t.same(matchRoute('/amanager'), { format: 'manager', digest: true });
  t.same(matchRoute('/arawman'), { format: 'rawman', digest: true });
  t.equal(matchRoute('/rawman/x'), undefined);
  t.equal(matchRoute('/rawmanx'), undefined);
  t.equal(matchRoute('/static/rawman'), undefined);
  t.same(matchRoute('/asterisk/rawman', 'asterisk'), { format: 'rawman', digest: false });
  t.equal(matchRoute('/rawman', 'asterisk'), undefined);
});
