// Privilege classes and the three text -> mask conversions of main/manager.c,
// checked against what `manager show user` printed on Asterisk 22 (transcripts
// README) and against the source of get_perm/ast_instring/strings_to_mask (S16).

import t from 'tap';
import {
  ALL, CLASS_NAMES, PERMS, authorityToStr, classBit, isAstFalse, isAstTrue, parsePermString, privilegeToMask, stringsToMask,
} from '../../../src/protocol/privileges.js';

const bits = (...names: string[]) => names.reduce((m, n) => m | classBit(n)!, 0);

t.test('class table mirrors EVENT_FLAG_* and perms[] order', async (t) => {
  t.same(PERMS.map(([n]) => n), ['system', 'call', 'log', 'verbose', 'command', 'agent', 'user', 'config', 'dtmf', 'reporting', 'cdr', 'dialplan', 'originate', 'agi', 'cc', 'aoc', 'test', 'security', 'message', 'all', 'none']);
  const want: Record<string, number> = { system: 0, call: 1, log: 2, verbose: 3, command: 4, agent: 5, user: 6, config: 7, dtmf: 8, reporting: 9, cdr: 10, dialplan: 11, originate: 12, agi: 13, cc: 15, aoc: 16, test: 17, security: 18, message: 30 };
  for (const [name, shift] of Object.entries(want)) t.equal(classBit(name), 1 << shift, name);
  t.equal(classBit('all'), 0x7fffffff);
  t.equal(ALL, 0x7fffffff);
  t.equal(classBit('none'), 0);
  t.equal(classBit('Call'), undefined, 'exact, case-sensitive');
  t.equal(CLASS_NAMES.length, 19);
  t.notOk(CLASS_NAMES.includes('all') || CLASS_NAMES.includes('none'));
});

t.test('parsePermString: manager.conf read=/write= quirks (README, checked with manager show user)', async (t) => {
  const cases: Array<[string | undefined, number, string]> = [
    ['call,system', bits('call', 'system'), 'plain list'],
    ['Call,SYSTEM', 0, 'case-sensitive: <none>'],
    ['call, system', bits('call'), 'blanks not trimmed: call only'],
    ['call , originate', 0, 'blank before the comma: <none>'],
    ['3', 0, 'numbers are not accepted'],
    ['all', ALL, 'all'],
    ['none', 0, 'none'],
    ['all,none', ALL, 'all,none gives all'],
    ['', 0, 'empty value: <none>'],
    [undefined, 0, 'absent'],
    ['c,system', bits('system', 'call', 'command', 'config', 'cdr', 'cc'), 'every token but the last is a prefix'],
    ['call,,system', ALL, 'an empty token grants everything'],
    ['cal', 0, 'the last token must match exactly'],
    ['cal,', bits('call'), 'a trailing comma makes it a prefix token'],
    ['system,call', bits('system', 'call'), 'order does not matter'],
    ['callx,system', bits('system'), 'a token longer than the class does not match it'],
    [',', ALL, 'a lone comma is an empty token'],
  ];
  for (const [v, want, why] of cases) t.equal(parsePermString(v), want, `${JSON.stringify(v)}: ${why}`);
});

t.test('stringsToMask: Login Events: and the Events action EventMask: (strings_to_mask)', async (t) => {
  const allNamed = PERMS.reduce((m, [, n]) => m | n, 0);
  const cases: Array<[string | undefined, number, string]> = [
    [undefined, -1, 'absent: Invalid event mask'],
    ['', -1, 'empty: Invalid event mask'],
    ['0', 0, 'digits: numeric mask 0'],
    ['3', 3, 'digits: system,call'],
    ['65535', 65535, 'digits'],
    ['007', 7, 'atoi'],
    ['on', allNamed, 'true word'],
    ['ON', allNamed, 'case-insensitive'],
    ['yes', allNamed, 'true word'],
    ['true', allNamed, 'true word'],
    ['y', allNamed, 'true word'],
    ['t', allNamed, 'true word'],
    ['off', 0, 'false word'],
    ['no', 0, 'false word'],
    ['false', 0, 'false word'],
    ['n', 0, 'false word'],
    ['f', 0, 'false word'],
    ['Off', 0, 'case-insensitive'],
    ['call', bits('call'), 'class list'],
    ['system,call', bits('system', 'call'), 'class list'],
    ['on ', 0, 'ast_true() does not trim: a trailing blank makes it a (bad) class list'],
    ['3 ', 0, 'not all digits'],
    ['all', ALL, 'all'],
  ];
  for (const [v, want, why] of cases) t.equal(stringsToMask(v), want, `${JSON.stringify(v)}: ${why}`);
  t.equal(allNamed, ALL, 'every class OR-ed is INT_MAX because perms[] holds all');
});

t.test('isAstTrue / isAstFalse are main/utils.c ast_true / ast_false', async (t) => {
  for (const w of ['yes', 'true', 'y', 't', '1', 'on', 'YES', 'True', 'oN']) t.ok(isAstTrue(w), w);
  for (const w of ['no', 'false', 'n', 'f', '0', 'off', 'NO', 'False']) t.ok(isAstFalse(w), w);
  for (const w of [undefined, '', ' yes', 'yes ', 'yess', '2', 'enabled']) t.notOk(isAstTrue(w), `not true: ${JSON.stringify(w)}`);
  for (const w of [undefined, '', ' no', 'off ', 'nope']) t.notOk(isAstFalse(w), `not false: ${JSON.stringify(w)}`);
});

t.test('authorityToStr: authority_to_str()', async (t) => {
  t.equal(authorityToStr(bits('call')), 'call,all', 'every non-zero mask ends in all (S18)');
  t.equal(authorityToStr(bits('system', 'call')), 'system,call,all');
  t.equal(authorityToStr(bits('call', 'system')), 'system,call,all', 'perms[] order, not argument order');
  t.equal(authorityToStr(0), '<none>');
  t.equal(authorityToStr(-1), '<none>', 'EVENT_FLAG_SHUTDOWN');
  t.equal(authorityToStr(1 << 14), 'all', 'HOOKRESPONSE has no name');
  t.equal(authorityToStr(ALL), CLASS_NAMES.join(',') + ',all');
});

t.test('privilegeToMask: the Privilege: header of an event', async (t) => {
  t.equal(privilegeToMask('call,all'), bits('call'));
  t.equal(privilegeToMask('system,call,all'), bits('system', 'call'));
  t.equal(privilegeToMask('dialplan,all'), bits('dialplan'));
  t.equal(privilegeToMask('Call'), bits('call'), 'Status items send `Privilege: Call` (README)');
  t.equal(privilegeToMask(' call , system '), bits('call', 'system'));
  // Fail closed (issue 11 item 3): no known class means unknown, not "no class needed".
  t.equal(privilegeToMask('all'), undefined, 'all alone carries no class');
  t.equal(privilegeToMask(''), undefined, 'empty');
  t.equal(privilegeToMask(undefined), undefined, 'missing');
  t.equal(privilegeToMask('<none>'), undefined, 'authority_to_str(0)');
  t.equal(privilegeToMask('none'), undefined);
  t.equal(privilegeToMask('call,bogus,all'), undefined, 'one unknown name makes the whole class unknown');
  t.equal(privilegeToMask('futureclass,all'), undefined);
  t.equal(privilegeToMask('call,,all'), undefined, 'an empty name is not a class');
  for (const [name, bit] of PERMS) {
    if (name === 'all' || name === 'none') continue;
    t.equal(privilegeToMask(authorityToStr(bit)), bit, `round trip ${name}`);
  }
});
