// Action: Ping, answered here for any logged-in user as main/manager.c
// action_ping() does (no class needed): Pong with a microsecond timestamp.

import type { LocalAction } from '../context.js';

export const ping: LocalAction = {
  name: 'Ping',
  beforeLogin: false,
  checked: false,
  run(ctx, msg, action, started) {
    const now = Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000);
    const ts = `${Math.floor(now / 1e6)}.${String(now % 1e6).padStart(6, '0')}`;
    ctx.respond(msg, [['Response', 'Success'], ['Ping', 'Pong'], ['Timestamp', ts]]);
    ctx.observe(msg, action, 'success', started);
  },
};
