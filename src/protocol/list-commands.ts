// The ListCommands reply (main/manager.c action_listcommands()): one header per
// action, `<Action>: <synopsis>  (Priv: <authority_to_str(authority)>)`.
//
//   Response: Success
//   ActionID: 3
//   Originate: Originate a call.  (Priv: originate,all)
//   BridgeKick: Kick a channel from a bridge.  (Priv: <none>)
//
// One parser, here in the protocol layer, so the upstream pool (which reads the
// server's own list at login) and the policy layer (which filters a client's
// list) cannot disagree on what a line means. The pool had its own copy that
// turned an unknown class into 0 = authority 0 = anyone may run the action.

import type { AmiMessage } from './message.js';
import { classBit } from './privileges.js';

export interface ActionPrivilege {
  /** Name as Asterisk registered it (ListCommands spelling). */
  readonly name: string;
  /** Required classes, any of (0 = anyone logged in). */
  readonly mask: number;
}

/**
 * A class name this proxy does not know (a newer Asterisk's) must not turn into
 * authority 0, which anyone may run. It maps to a bit no named class uses, which
 * only write=all users hold (ALL = 0x7fffffff covers it; parsePermString never
 * sets it otherwise).
 */
export const UNKNOWN_CLASS = 1 << 29;

/** Header names action_listcommands() writes that are not action entries. */
const NOT_ACTIONS = new Set(['response', 'actionid', 'message', 'eventlist']);

/** Action (lower-case) -> entry; lines that are not action entries are skipped. */
export function parseListCommands(reply: AmiMessage): Map<string, ActionPrivilege> {
  const out = new Map<string, ActionPrivilege>();
  for (const line of reply.lines) {
    const parsed = parseListCommandsLine(line);
    if (parsed) out.set(parsed.name.toLowerCase(), parsed);
  }
  return out;
}

/**
 * One ListCommands line, or undefined when it is not an action entry (no
 * `(Priv: ...)` suffix, a blank in the name, or a Response/ActionID/Message
 * header whose value happens to end that way).
 */
export function parseListCommandsLine(line: string): ActionPrivilege | undefined {
  const colon = line.indexOf(':');
  if (colon <= 0 || !line.endsWith(')')) return undefined;
  const open = line.lastIndexOf('(Priv:');
  if (open < colon) return undefined;
  const name = line.slice(0, colon);
  if (/\s/.test(name) || NOT_ACTIONS.has(name.toLowerCase())) return undefined;
  return { name, mask: classesToMask(line.slice(open + 6, -1).trim()) };
}

/**
 * `<none>` is authority 0. `all`, which authority_to_str() appends to every
 * non-zero mask, is dropped. Anything else unknown, or a list of nothing but
 * `all`, becomes UNKNOWN_CLASS: never 0.
 */
function classesToMask(classes: string): number {
  if (classes === '<none>') return 0;
  let mask = 0;
  for (const token of classes.split(',')) {
    const t = token.trim();
    if (t === 'all' || t === '') continue;
    mask |= classBit(t) ?? UNKNOWN_CLASS;
  }
  return mask === 0 ? UNKNOWN_CLASS : mask;
}
