// Action: WaitEvent (S14), emulated per session so the shared upstream never
// blocks. main/manager.c action_waitevent(): wait up to Timeout seconds (capped
// at an hour here; 60 s without one) for an event, or for input from the client
// on an AMI socket; then "Waiting for Event completed.", the events, and
// Event: WaitEventComplete. On HTTP (the transport sets maxWaitSeconds,
// httptimeout - 10 s) a missing, negative or larger Timeout waits that long
// and Timeout 0 answers at once, as measured on Asterisk 22.

import { AmiMessage } from '../../protocol/message.js';
import type { LocalAction } from '../context.js';

export const waitEvent: LocalAction = {
  name: 'WaitEvent',
  beforeLogin: false,
  checked: true,
  run(ctx, msg, action, started) {
    const timeout = Number.parseInt(msg.get('Timeout') ?? '', 10);
    const max = ctx.maxWaitSeconds;
    let ms: number;
    if (max !== undefined) ms = (Number.isFinite(timeout) && timeout >= 0 && timeout <= max ? timeout : max) * 1000;
    else ms = Number.isFinite(timeout) && timeout > 0 ? Math.min(timeout, 3600) * 1000 : 60_000;
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
