// Action: WaitEvent (S14), emulated per session so the shared upstream never
// blocks. main/manager.c action_waitevent(): wait up to Timeout seconds (capped
// at an hour here; 60 s without one) for an event, or for input from the client
// on an AMI socket; then "Waiting for Event completed.", the events, and
// Event: WaitEventComplete.

import { AmiMessage } from '../../protocol/message.js';
import type { LocalAction } from '../context.js';

export const waitEvent: LocalAction = {
  name: 'WaitEvent',
  beforeLogin: false,
  checked: true,
  run(ctx, msg, action, started) {
    const timeout = Number.parseInt(msg.get('Timeout') ?? '', 10);
    const ms = Number.isFinite(timeout) && timeout > 0 ? Math.min(timeout, 3600) * 1000 : 60_000;
    const id = msg.actionId();
    ctx.waitForEvents(ms, () => {
      const idLine = id === undefined ? [] : ['ActionID: ' + id];
      ctx.send(new AmiMessage(['Response: Success', ...idLine, 'Message: Waiting for Event completed.']));
      ctx.flushHeld();
      ctx.send(new AmiMessage(['Event: WaitEventComplete', ...idLine]));
      ctx.observe(msg, action, 'success', started);
      ctx.done();
    });
  },
};
