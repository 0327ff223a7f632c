// What a session does with one request, once its turn has come (session.ts
// owns the FIFO and the turn): a flagged packet gets its parse error, a
// missing Action its error, a local action (session/actions/) runs, anything
// before login is refused (S7), policy decides, and an allowed action is
// forwarded (forwarding-path.ts). As main/manager.c do_message() and
// process_message().

import { AmiMessage } from '../protocol/message.js';
import type { ActionContext } from './context.js';
import { LOCAL_ACTIONS } from './actions/index.js';
import { forwardAction, type ForwardingSession } from './forwarding-path.js';

/** A request that arrived past maxpendingactions: only what its error reply needs. */
export type Overflow = AmiMessage & { overflow?: true };

/** The stand-in queued for a request over maxpendingactions (fail fast, but in order). */
export function overflowMarker(msg: AmiMessage): Overflow {
  const id = msg.get('ActionID');
  const marker: Overflow = new AmiMessage(id === undefined ? [] : ['ActionID: ' + id]);
  marker.overflow = true;
  return marker;
}

/** Handle one request of session `s`; an action that continues afterwards ends with s.done(). */
export function handleRequest(s: ActionContext & ForwardingSession, msg: AmiMessage): void {
  if ((msg as Overflow).overflow) {
    s.services.observe({ type: 'limit', session: s, limit: 'maxpendingactions' });
    return s.reply(msg, 'Error', 'Too many pending actions');
  }
  // do_message(): a flagged packet gets its parse error, with its ActionID (S3, S4).
  if (msg.fault !== undefined) s.services.observe({ type: 'limit', session: s, limit: msg.fault });
  if (msg.fault === 'too-many-lines') return s.reply(msg, 'Error', 'Too many lines in message or allocation failure');
  if (msg.fault === 'line-too-long') return s.reply(msg, 'Error', 'Failed to parse message: line too long');
  const action = msg.getNonEmpty('Action');
  if (action === undefined) return s.reply(msg, 'Error', 'Missing action in request');
  const local = LOCAL_ACTIONS.get(action.toLowerCase());
  const started = performance.now();
  if (s.status === 'unauthenticated') {
    if (local?.beforeLogin === true) return local.run(s, msg, action, started, undefined);
    return s.reply(msg, 'Error', 'Permission denied'); // S7
  }
  if (local !== undefined && !local.checked) return local.run(s, msg, action, started, undefined);
  const user = s.user!;
  const decision = s.services.decide(user, msg);
  if (!decision.allow) {
    s.reply(msg, 'Error', decision.message);
    s.services.observe({ type: 'action', session: s, action, msg, result: 'denied', rule: decision.rule, latencyMs: performance.now() - started });
    return;
  }
  if (local !== undefined) return local.run(s, msg, action, started, decision.servers);
  forwardAction(s, msg, action, decision.servers ?? s.services.serversFor(user), started);
}
