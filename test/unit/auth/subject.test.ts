// RFC 4514 subjects for certificate binding (auth/subject.ts).

import t from 'tap';
import { escapeRdnValue, formatSubject, normalizeSubject } from '../../../src/auth/subject.js';
import { certificateMatches } from '../../../src/auth/authenticator.js';

t.test('escapeRdnValue: RFC 4514 2.4', async (t) => {
  t.equal(escapeRdnValue('crm'), 'crm');
  t.equal(escapeRdnValue('crm,O=Example'), 'crm\\,O=Example');
  t.equal(escapeRdnValue('a+b;c<d>e"f\\g'), 'a\\+b\\;c\\<d\\>e\\"f\\\\g');
  t.equal(escapeRdnValue(' lead'), '\\ lead');
  t.equal(escapeRdnValue('#lead'), '\\#lead');
  t.equal(escapeRdnValue('trail '), 'trail\\ ');
  t.equal(escapeRdnValue('nul\0'), 'nul\\00');
  t.equal(escapeRdnValue('mid # and = stay'), 'mid # and = stay');
});

t.test('formatSubject: a CN with separators cannot look like more attributes', async (t) => {
  const crafted = formatSubject({ CN: 'crm,O=Example', O: 'Acme' } as never);
  const real = formatSubject({ CN: 'crm', O: ['Example', 'Acme'] } as never);
  t.equal(crafted, 'CN=crm\\,O=Example,O=Acme');
  t.equal(real, 'CN=crm,O=Example,O=Acme', 'a repeated type prints as separate attributes');
  t.not(crafted, real);
  t.equal(formatSubject({ CN: 'x+OU=y' } as never), 'CN=x\\+OU=y');
  t.equal(formatSubject(undefined), undefined);
});

t.test('normalizeSubject: the config side in the same form', async (t) => {
  t.equal(normalizeSubject('CN=crm,O=Example'), 'CN=crm,O=Example');
  t.equal(normalizeSubject('cn=crm, o=Example'), 'CN=crm,O=Example', 'type case and blanks after commas');
  t.equal(normalizeSubject('CN = crm , O = Example'), 'CN=crm,O=Example', 'blanks around = and ,');
  t.equal(normalizeSubject('CN=crm\\,O=Example'), 'CN=crm\\,O=Example', 'one CN with a comma');
  t.equal(normalizeSubject('CN=crm\\2CO\\3DExample'), 'CN=crm\\,O=Example', 'hex escapes');
  t.equal(normalizeSubject('CN=caf\\C3\\A9'), 'CN=café', 'hex escapes are UTF-8');
  t.equal(normalizeSubject('CN=trail\\ '), 'CN=trail\\ ', 'an escaped trailing blank is kept');
  t.equal(normalizeSubject('CN=a+OU=b'), 'CN=a,OU=b', 'a multi-valued RDN compares like separate attributes (Node lists them so)');
  t.equal(normalizeSubject('1.2.840.113549.1.9.1=x'), '1.2.840.113549.1.9.1=x', 'dotted OIDs');
  for (const bad of ['', 'crm', 'CN=x\\', '=x', 'C N=x']) t.equal(normalizeSubject(bad), undefined, JSON.stringify(bad));
  // Round trip: every formatted subject normalises to itself.
  for (const v of ['crm', 'crm,O=Example', ' a ', '#x', 'a\\b', 'q"r', 'x+y', 'caf\u00e9']) {
    const f = formatSubject({ CN: v, O: 'Acme' } as never)!;
    t.equal(normalizeSubject(f), f, `round trip ${JSON.stringify(v)}`);
  }
});

t.test('certificateMatches compares normalised subjects', async (t) => {
  const peer = (subject: string) => ({ authorized: true, subject, fingerprint256: undefined });
  const crafted = formatSubject({ CN: 'crm,O=Example', O: 'Acme' } as never)!;
  t.notOk(certificateMatches({ subject: 'CN=crm,O=Example,O=Acme' }, peer(crafted)), 'the crafted CN does not pass as CN=crm');
  t.ok(certificateMatches({ subject: 'CN=crm\\,O=Example,O=Acme' }, peer(crafted)));
  t.ok(certificateMatches({ subject: 'cn=crm, o=Example' }, peer('CN=crm,O=Example')));
  t.notOk(certificateMatches({ subject: 'CN=crm' }, { authorized: true, subject: undefined, fingerprint256: undefined }));
});
