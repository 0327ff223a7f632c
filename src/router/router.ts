// The router: forwards one session's action upstream under a proxy ActionID and
// routes every packet Asterisk sends back to where it belongs.
//
//   forward(session, msg) --ActionID: amg.<s>.<n>--> cluster.send()
//   upstream packet with ActionID amg.<s>.<n>
//     Response            -> that action's handler (client ActionID restored or removed)
//     list item/Complete  -> that action's handler while its EventList is open (S19, S23)
//     broadcast event     -> onBroadcast() with the originator, e.g. OriginateResponse (S25)
//   upstream packet without one of our ActionIDs -> onBroadcast() (fan-out)
//
// Sessions send one action at a time (manager.c handles a session's actions
// strictly in order, S26), so per-client response order holds by construction.
// Every pending action ends exactly once: response, list end, timeout, or the
// loss of the upstream connection it was written on.

import type { AmiMessage } from '../protocol/message.js';
import { ActionTimeoutError, AmigateError, UpstreamClosedError } from '../errors.js';
import { mintActionId, isProxyActionId } from './action-id.js';
import type { UpstreamListener, UpstreamRef } from '../upstream/types.js';

/** What the router needs from the upstream cluster (implemented by upstream/cluster.ts). */
export interface UpstreamSender {
  send(servers: readonly string[], msg: AmiMessage): UpstreamRef;
}

export type ActionOutcome = 'success' | 'error' | 'timeout' | 'upstream-lost';

/** Receives the reply packets of one forwarded action (implemented by the session). */
export interface ReplyHandler {
  /** A response, list item or list-complete event, with the client's ActionID already restored. */
  packet(msg: AmiMessage): void;
  /** No more packets will come. `err` is set for timeout and upstream loss (the session answers the client). */
  done(outcome: ActionOutcome, info: { upstream: string; upstreamMs: number; err?: AmigateError }): void;
}

/** Who originated a broadcast event that carries one of our ActionIDs (OriginateResponse). */
export interface Originator {
  session: number;
  /** The client's own ActionID (undefined when it sent none). */
  actionId: string | undefined;
}

export interface RouterHooks {
  /** An unsolicited event from `server`; `originator` is set when it carries a proxy ActionID. */
  broadcast(event: AmiMessage, server: string, originator: Originator | undefined): void;
  serverState?(server: string, ready: boolean, reason?: string): void;
}

export interface RouterOptions {
  /** ms before a pending action is answered with an error. @default 30000 */
  actionTimeoutMs: number;
  /** How long an async Originate's ActionID stays mapped for its OriginateResponse. @default 600000 */
  originateTtlMs?: number;
  /** Bound on remembered originates (oldest forgotten first). @default 10000 */
  maxOriginates?: number;
}

type State = 'awaiting-response' | 'in-list' | 'one-event';

interface Pending {
  proxyId: string;
  session: number;
  clientId: string | undefined;
  handler: ReplyHandler;
  ref: UpstreamRef;
  state: State;
  action: string;
  sentAt: number;
  timer: NodeJS.Timeout;
}

export class Router implements UpstreamListener {
  private readonly upstream: UpstreamSender;
  private readonly hooks: RouterHooks;
  private readonly timeoutMs: number;
  private readonly originateTtlMs: number;
  private readonly maxOriginates: number;
  private readonly pending = new Map<string, Pending>();
  /** proxy ActionID -> originator, for OriginateResponse events after the action completed. */
  private readonly originates = new Map<string, Originator & { expires: number }>();
  private seq = 0;

  constructor(upstream: UpstreamSender, hooks: RouterHooks, opts: RouterOptions) {
    this.upstream = upstream;
    this.hooks = hooks;
    this.timeoutMs = opts.actionTimeoutMs;
    this.originateTtlMs = opts.originateTtlMs ?? 600_000;
    this.maxOriginates = opts.maxOriginates ?? 10_000;
  }

  get pendingCount(): number { return this.pending.size; }

  /**
   * Send `msg` (the client's action, mutated in place) to one of `servers`.
   * Throws UpstreamUnavailableError / UpstreamOverloadedError synchronously when
   * it cannot be sent; otherwise the handler is called until done().
   */
  forward(session: number, msg: AmiMessage, servers: readonly string[], handler: ReplyHandler, timeoutMs = this.timeoutMs): void {
    const proxyId = mintActionId(session, ++this.seq);
    const idIndex = msg.indexOf('ActionID');
    const clientId = idIndex < 0 ? undefined : msg.actionId();
    if (idIndex < 0) msg.insertAfter(0, 'ActionID', proxyId);
    else msg.setLineAt(idIndex, 'ActionID: ' + proxyId);
    const action = msg.getNonEmpty('Action') ?? '';
    const ref = this.upstream.send(servers, msg);
    const p: Pending = {
      proxyId, session, clientId, handler, ref, action,
      state: 'awaiting-response',
      sentAt: performance.now(),
      timer: setTimeout(() => this.finish(p, 'timeout', new ActionTimeoutError()), timeoutMs),
    };
    p.timer.unref?.();
    this.pending.set(proxyId, p);
  }

  /** Forget a closed session's pending actions; their late replies are dropped. */
  dropSession(session: number): void {
    for (const p of this.pending.values()) {
      if (p.session === session) {
        clearTimeout(p.timer);
        this.pending.delete(p.proxyId);
      }
    }
    for (const [id, o] of this.originates) if (o.session === session) this.originates.delete(id);
  }

  // --- UpstreamListener -------------------------------------------------------

  message(msg: AmiMessage, from: UpstreamRef): void {
    const idIndex = msg.indexOf('ActionID');
    if (idIndex >= 0) {
      const id = msg.get('ActionID')!;
      if (isProxyActionId(id)) {
        this.routeOwn(msg, idIndex, id, from);
        return;
      }
    }
    if (msg.isEvent) this.hooks.broadcast(msg, from.server, undefined);
    // A response that is not ours (another proxy sharing the login?) is dropped:
    // it must never reach a client it was not meant for.
  }

  connectionDown(ref: UpstreamRef, err: AmigateError): void {
    for (const p of this.pending.values()) {
      if (p.ref.server === ref.server && p.ref.id === ref.id && p.ref.generation === ref.generation) {
        this.finish(p, 'upstream-lost', err instanceof UpstreamClosedError ? err : new UpstreamClosedError(undefined, { cause: err }));
      }
    }
  }

  serverState(server: string, ready: boolean, reason?: string): void {
    this.hooks.serverState?.(server, ready, reason);
  }

  // --- routing ----------------------------------------------------------------

  private routeOwn(msg: AmiMessage, idIndex: number, id: string, from: UpstreamRef): void {
    const p = this.pending.get(id);
    if (msg.isResponse) {
      if (!p) return; // timed out or its session left: nobody may see it
      restoreId(msg, idIndex, p.clientId);
      p.handler.packet(msg);
      const list = msg.get('EventList');
      if (list !== undefined && list.toLowerCase() === 'start') {
        p.state = 'in-list';
      } else if (msg.get('Response')?.toLowerCase() === 'success' && endsWithWillFollow(msg.get('Message'))) {
        // res_fax FAXSession/FAXStats: "... event will follow" with no EventList, then one event (S23).
        p.state = 'one-event';
      } else {
        this.finish(p, msg.get('Response')?.toLowerCase() === 'error' ? 'error' : 'success');
      }
      return;
    }
    if (!msg.isEvent) return;
    if (p && p.state !== 'awaiting-response') {
      // A list item or completion written straight into the requester's session (S19).
      restoreId(msg, idIndex, p.clientId);
      p.handler.packet(msg);
      if (p.state === 'one-event' || msg.get('EventList')?.toLowerCase() === 'complete') this.finish(p, 'success');
      return;
    }
    // A broadcast event carrying one of our ActionIDs: OriginateResponse (S25).
    // It may even overtake the "queued" response when it comes on another connection.
    let originator: Originator | undefined;
    if (p) originator = { session: p.session, actionId: p.clientId };
    else {
      const o = this.originates.get(id);
      if (o) originator = { session: o.session, actionId: o.actionId };
    }
    const isOriginateResponse = msg.get('Event')?.toLowerCase() === 'originateresponse';
    if (originator && isOriginateResponse) this.originates.delete(id);
    if (!originator) {
      // Our ActionID, but its action already ended (timeout, upstream loss,
      // Shutdown): a late list item or completion belongs to nobody now, and
      // a proxy ActionID must never reach a client. An OriginateResponse is
      // still news for every call reader, without the ID.
      if (!isOriginateResponse) return;
      msg.removeLineAt(idIndex);
    }
    this.hooks.broadcast(msg, from.server, originator);
  }

  private finish(p: Pending, outcome: ActionOutcome, err?: AmigateError): void {
    if (this.pending.get(p.proxyId) !== p) return;
    clearTimeout(p.timer);
    this.pending.delete(p.proxyId);
    if (p.action.toLowerCase() === 'originate' && outcome === 'success') this.rememberOriginate(p);
    p.handler.done(outcome, { upstream: p.ref.server, upstreamMs: performance.now() - p.sentAt, ...(err ? { err } : {}) });
  }

  private rememberOriginate(p: Pending): void {
    const now = Date.now();
    for (const [id, o] of this.originates) {
      if (o.expires > now && this.originates.size < this.maxOriginates) break;
      this.originates.delete(id); // Map iterates oldest first
    }
    this.originates.set(p.proxyId, { session: p.session, actionId: p.clientId, expires: now + this.originateTtlMs });
  }
}

/** Put the client's ActionID back byte-exactly, or remove ours when it sent none (S22). */
export function restoreId(msg: AmiMessage, idIndex: number, clientId: string | undefined): void {
  if (clientId === undefined) {
    msg.removeLineAt(idIndex);
  } else {
    msg.setLineAt(idIndex, 'ActionID: ' + clientId);
  }
}

function endsWithWillFollow(message: string | undefined): boolean {
  return message !== undefined && message.toLowerCase().endsWith('will follow');
}
