// The router: forwards one session's action upstream under a proxy ActionID and
// routes every packet Asterisk sends back to where it belongs.
//
//   forward(session, msg) --ActionID: amg.<s>.<n>--> cluster.send()
//
// Asterisk writes two kinds of packet (docs/protocol.md "Routing"):
//   - broadcasts, manager_event(): always with `Privilege:`, written to every
//     session that reads the class, between actions (S17, S18, S26);
//   - session-directed output, astman_append(): responses, list items and
//     list completions, without `Privilege:` (S19), on the requester's socket.
// So, for a packet from upstream connection C:
//   Response with ActionID amg.<s>.<n>          -> that action's handler
//   event of the list open on C under its ID    -> that action's handler (even
//                                                  with Privilege: Status items say `Privilege: Call`)
//   event with Privilege                        -> onBroadcast(); when it echoes one of our
//                                                  ActionIDs (OriginateResponse, UserEvent, any other)
//                                                  the originator is named while it is known (S25)
//   event without Privilege or ActionID         -> the one action whose list is open on C, else dropped
//   anything else                               -> dropped and counted (stats.dropped): a packet meant
//                                                  for one session never reaches another
//
// Sessions send one action at a time (manager.c handles a session's actions
// strictly in order, S26), so per-client response order holds by construction.
// Every pending action ends exactly once: response, list end, timeout, or the
// loss of the upstream connection it was written on.

import type { AmiMessage } from '../protocol/message.js';
import { ActionTimeoutError, AmigateError, UpstreamClosedError } from '../errors.js';
import { mintActionId, isProxyActionId } from './action-id.js';
import { OriginatorMemory, type Originator } from './originators.js';
import type { UpstreamListener, UpstreamRef } from '../upstream/types.js';

export type { Originator } from './originators.js';

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

export interface RouterHooks {
  /** A broadcast event from `server`; `originator` is set when it carries a known proxy ActionID. */
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
  /** How long any other ended action's ActionID stays mapped for a broadcast that echoes it (UserEvent). @default 30000 */
  recentTtlMs?: number;
  /** Bound on remembered ended actions (oldest forgotten first). @default 10000 */
  maxRecent?: number;
}

/**
 * Why an upstream packet reached nobody:
 *   no-owner  session-directed output no action can own: our ActionID after its
 *             action ended (timeout, upstream loss, closed session), or no
 *             ActionID and not exactly one list open on its connection;
 *   foreign   an ActionID amigate did not mint on a response or a Privilege-less
 *             event (another client of the same login?).
 */
export const ROUTER_DROP_REASONS = ['no-owner', 'foreign'] as const;
export type RouterDropReason = typeof ROUTER_DROP_REASONS[number];

export interface RouterStats {
  dropped: Record<RouterDropReason, number>;
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
  private readonly pending = new Map<string, Pending>();
  /** Async Originates, for their OriginateResponse long after the action completed. */
  private readonly originates: OriginatorMemory;
  /** Every other ended action, for a broadcast that echoes its ActionID a little later. */
  private readonly recent: OriginatorMemory;
  /** Actions whose list is open, per upstream connection (refKey): the only possible owners of an ID-less item. */
  private readonly openLists = new Map<string, Set<Pending>>();
  private seq = 0;
  readonly stats: RouterStats = { dropped: { 'no-owner': 0, foreign: 0 } };

  constructor(upstream: UpstreamSender, hooks: RouterHooks, opts: RouterOptions) {
    this.upstream = upstream;
    this.hooks = hooks;
    this.timeoutMs = opts.actionTimeoutMs;
    this.originates = new OriginatorMemory(opts.originateTtlMs ?? 600_000, opts.maxOriginates ?? 10_000);
    this.recent = new OriginatorMemory(opts.recentTtlMs ?? 30_000, opts.maxRecent ?? 10_000);
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
        this.closeList(p);
      }
    }
    this.originates.dropSession(session);
    this.recent.dropSession(session);
  }

  // --- UpstreamListener -------------------------------------------------------

  message(msg: AmiMessage, from: UpstreamRef): void {
    if (msg.isResponse) this.routeResponse(msg);
    else if (msg.isEvent) this.routeEvent(msg, from);
    else this.drop('no-owner'); // neither Response nor Event: nobody's
  }

  connectionDown(ref: UpstreamRef, err: AmigateError): void {
    for (const p of this.pending.values()) {
      if (sameRef(p.ref, ref)) {
        this.finish(p, 'upstream-lost', err instanceof UpstreamClosedError ? err : new UpstreamClosedError(undefined, { cause: err }));
      }
    }
  }

  serverState(server: string, ready: boolean, reason?: string): void {
    this.hooks.serverState?.(server, ready, reason);
  }

  // --- routing ----------------------------------------------------------------

  private routeResponse(msg: AmiMessage): void {
    const idIndex = msg.indexOf('ActionID');
    const id = idIndex < 0 ? undefined : msg.get('ActionID')!;
    if (id === undefined || !isProxyActionId(id)) {
      // Not ours (another client sharing the login?): it must never reach a
      // client it was not meant for.
      this.drop(id === undefined ? 'no-owner' : 'foreign');
      return;
    }
    const p = this.pending.get(id);
    if (!p) { this.drop('no-owner'); return; } // timed out or its session left: nobody may see it
    restoreId(msg, idIndex, p.clientId);
    p.handler.packet(msg);
    const list = msg.get('EventList');
    if (list !== undefined && list.toLowerCase() === 'start') {
      this.openList(p, 'in-list');
    } else if (msg.get('Response')?.toLowerCase() === 'success' && endsWithWillFollow(msg.get('Message'))) {
      // res_fax FAXSession/FAXStats: "... event will follow" with no EventList, then one event (S23).
      this.openList(p, 'one-event');
    } else {
      this.finish(p, msg.get('Response')?.toLowerCase() === 'error' ? 'error' : 'success');
    }
  }

  private routeEvent(msg: AmiMessage, from: UpstreamRef): void {
    const idIndex = msg.indexOf('ActionID');
    const id = idIndex < 0 ? undefined : msg.get('ActionID')!;
    const ours = id !== undefined && isProxyActionId(id);
    const p = ours ? this.pending.get(id) : undefined;
    if (p !== undefined && p.state !== 'awaiting-response' && sameRef(p.ref, from)) {
      // An item or the completion of the list open on this connection, written
      // straight into the requester's session (S19). Asterisk never writes a
      // broadcast inside a list (S26), so this holds whatever Privilege says.
      this.listPacket(p, msg, idIndex);
      return;
    }
    if (msg.has('Privilege')) {
      this.routeBroadcast(msg, idIndex, ours ? id : undefined, p, from);
      return;
    }
    // Session-directed output (astman_append) that is not an item of the list
    // its ActionID names on this connection.
    if (id !== undefined) { this.drop(ours ? 'no-owner' : 'foreign'); return; }
    // No ActionID (some modules write list items without one): only the one
    // action whose list is open on this connection can own it (S26: a session
    // writes one action's output at a time).
    const open = this.openLists.get(refKey(from));
    if (open === undefined || open.size !== 1) { this.drop('no-owner'); return; }
    const [owner] = open;
    this.listPacket(owner!, msg, -1);
  }

  /** A packet of `p`'s list (or its one "will follow" event). */
  private listPacket(p: Pending, msg: AmiMessage, idIndex: number): void {
    if (idIndex >= 0) restoreId(msg, idIndex, p.clientId);
    p.handler.packet(msg);
    if (p.state === 'one-event' || msg.get('EventList')?.toLowerCase() === 'complete') this.finish(p, 'success');
  }

  /**
   * A manager_event() broadcast. When it echoes one of our ActionIDs, the
   * session that sent the action gets it back while that is known (the action
   * is pending, or ended lately); every other reader, or everyone when the
   * originator is forgotten, gets it without an ActionID (S25). It may even
   * overtake the action's response when it comes on another connection.
   */
  private routeBroadcast(msg: AmiMessage, idIndex: number, id: string | undefined, p: Pending | undefined, from: UpstreamRef): void {
    if (id === undefined) {
      this.hooks.broadcast(msg, from.server, undefined);
      return;
    }
    let originator: Originator | undefined;
    if (p !== undefined) originator = { session: p.session, actionId: p.clientId };
    else {
      originator = this.originates.get(id);
      // Its OriginateResponse ends an async Originate: no need to keep it longer.
      if (originator !== undefined && msg.get('Event')?.toLowerCase() === 'originateresponse') this.originates.delete(id);
      originator ??= this.recent.get(id);
    }
    if (originator === undefined) msg.removeLineAt(idIndex); // a proxy ActionID never reaches a client
    this.hooks.broadcast(msg, from.server, originator);
  }

  private drop(reason: RouterDropReason): void {
    this.stats.dropped[reason]++;
  }

  private openList(p: Pending, state: 'in-list' | 'one-event'): void {
    p.state = state;
    const key = refKey(p.ref);
    let set = this.openLists.get(key);
    if (set === undefined) this.openLists.set(key, (set = new Set()));
    set.add(p);
  }

  private closeList(p: Pending): void {
    if (p.state === 'awaiting-response') return;
    const key = refKey(p.ref);
    const set = this.openLists.get(key);
    if (set === undefined) return;
    set.delete(p);
    if (set.size === 0) this.openLists.delete(key);
  }

  private finish(p: Pending, outcome: ActionOutcome, err?: AmigateError): void {
    if (this.pending.get(p.proxyId) !== p) return;
    clearTimeout(p.timer);
    this.pending.delete(p.proxyId);
    this.closeList(p);
    const originator = { session: p.session, actionId: p.clientId };
    if (p.action.toLowerCase() === 'originate' && outcome === 'success') this.originates.remember(p.proxyId, originator);
    else this.recent.remember(p.proxyId, originator);
    p.handler.done(outcome, { upstream: p.ref.server, upstreamMs: performance.now() - p.sentAt, ...(err ? { err } : {}) });
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

function sameRef(a: UpstreamRef, b: UpstreamRef): boolean {
  return a === b || (a.server === b.server && a.id === b.id && a.generation === b.generation);
}

function refKey(r: UpstreamRef): string {
  return r.server + '\0' + r.id + '\0' + r.generation;
}
