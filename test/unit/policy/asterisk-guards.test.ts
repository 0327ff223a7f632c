import t from 'tap';
import { functionStringAllowed, isBlacklistedCommand, originateAppPermitted, separateAppArgs, splitCliWords } from '../../../src/policy/asterisk-guards.js';

const SYSTEM = 1;
const AGI = 1 << 13;
const CALL = 2;

t.test('splitCliWords follows main/cli.c parse_args()', async (t) => {
  t.same(splitCliWords('core show channels'), ['core', 'show', 'channels']);
  t.same(splitCliWords('  core\t show  '), ['core', 'show']);
  t.same(splitCliWords('a "b c" d'), ['a', 'b c', 'd']);
  t.same(splitCliWords('a""b'), ['ab']);
  t.same(splitCliWords('""'), [''], 'an empty quoted word is still a word');
  t.same(splitCliWords('a\\ b'), ['a b']);
  t.same(splitCliWords('end\\'), ['end\\'], 'a trailing backslash stays');
  t.same(splitCliWords(''), []);
});

t.test('separateAppArgs follows ast_app_separate_args()', async (t) => {
  t.same(separateAppArgs('a,b,,d'), ['a', 'b', '', 'd']);
  t.same(separateAppArgs('a,(b,c),[d,e],"f,g",h\\,i'), ['a', '(b,c)', '[d,e]', 'f,g', 'h,i']);
  t.same(separateAppArgs('a)b,c]d'), ['a)b', 'c]d'], 'unbalanced closers do not go negative');
  t.same(separateAppArgs(''), ['']);
});

t.test('originateAppPermitted', async (t) => {
  t.ok(originateAppPermitted('', '${SHELL(x)}', 0), 'no application: nothing to check');
  t.notOk(originateAppPermitted('AGI', '', CALL));
  t.ok(originateAppPermitted('AGI', '', SYSTEM));
  t.notOk(originateAppPermitted('Queue', 'q,,,,,x', CALL));
  t.ok(originateAppPermitted('Queue', 'q,,,,,x', AGI));
  t.ok(originateAppPermitted('Queue', '', CALL));
  t.notOk(originateAppPermitted('Dial', 'PJSIP/1,,U(sub^${DB(x)})', CALL));
});

t.test('functionStringAllowed and the Command blacklist', async (t) => {
  t.notOk(functionStringAllowed('${SHELL(id)}', CALL));
  t.ok(functionStringAllowed('${SHELL(id)}', SYSTEM | CALL));
  t.ok(functionStringAllowed('shell eval', CALL), 'case-sensitive, as strstr()');
  t.ok(isBlacklistedCommand(['Module', 'Load', 'x']));
  t.ok(isBlacklistedCommand(['restart', 'GRACEFULLY']));
  t.notOk(isBlacklistedCommand(['module']));
  t.notOk(isBlacklistedCommand(['module', 'show']));
  t.notOk(isBlacklistedCommand([]));
});
