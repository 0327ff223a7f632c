// The forwarded path of a session: one action that policy allowed goes to the
// router (services.forward), its packets go to the transport as they come,
// and when it ends the answer is flushed before the audit record and metrics
// are made (the client's round trip does not include our bookkeeping), then
// the session takes its next request (done()).
//
// This is the hot path: one ReplyHandler per action and nothing per packet
// beyond the transport's send().

import type { AmiMessage } from '../protocol/message.js';
import type { AmigateError } from '../errors.js';
import type { ActionOutcome, ReplyHandler } from '../router/router.js';
import type { Busy, Transport } from './context.js';
import type { SessionHandle, SessionServices } from './services.js';
import type { HeldEvents } from './held-events.js';
import { replyMessage } from './replies.js';

/** The parts of the session core (session.ts) a forwarded action uses. */
export interface ForwardingSession extends SessionHandle {
  readonly services: SessionServices;
  readonly transport: Transport;
  readonly held: HeldEvents;
  busy: Busy;
  /** Between actions: flush held events, then look at the next request. */
  done(): void;
}

/** Forward through the router; `transform` rewrites the response packet (ListCommands). */
export function forwardAction(s: ForwardingSession, msg: AmiMessage, action: string, servers: readonly string[], started: number, transform?: (reply: AmiMessage) => AmiMessage): void {
  const clientId = msg.actionId();
  const audit = msg.clone(); // the router rewrites msg in place
  s.busy = 'action';
  const handler: ReplyHandler = {
    packet: (reply) => {
      if (s.status === 'closed') return;
      s.transport.send(transform === undefined ? reply : transform(reply));
    },
    done: (outcome: ActionOutcome, info: { upstream: string; upstreamMs: number; err?: AmigateError }) => {
      if (info.err && s.status !== 'closed') s.transport.send(replyMessage(clientId, 'Error', info.err.message));
      // The answer is complete: let it leave now rather than after the audit
      // record and metrics below (same bytes, same order; the client's round
      // trip no longer includes our bookkeeping). Held events still go
      // with it in one write when there are any (done() flushes them).
      if (s.held.length === 0 && s.status !== 'closed') s.transport.flush();
      s.services.observe({ type: 'action', session: s, action, msg: audit, result: outcome, upstream: info.upstream, latencyMs: performance.now() - started, upstreamMs: info.upstreamMs });
      s.done();
    },
  };
  try {
    s.services.forward(s, msg, servers, handler);
  } catch (err) {
    s.transport.send(replyMessage(clientId, 'Error', (err as AmigateError).message));
    s.services.observe({ type: 'action', session: s, action, msg: audit, result: 'error', latencyMs: performance.now() - started });
    s.done();
  }
}
