// Response text as main/manager.c writes it (astman_send_response_full(),
// astman_start_ack(), astman_send_listack(), astman_send_list_complete*()):
//
//   Response: <Success|Error|Goodbye>\r\n
//   ActionID: <first ActionID header, if non-empty>\r\n     (S22)
//   [EventList: start\r\n]
//   Message: <text>\r\n
//   \r\n
//
// An action's whole output is collected in ActionContext.out and written once.

import type { AmiMessage } from '../protocol/message.js';
import type { EventFilterSet } from '../policy/event-filter.js';
import type { SimPbx } from './pbx.js';
import type { CompiledUser } from './users.js';

/** The addresses of the connection a request came on (a net.Socket fits). */
export interface SimPeer {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
}

/** What action handlers use of a session: an AMI socket (session.ts) or an HTTP session (http-session.ts). */
export interface SimActionSession {
  readonly socket: SimPeer;
  /** `0x7f...`: the mansession pointer SuccessfulAuth prints as SessionID. */
  readonly sessionId: string;
  readonly authenticated: boolean;
  readonly username: string | undefined;
  readonly user: CompiledUser | undefined;
  readonly readperm: number;
  readonly writeperm: number;
  sendEvents: number;
  filters: EventFilterSet;
  challenge: string | undefined;
  login(user: CompiledUser, events: string | undefined): void;
  /** A timer that dies with the session. */
  delay(ms: number): Promise<void>;
}

export type ActionResult = void | 'close';

export interface ActionContext {
  readonly pbx: SimPbx;
  readonly session: SimActionSession;
  readonly msg: AmiMessage;
  /** `ActionID: x\r\n`, or '' when the request had none (or an empty one). */
  readonly idLine: string;
  /** The text of this action's single socket write. */
  out: string;
}

export type ActionHandler = (ctx: ActionContext) => ActionResult | Promise<ActionResult>;

export function idLineOf(msg: AmiMessage): string {
  const id = msg.get('ActionID');
  return id ? `ActionID: ${id}\r\n` : '';
}

/** astman_send_response_full() with a message. */
export function respond(ctx: ActionContext, status: string, message: string): void {
  ctx.out += `Response: ${status}\r\n${ctx.idLine}Message: ${message}\r\n\r\n`;
}

export function ack(ctx: ActionContext, message: string): void { respond(ctx, 'Success', message); }
export function error(ctx: ActionContext, message: string): void { respond(ctx, 'Error', message); }

/** astman_start_ack(): headers follow, the caller ends the message. */
export function startAck(ctx: ActionContext): void {
  ctx.out += `Response: Success\r\n${ctx.idLine}`;
}

/** astman_send_listack(): `EventList: start` and "<X> will follow". */
export function listAck(ctx: ActionContext, message: string): void {
  ctx.out += `Response: Success\r\n${ctx.idLine}EventList: start\r\nMessage: ${message}\r\n\r\n`;
}

/** astman_send_list_complete_start() + extra lines + astman_send_list_complete_end(). */
export function listComplete(ctx: ActionContext, event: string, count: number, extra = ''): void {
  ctx.out += `Event: ${event}\r\n${ctx.idLine}EventList: Complete\r\nListItems: ${count}\r\n${extra}\r\n`;
}
