// Action: ListCommands, forwarded (Asterisk's own list, modules included) and
// filtered on the way back to the actions this user may run, so a client never
// learns of an action it would be denied.

import type { LocalAction } from '../context.js';

export const listCommands: LocalAction = {
  name: 'ListCommands',
  beforeLogin: false,
  checked: true,
  run(ctx, msg, action, started, servers) {
    const user = ctx.user!;
    ctx.forward(msg, action, servers ?? ctx.services.serversFor(user), started,
      (reply) => reply.isResponse ? ctx.services.filterListCommands(user, reply) : reply);
  },
};
