// The replies of a scoped user's action, cut to its scope: list items
// (CoreShowChannel, Status, QueueMember, DeviceStateChange, ExtensionStatus...)
// that name something the user does not own are dropped, and the completion
// event's `ListItems:` (and Status's `Items:`) is rewritten to the number of
// items the client actually received, so list-counting clients stay correct.
// Nothing is rewritten when nothing was dropped: the reply stays byte-exact.

import type { AmiMessage } from '../protocol/message.js';
import type { ActionOutcome, ReplyHandler } from '../router/router.js';
import type { AmigateError } from '../errors.js';
import type { EventScoper } from './event-scope.js';
import type { OwnershipTracker } from './ownership.js';

export interface ListFilterStats { listItemsWithheld: number }

export function scopedReplies(
  handler: ReplyHandler, scopeId: number, scoper: EventScoper, tracker: OwnershipTracker,
  stats: ListFilterStats, defaultServer: string,
): ReplyHandler {
  let delivered = 0;
  let dropped = 0;
  return {
    packet(msg: AmiMessage, server?: string): void {
      if (!msg.isEvent) { handler.packet(msg); return; }
      const list = msg.get('EventList');
      if (list !== undefined && list.toLowerCase() === 'complete') {
        if (dropped > 0) {
          for (const h of ['ListItems', 'Items']) {
            const i = msg.indexOf(h);
            if (i >= 0) msg.setLineAt(i, `${msg.lines[i]!.slice(0, h.length)}: ${delivered}`);
          }
        }
        handler.packet(msg);
        return;
      }
      const view = scoper.view(msg, tracker.server(server ?? defaultServer), false);
      if (!view.allows(scopeId)) {
        dropped++;
        stats.listItemsWithheld++;
        return;
      }
      delivered++;
      handler.packet(msg);
    },
    done(outcome: ActionOutcome, info: { upstream: string; upstreamMs: number; err?: AmigateError }): void {
      handler.done(outcome, info);
    },
  };
}
