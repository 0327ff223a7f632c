// ListCommands through the proxy (S14): the upstream answers for its own
// write=all login, so its list is cut down to the actions this client may run
// (decideActionName(): classes, actions.allow/deny). Header lines that are not
// action entries (Response, ActionID, Message) stay in place; order is kept.

import { AmiMessage } from '../protocol/message.js';
import { decideActionName, type PolicySubject } from './action-policy.js';
import { parseListCommandsLine, type ActionPrivilegeTable } from './action-privileges.js';

export function filterListCommands(user: PolicySubject, response: AmiMessage, table: ActionPrivilegeTable): AmiMessage {
  const kept: string[] = [];
  for (const line of response.lines) {
    const entry = parseListCommandsLine(line);
    if (entry === undefined || decideActionName(user, entry.name, table).allow) kept.push(line);
  }
  const out = new AmiMessage(kept, response.body);
  out.fault = response.fault;
  return out;
}
