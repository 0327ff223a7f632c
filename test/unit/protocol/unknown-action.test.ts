import t from 'tap';
import { unknownActionMessage } from '../../../src/protocol/unknown-action.js';
import { captureMessages } from '../../helpers/capture-messages.js';

t.test('Asterisk\'s unknown-action text, byte for byte (capture 09)', async (t) => {
  const reply = captureMessages('09-errors-limited.jsonl', 's2c').find((m) => m.get('ActionID') === 'e3')!;
  t.equal(unknownActionMessage('FooBarBaz'), reply.get('Message'));
});

t.test('cut at 511 bytes, as snprintf() into char buf[512] does', async (t) => {
  const tail = '. Use Action: ListCommands to show available commands.';
  const head = 'Invalid/unknown command: ';
  const fits = 'A'.repeat(511 - head.length - tail.length);
  t.equal(unknownActionMessage(fits), head + fits + tail, 'exactly 511: whole');
  t.equal(unknownActionMessage(fits + 'B').length, 511, 'one more: cut');
  t.equal(unknownActionMessage(fits + 'B'), (head + fits + 'B' + tail).slice(0, 511));
  t.equal(unknownActionMessage('X'.repeat(900)), head + 'X'.repeat(511 - head.length), 'a long name leaves no tail');
});
