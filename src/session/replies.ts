// The replies a session writes itself, built as Asterisk builds them
// (main/manager.c astman_send_response_full(), S21): byte for byte what
// Asterisk would answer in the same case.

import { AmiMessage } from '../protocol/message.js';

/** Response, then ActionID if the request had one, then Message. */
export function replyMessage(actionId: string | undefined, response: string, message: string): AmiMessage {
  const lines = ['Response: ' + response];
  if (actionId !== undefined) lines.push('ActionID: ' + actionId);
  lines.push('Message: ' + message);
  return new AmiMessage(lines);
}

/** A response whose first pair is Response:, with the request's ActionID second. */
export function responseFor(req: AmiMessage, pairs: Array<[string, string]>): AmiMessage {
  const m = AmiMessage.from(pairs);
  // The client's ActionID is echoed raw, as Asterisk does: a lone CR is legal
  // inside a value (S2), so it must not go through the injection check.
  const id = req.actionId();
  if (id !== undefined) m.lines.splice(1, 0, 'ActionID: ' + id);
  return m;
}
