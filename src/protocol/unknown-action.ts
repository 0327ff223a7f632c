// The answer to an action no module has registered (main/manager.c
// process_message(): action_find() found nothing). Asterisk decides this before
// any permission check, for every logged-in session, and clients probe for
// modules by this exact text (PJSIPShowEndpoints vs SIPpeers, S12).
//
//   char buf[512];
//   snprintf(buf, sizeof(buf), "Invalid/unknown command: %s. Use Action: ListCommands to show available commands.", action);
//   astman_send_error(s, m, buf);
//
// `action` is the first non-empty Action value (leading blanks skipped,
// trailing ones kept), with the client's spelling. Shared by the proxy and
// the simulator so both write the same bytes.

/** snprintf() into char[512]: at most 511 bytes (lines are byte strings, one char per byte). */
const MAX_BYTES = 511;

export function unknownActionMessage(action: string): string {
  const text = `Invalid/unknown command: ${action}. Use Action: ListCommands to show available commands.`;
  return text.length > MAX_BYTES ? text.slice(0, MAX_BYTES) : text;
}
