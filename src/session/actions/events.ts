// Action: Events (S15), per session: forwarding it would change the shared
// upstream login. main/manager.c action_events(): strings_to_mask(EventMask);
// -1 is "Invalid event mask"; the mask becomes send_events (S17).

import { stringsToMask } from '../../protocol/privileges.js';
import type { LocalAction } from '../context.js';

export const events: LocalAction = {
  name: 'Events',
  beforeLogin: false,
  checked: true,
  run(ctx, msg, action, started) {
    const mask = stringsToMask(msg.get('EventMask'));
    if (mask < 0) ctx.reply(msg, 'Error', 'Invalid event mask');
    else {
      ctx.sendMask = mask;
      ctx.respond(msg, [['Response', 'Success'], ['Events', mask > 0 ? 'On' : 'Off']]);
    }
    ctx.observe(msg, action, mask < 0 ? 'error' : 'success', started);
  },
};
