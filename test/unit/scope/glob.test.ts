import t from 'tap';
import { compileGlob, globMatch } from '../../../src/scope/glob.js';

t.test('* and ? wildcards, everything else literal', async (t) => {
  t.ok(globMatch('PJSIP/acme-*', 'PJSIP/acme-100-00000001'));
  t.ok(globMatch('Local/*@acme-*', 'Local/100@acme-internal-0000000a;1'));
  t.notOk(globMatch('Local/*@acme-*', 'Local/100@globex-internal-0000000a;1'));
  t.ok(globMatch('a?c', 'abc'));
  t.notOk(globMatch('a?c', 'ac'));
  t.ok(globMatch('*', ''));
  t.notOk(globMatch('a.c', 'abc'), 'a dot is literal, not a regex');
  t.notOk(globMatch('PJSIP/acme', 'PJSIP/acme-100'), 'no implicit prefix match (AstManProxy compares prefixes)');
});

t.test('case: channels case-insensitive, contexts exact', async (t) => {
  t.ok(compileGlob('PJSIP/acme-*', true).matches('pjsip/ACME-1'));
  t.notOk(compileGlob('acme-internal', false).matches('ACME-internal'));
  t.ok(compileGlob('acme-internal', false).matches('acme-internal'));
});

t.test('hostile input stays fast (no backtracking blow-up)', async (t) => {
  const p = '*a*a*a*a*a*a*a*a*a*a*b';
  const v = 'a'.repeat(5000);
  const t0 = performance.now();
  t.notOk(globMatch(p, v));
  t.ok(performance.now() - t0 < 2000);
});

t.test('GlobIndex finds exactly the patterns a brute-force match finds', async (t) => {
  const { GlobIndex } = await import('../../../src/scope/glob.js');
  const patterns = ['PJSIP/acme-*', 'Local/*@acme-*', '*-trunk', 'PJSIP/acme-1?', 'PJSIP/a*', 'exact', '', 'P?SIP/x', 'pjsip/ACME-2*'];
  for (const ci of [true, false]) {
    const idx = new GlobIndex(ci);
    patterns.forEach((p, i) => idx.add(i, p));
    for (const v of ['PJSIP/acme-100', 'pjsip/acme-12', 'Local/1@acme-x;1', 'SIP/x-trunk', 'exact', 'EXACT', 'PJSIP/x', 'PxSIP/x', 'PJSIP/ACME-2', 'nothing', 'PJSIP/a']) {
      const got = new Set<number>();
      idx.collect(v, got);
      const want = patterns.map((p, i) => [p, i] as const).filter(([p]) => p !== '' && compileGlob(p, ci).matches(v)).map(([, i]) => i);
      t.same([...got].sort(), want.sort(), `${ci ? 'ci' : 'cs'} ${v}`);
    }
  }
});
