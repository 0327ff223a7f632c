import t from 'tap';
import { extensionExists, findExtension, TEST_CONTEXT_LINES } from '../../../src/sim/dialplan.js';

t.test('the captured [test] context', async (t) => {
  t.same(findExtension('test', '100')?.map((s) => `${s.app}(${s.data})`),
    ['Answer()', 'Set(TESTVAR=hello)', 'UserEvent(TestEvent,Foo: bar)', 'Wait(2)', 'Hangup()']);
  t.same(findExtension('test', '300')?.[2], { app: 'Queue', data: 'testq,r,,,12' });
  t.same(findExtension('test', '600')?.map((s) => s.app), ['Ringing', 'Wait', 'Hangup']);
  t.equal(findExtension('test', 's')?.[1]?.data, 'TESTVAR=s');
  t.equal(TEST_CONTEXT_LINES.length, 27, 'as GetConfig returned it in capture 10');
});

t.test('pattern matching: exact extensions first, then _X.', async (t) => {
  t.equal(findExtension('test', '999')?.[1]?.data, 'TESTVAR=generic', '_X. catches other numbers');
  t.equal(findExtension('test', '100')?.[1]?.data, 'TESTVAR=hello', 'exact beats the pattern');
  t.equal(findExtension('test', '5'), undefined, "_X. needs a digit and at least one more character");
  t.equal(findExtension('test', 'abc'), undefined);
  t.ok(extensionExists('test', '555x'), "'.' matches any character");
  t.equal(findExtension('nosuchctx', '999'), undefined, 'unknown context');
  t.ok(extensionExists('test', '100', 5));
  t.notOk(extensionExists('test', '100', 6), 'priority beyond the last');
  t.notOk(extensionExists('test', '100', 0));
});
