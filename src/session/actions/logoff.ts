// Action: Logoff. main/manager.c action_logoff(): "Goodbye", then the session
// ends once the reply is out. Before login it is answered too, with no action
// record (an unauthenticated client has no user to attribute it to).

import type { LocalAction } from '../context.js';

export const logoff: LocalAction = {
  name: 'Logoff',
  beforeLogin: true,
  checked: false,
  run(ctx, msg, action, started) {
    if (ctx.status === 'ready') ctx.observe(msg, action, 'success', started);
    ctx.respond(msg, [['Response', 'Goodbye'], ['Message', 'Thanks for all the fish.']]);
    ctx.end('logoff');
  },
};
