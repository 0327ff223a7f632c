// Proxy ActionIDs: every forwarded action carries `amg.<session>.<seq>` (base 36)
// upstream, unique across sessions for the life of the process. At most 64
// characters, because some Asterisk handlers copy ActionID into fixed buffers
// (app_confbridge id_text[80], manager.c idText[150]) and truncate longer ones,
// corrupting the packet (S22). Clients never see these IDs.

export const PROXY_ID_PREFIX = 'amg.';
export const MAX_ACTION_ID_LENGTH = 64;

export function mintActionId(session: number, seq: number): string {
  return PROXY_ID_PREFIX + session.toString(36) + '.' + seq.toString(36);
}

/** True when `id` has the proxy's form (cheap prefix check for the hot path). */
export function isProxyActionId(id: string): boolean {
  return id.startsWith(PROXY_ID_PREFIX);
}

/** The session number inside a proxy ActionID, or undefined when it is not one of ours. */
export function sessionOfActionId(id: string): number | undefined {
  if (!id.startsWith(PROXY_ID_PREFIX)) return undefined;
  const dot = id.indexOf('.', PROXY_ID_PREFIX.length);
  if (dot < 0) return undefined;
  const n = Number.parseInt(id.slice(PROXY_ID_PREFIX.length, dot), 36);
  return Number.isSafeInteger(n) ? n : undefined;
}
