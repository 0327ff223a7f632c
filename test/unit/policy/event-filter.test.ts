// Event filters against main/manager.c semantics (S20): manager_add_filter()
// parsing and its format/compile errors, filter_cmp_fn()/match_eventdata()
// matching, should_send_event() include/exclude order, the Filter action cases
// of capture 11b, and compiled filters shared through FilterCache. The POSIX
// ERE translation is tested in ere.test.ts.

import t from 'tap';
import {
  compileFilter, compileManagerConfFilter, EventFilterSet, FilterCache, FilterSyntaxError, type FilterSpec,
} from '../../../src/policy/event-filter.js';
import { AmiMessage } from '../../../src/protocol/message.js';

// manager.c's own tables (eventfilter_test_creation / eventfilter_test_matching, TEST_FRAMEWORK).
const NEWCHANNEL = ['Newchannel', 'Event: Newchannel\r\nChannel: XXX\r\nSomeheader: YYY\r\n'] as const;
const VARSET = ['VarSet', 'Event: VarSet\r\nChannel: ABC\r\nSomeheader: XXX\r\n'] as const;

const PARSING: Array<[string, string, 'ok' | 'format' | 'compile', (readonly [string, string])?, boolean?]> = [
  ['eventfilter', 'XXX', 'ok', NEWCHANNEL, true],
  ['eventfilter', '!XXX', 'ok', VARSET, false],
  ['eventfilter(name(VarSet),method(none))', '', 'ok', VARSET, true],
  ['eventfilter(name(Newchannel),method(regex))', 'X[XYZ]X', 'ok', NEWCHANNEL, true],
  ['eventfilter(name(Newchannel),method(regex))', 'X[abc]X', 'ok', NEWCHANNEL, false],
  ['eventfilter(action(exclude),name(Newchannel),method(regex))', 'X[XYZ]X', 'ok', NEWCHANNEL, false],
  ['eventfilter(action(exclude),name(Newchannel),method(regex))', 'X[abc]X', 'ok', NEWCHANNEL, true],
  ['eventfilter(action(include),name(VarSet),header(Channel),method(starts_with))', 'AB', 'ok', VARSET, true],
  ['eventfilter(action(include),name(VarSet),header(Channel),method(ends_with))', 'BC', 'ok', VARSET, true],
  ['eventfilter(action(include),name(VarSet),header(Channel),method(exact))', 'ABC', 'ok', VARSET, true],
  ['eventfilter(action(include),name(VarSet),header(Channel),method(exact))', 'XXX', 'ok', VARSET, false],
  ['eventfilter(name(VarSet),header(Channel),method(exact))', '!ZZZ', 'ok', VARSET, true],
  ['eventfilter(action(exclude),name(VarSet),header(Channel),method(exact))', 'ZZZ', 'ok', VARSET, true],
  ['eventfilter(action(include),name(VarSet),header(Someheader),method(exact))', '!XXX', 'ok', VARSET, true],
  ['eventfilter(action(include)', '', 'format'],
  ['eventfilter(action(inlude)', '', 'format'],
  ['eventfilter(nnnn(yyy)', 'XXX', 'format'],
  ['eventfilter(eader(VarSet)', 'XXX', 'format'],
  ['eventfilter(ethod(contains)', 'XXX', 'format'],
  ['eventfilter(nnnn(yyy),header(VarSet),method(contains)', 'XXX', 'format'],
  ['eventfilter(name(yyy),heder(VarSet),method(contains)', 'XXX', 'format'],
  ['eventfilter(name(yyy),header(VarSet),mehod(contains)', 'XXX', 'format'],
  ['eventfilter(name(yyy),header(VarSet),method(coains)', 'XXX', 'format'],
  ['eventfilter(method(yyy))', 'XXX', 'format'],
  ['eventfilter', '', 'format'],
  ['eventfilter', '!', 'format'],
  ['eventfilter()', 'XXX', 'format'],
  ['eventfilter', 'XX[X', 'compile'],
  ['eventfilter(method(regex))', 'XX[X', 'compile'],
];

function outcome(fn: () => unknown): 'ok' | 'format' | 'compile' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (!(err instanceof FilterSyntaxError)) throw err;
    return err.kind;
  }
}

t.test("manager.c's parsing table", async (t) => {
  for (const [key, value, want, event, send] of PARSING) {
    t.equal(outcome(() => compileManagerConfFilter(key, value)), want, `${key} = ${value}`);
    if (want !== 'ok' || event === undefined) continue;
    const set = new EventFilterSet([compileManagerConfFilter(key, value)]);
    t.equal(set.passes(event[0], undefined, event[1]), send, `${key} = ${value} on ${event[0]}`);
  }
});

t.test("manager.c's include/exclude matching table", async (t) => {
  const set = new EventFilterSet([
    ['eventfilter(name(VarSet),method(none))', ''],
    ['eventfilter(name(Newchannel),method(regex))', 'X[XYZ]X'],
    ['eventfilter(name(Newchannel),method(regex))', 'X[abc]X'],
    ['eventfilter(name(Newchannel),header(Someheader),method(regex))', 'ZZZ'],
    ['eventfilter(action(exclude),name(Newchannel),method(regex))', 'X[a]X'],
    ['eventfilter(action(exclude),name(Newchannel),method(regex))', 'X[Z]X'],
    ['eventfilter(action(exclude),name(VarSet),header(Channel),method(regex))', 'YYY'],
  ].map(([k, v]) => compileManagerConfFilter(k!, v!)));
  t.equal(set.size, 7);
  const events: Array<[string, string, boolean]> = [
    ['Newchannel', 'Event: Newchannel\r\nChannel: XXX\r\nSomeheader: YYY\r\n', true],
    ['Newchannel', 'Event: Newchannel\r\nChannel: XZX\r\nSomeheader: YYY\r\n', false],
    ['Newchannel', 'Event: Newchannel\r\nChannel: XaX\r\nSomeheader: YYY\r\n', false],
    ['Newchannel', 'Event: Newchannel\r\nChannel: XbX\r\nSomeheader: YYY\r\n', true],
    ['Newchannel', 'Event: Newchannel\r\nChannel: XcX\r\nSomeheader: YYY\r\n', true],
    ['Newchannel', 'Event: Newchannel\r\nChannel: YYY\r\nSomeheader: YYY\r\n', false],
    ['Newchannel', 'Event: Newchannel\r\nChannel: YYY\r\nSomeheader: ZZZ\r\n', true],
    ['VarSet', 'Event: VarSet\r\nChannel: XXX\r\nSomeheader: YYY\r\n', true],
    ['VarSet', 'Event: VarSet\r\nChannel: YYY\r\nSomeheader: YYY\r\n', false],
  ];
  for (const [name, text, want] of events) t.equal(set.passes(name, undefined, text), want, JSON.stringify(text));
});

t.test('the Filter action cases of capture 11b', async (t) => {
  const specs: Array<[FilterSpec, 'ok' | 'format' | 'compile']> = [
    [{ matchcriteria: '', filter: 'Event: Newchannel' }, 'ok'],
    [{ matchcriteria: 'name(Hangup)', filter: '' }, 'ok'],
    [{ matchcriteria: 'action(include),name(OriginateResponse)', filter: '' }, 'ok'],
    [{ matchcriteria: '', filter: 'Event: (unclosed' }, 'compile'],
    [{ matchcriteria: 'bogus(1)', filter: 'x' }, 'format'],
    [{ matchcriteria: '', filter: '' }, 'format'],
  ];
  const set = new EventFilterSet();
  for (const [spec, want] of specs) {
    t.equal(outcome(() => compileFilter(spec)), want, JSON.stringify(spec));
    if (want === 'ok') set.add(compileFilter(spec));
  }
  const ev = (name: string): string => `Event: ${name}\r\nPrivilege: call,all\r\nChannel: Local/100@test-0000000a;1\r\n\r\n`;
  const delivered = ['Newchannel', 'Newexten', 'VarSet', 'LocalBridge', 'DialBegin', 'Newstate', 'DialEnd', 'OriginateResponse',
    'DeviceStateChange', 'UserEvent', 'SoftHangupRequest', 'HangupRequest', 'Hangup'].filter((n) => set.passes(n, undefined, ev(n)));
  t.same(delivered, ['Newchannel', 'OriginateResponse', 'Hangup'], 'only Newchannel, OriginateResponse and Hangup get through');
  t.equal(compileFilter('!Event: VarSet').exclude, true, 'a legacy string spec works like the Filter action');
});

t.test('header matching follows filter_cmp_fn()', async (t) => {
  const text = 'Event: VarSet\r\nPrivilege: dialplan,all\r\nChannel: Local/1@test-00000001;1\r\nAccountCode: \r\nVariable: A\r\nVariable: B\r\n\r\n';
  const msg = new AmiMessage(text.split('\r\n').filter((l) => l.length > 0));
  const cases: Array<[string, string, boolean, string]> = [
    ['header(Variable),method(exact)', 'B', true, 'every line with the header is tried'],
    ['header(Variable:),method(exact)', 'A', true, 'an explicit colon is the same'],
    ['header(variable),method(exact)', 'A', false, 'header names are case-sensitive'],
    ['header(Chan),method(contains)', 'Local', false, 'the header is a line prefix up to the colon'],
    ['header(AccountCode),method(none)', '', false, 'an empty value never matches, even with method(none)'],
    ['header(NoSuch),method(none)', '', false, 'absent header'],
    ['header(Channel),method(regex)', '^Local/[0-9]+@test', true, 'regex on the value only'],
    ['header(Channel),method(starts_with)', 'Local/1@', true, 'starts_with'],
    ['header(Channel),method(ends_with)', ';1', true, 'ends_with'],
    ['name(varset)', '', false, 'event names are case-sensitive'],
    ['method(ends_with)', '\r\n\r\n', true, 'whole-event methods see the final blank line'],
    ['names(VarSet)', '', true, 'option names are matched as prefixes (strncmp)'],
    ['name(Hangup),name(VarSet)', '', true, 'a repeated option: the last one wins'],
    ['name(VarSet), method(contains)', 'dialplan', true, 'blanks separate options too'],
  ];
  for (const [criteria, pattern, want, why] of cases) {
    const f = compileFilter({ matchcriteria: criteria, filter: pattern });
    t.equal(f.matches('VarSet', undefined, text), want, `${why} (text)`);
    t.equal(f.matches('VarSet', msg, text), want, `${why} (parsed lines)`);
  }
  const f = compileFilter({ matchcriteria: 'header(Channel),action(exclude),method(exact)', filter: '!x' });
  t.equal(f.exclude, true);
  t.equal(f.header, 'Channel:');
  t.equal(f.method, 'exact');
  t.equal(f.pattern, 'x', "the leading '!' is removed even when action() decides");
});

t.test('should_send_event() order', async (t) => {
  const inc = compileFilter('Event: A');
  const inc2 = compileFilter('Event: B');
  const exc = compileFilter('!Foo: 1');
  const a = 'Event: A\r\nFoo: 1\r\n\r\n';
  const a2 = 'Event: A\r\nFoo: 2\r\n\r\n';
  const c = 'Event: C\r\nFoo: 2\r\n\r\n';
  t.ok(new EventFilterSet().passes('A', undefined, a), 'no filters: everything');
  const incOnly = new EventFilterSet([inc, inc2]);
  t.ok(incOnly.passes('A', undefined, a), 'includes only: any include');
  t.notOk(incOnly.passes('C', undefined, c), 'includes only: nothing else');
  const excOnly = new EventFilterSet([exc]);
  t.notOk(excOnly.passes('A', undefined, a), 'excludes only: drop matches');
  t.ok(excOnly.passes('C', undefined, c), 'excludes only: keep the rest');
  const both = new EventFilterSet([exc, inc]);
  t.notOk(both.passes('A', undefined, a), 'both: included but excluded');
  t.ok(both.passes('A', undefined, a2), 'both: included, not excluded');
  t.notOk(both.passes('C', undefined, c), 'both: not included');
  const clone = both.clone();
  clone.add(inc2);
  t.equal(both.size, 2, 'clone() leaves the original alone');
  t.equal(clone.size, 3);
});

t.test('FilterCache: one compiled filter per spec, bounded, answers never stale', async (t) => {
  const cache = new FilterCache(3);
  const a = cache.get('Event: (Newchannel|Hangup).*Exten: [0-9]+');
  t.equal(cache.get('Event: (Newchannel|Hangup).*Exten: [0-9]+'), a, 'the same spec is compiled once');
  const adv = cache.get({ matchcriteria: 'name(Hangup)', filter: '' });
  t.equal(cache.get({ matchcriteria: 'name(Hangup)', filter: '' }), adv, 'advanced specs too');
  t.not(cache.get('["name(Hangup)",""]'), adv, 'a legacy string never collides with an advanced spec');
  t.equal(cache.size, 3);
  cache.get('Event: VarSet');
  t.equal(cache.size, 3, 'bounded: the oldest is forgotten');
  t.not(cache.get('Event: (Newchannel|Hangup).*Exten: [0-9]+'), a, 'and compiled again when needed');
  t.throws(() => cache.get('XX[X'), { name: 'FilterSyntaxError', kind: 'compile' }, 'errors as compileFilter');
  t.throws(() => cache.get({ matchcriteria: 'bogus(1)', filter: 'x' }), { name: 'FilterSyntaxError', kind: 'format' });

  // The shared filter remembers its last answer per event text; a different text, or the same text
  // under another event name, is evaluated afresh.
  const f = new FilterCache().get('Exten: 2[0-9]{2}\r');
  const yes = 'Event: Newchannel\r\nExten: 200\r\n\r\n';
  const no = 'Event: Newchannel\r\nExten: 300\r\n\r\n';
  const seq = [yes, yes, no, no, yes, no].map((s) => f.matches('Newchannel', undefined, s));
  t.same(seq, [true, true, false, false, true, false]);
  const named = new FilterCache().get({ matchcriteria: 'name(Newchannel),method(regex)', filter: 'Exten: 2' });
  t.same([named.matches('Newchannel', undefined, yes), named.matches('Hangup', undefined, yes), named.matches('Newchannel', undefined, yes)], [true, false, true]);
  const header = new FilterCache().get({ matchcriteria: 'header(Exten),method(regex)', filter: '^2' });
  t.same([header.matches('Newchannel', undefined, yes), header.matches('Newchannel', undefined, no), header.matches('Newchannel', undefined, yes)], [true, false, true]);
});
