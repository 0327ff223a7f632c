import t from 'tap';
import { astStrip, parseAsteriskConf, type ParsedConf } from '../../../../src/config/manager-conf/conf-parser.js';

/** [category, [[name, value], ...]] of the non-template categories. */
function shape(p: ParsedConf): Array<[string, Array<[string, string]>]> {
  return p.categories.filter((c) => !c.template).map((c) => [c.name, c.variables.map((v) => [v.name, v.value] as [string, string])]);
}

t.test('astStrip trims every byte below 33, CR and tabs included', async (t) => {
  t.equal(astStrip(' \t a b \r\n'), 'a b');
  t.equal(astStrip('\u00a0x'), '\u00a0x', 'non-ASCII blanks are not blanks to Asterisk');
  t.equal(astStrip(''), '');
});

t.test('key/value spellings: =, =>, spacing, trailing blanks, case kept', async (t) => {
  const p = parseAsteriskConf('[u]\nA=1\nb = 2  \n\tc\t=>\tx y \nD => \n');
  t.same(shape(p), [['u', [['A', '1'], ['b', '2'], ['c', 'x y'], ['D', '']]]]);
  t.same(p.problems, []);
});

t.test('comments: ; anywhere, \\; escapes, ;-- --; blocks across lines', async (t) => {
  const text = [
    '; leading comment',
    '[u] ; after a header',
    'secret = a\\;b ; real comment',
    'x = 1 ;-- inline block --; tail',
    ';-- a block',
    'hidden = yes ; a plain comment inside the block',
    'still --; after = 2',
    ';----------- a ruler, not a block',
    'y = 3',
  ].join('\n');
  const p = parseAsteriskConf(text);
  t.same(shape(p), [['u', [['secret', 'a;b'], ['x', '1  tail'], ['after', '2'], ['y', '3']]]]);
  t.same(p.problems, []);
});

t.test('an unterminated block comment swallows the rest, with a warning', async (t) => {
  const p = parseAsteriskConf('[u]\n;-- open\na=1\n');
  t.same(shape(p), [['u', []]]);
  t.match(p.problems, [{ level: 'warning', line: 2, message: /unterminated/ }]);
});

t.test('a stray --; is reported', async (t) => {
  const p = parseAsteriskConf('[u]\na = x--; comment\n');
  t.same(shape(p), [['u', [['a', 'x']]]]);
  t.match(p.problems, [{ level: 'warning', line: 2, message: /never opened/ }]);
});

t.test('CRLF, a BOM and blank lines with blanks', async (t) => {
  const p = parseAsteriskConf('\uFEFF[u]\r\na = 1\r\n   \r\n\r\nb=2\r\n');
  t.same(shape(p), [['u', [['a', '1'], ['b', '2']]]]);
});

t.test('+= appends to the last variable of that exact name', async (t) => {
  const p = parseAsteriskConf('[u]\nread = call\nread += ,system\nnew += x\nRead += y\n');
  t.same(shape(p), [['u', [['read', 'call ,system'], ['new', 'x'], ['Read', 'y']]]], 'the appended text keeps its leading blank, as in config.c');
});

t.test('a leading backslash escapes the first character of a key', async (t) => {
  const p = parseAsteriskConf('[u]\n\\[x]=1\n\\ bad=2\n');
  t.same(shape(p), [['u', [['[x]', '1']]]]);
  t.match(p.problems, [{ level: 'error', line: 3, message: /invalid escape/ }]);
});

t.test('templates, inheritance order and (+) appends', async (t) => {
  const text = [
    '[base](!)', 'read = call', 'permit = 10.0.0.0/8',
    '[extra](!)', 'read = system',
    '[u](base,extra)', 'secret = s',
    '[v](u)', 'write = all',
    '[u](+)', 'deny = 0.0.0.0/0',
    '[BASE](!)', 'read = ignored-second-template',
    '[w](base)',
  ].join('\n');
  const p = parseAsteriskConf(text);
  t.same(shape(p), [
    ['u', [['read', 'call'], ['permit', '10.0.0.0/8'], ['read', 'system'], ['secret', 's'], ['deny', '0.0.0.0/0']]],
    ['v', [['read', 'call'], ['permit', '10.0.0.0/8'], ['read', 'system'], ['secret', 's'], ['write', 'all']]],
    ['w', [['read', 'call'], ['permit', '10.0.0.0/8']]],
  ], 'inherited variables come first, copied when the header is read; lookups are case-insensitive, first match');
  const u = p.categories.find((c) => c.name === 'u')!;
  t.same(u.inherits, ['base', 'extra']);
  t.ok(u.variables[0]!.inherited);
  t.notOk(u.variables[3]!.inherited);
  t.same(p.problems, []);
});

t.test('header errors Asterisk rejects the file for', async (t) => {
  const p = parseAsteriskConf('a = 1\n[u\n[v](nosuch)\n[w](!\n[x](+)\nlost=1\n[ok]\nb=2\n');
  t.same(p.problems.map((q) => [q.level, q.line]), [['error', 1], ['error', 2], ['error', 3], ['error', 4], ['error', 5]]);
  t.same(shape(p), [['ok', [['b', '2']]]], 'lines under a rejected header are dropped');
});

t.test('header quirks: text after ], a filter after +, long names', async (t) => {
  const long = 'n'.repeat(90);
  const p = parseAsteriskConf(`[u] (!)\na=1\n[u](+type=x)\nb=2\n[${long}]\n`);
  t.same(shape(p), [['u', [['a', '1'], ['b', '2']]], ['n'.repeat(79), []]], '"[u] (!)" is a plain section: options must follow ] directly');
  t.match(p.problems, [
    { level: 'warning', line: 1, message: /text after \[u\] ignored/ },
    { level: 'warning', line: 3, message: /filter after '\+'/ },
    { level: 'warning', line: 5, message: /truncates/ },
  ]);
});

t.test('directives are recorded, never followed', async (t) => {
  const p = parseAsteriskConf('#include manager_custom.conf\n#INCLUDE "a b.conf"\n#tryinclude <x.conf>\n#exec /usr/bin/gen-users\n#bogus x\n#include\n[u]\n');
  t.same(p.directives.map((d) => [d.name, d.argument, d.line]), [
    ['include', 'manager_custom.conf', 1], ['include', 'a b.conf', 2], ['tryinclude', 'x.conf', 3], ['exec', '/usr/bin/gen-users', 4],
  ]);
  t.match(p.problems, [{ line: 5, message: /unknown directive/ }, { line: 6, message: /without an argument/ }]);
});

t.test('lines without = or without a name are ignored with a warning', async (t) => {
  const p = parseAsteriskConf('[u]\njust words\n = value\n');
  t.same(shape(p), [['u', []]]);
  t.same(p.problems.map((q) => [q.level, q.line]), [['warning', 2], ['warning', 3]]);
  t.notMatch(JSON.stringify(p.problems), /just words|value/, 'findings do not echo line contents (they may hold secrets)');
});

t.test('over-long lines are skipped', async (t) => {
  const p = parseAsteriskConf(`[u]\nx=${'a'.repeat(9000)}\ny=1\n`);
  t.same(shape(p), [['u', [['y', '1']]]]);
  t.match(p.problems, [{ line: 2, message: /longer than/ }]);
});
