// `allowget: false` on an HTTP listener: actions that change state must come as
// POST, so that a link, an <img> or a prefetch in a browser cannot run them.
// Only these read-only actions (case-insensitive) stay allowed through GET and
// HEAD; everything else, Login included (its secret would sit in the URL and in
// browser history), is refused with 405. Fail closed: an action not listed here
// is treated as state-changing.

import { HttpRequestError } from '../errors.js';

export const GET_SAFE_ACTIONS: ReadonlySet<string> = new Set([
  'ping', 'waitevent', 'listcommands', 'challenge', 'coreshowchannels', 'corestatus', 'coresettings',
  'status', 'queuestatus', 'queuesummary', 'getvar', 'getconfig', 'getconfigjson', 'showdialplan',
  'extensionstate', 'mailboxcount', 'mailboxstatus', 'devicestatelist', 'presencestatelist',
  'bridgelist', 'bridgeinfo', 'parkedcalls', 'parkinglots', 'agents', 'queues', 'coreshowchannelmap',
]);

/** Whether `action` may run through GET/HEAD when the listener says `allowget: false`. */
export function allowedThroughGet(action: string | undefined): boolean {
  // No action runs nothing: let it reach the session for its `Missing action in request`.
  return action === undefined || action === '' || GET_SAFE_ACTIONS.has(action.toLowerCase());
}

/** 405 for a state-changing action sent through GET on an `allowget: false` listener. */
export function getRefused(): HttpRequestError {
  return new HttpRequestError(405, 'Method Not Allowed', 'This action must be sent with POST.');
}
