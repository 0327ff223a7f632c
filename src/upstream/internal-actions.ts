// amigate's own actions on an upstream connection (Challenge, Login, Ping,
// Events, ListCommands, Logoff). Their ActionIDs carry the reserved prefix
// `amigate-int-`, and each reply goes to the callback that sent the action,
// never to the router. This holds those callbacks for one connection, over all
// its generations (the connection fails them when a socket goes).

import { AmiMessage } from '../protocol/message.js';
import { AmigateError, UpstreamClosedError, UpstreamProtocolError } from '../errors.js';

export const INTERNAL_ACTION_ID_PREFIX = 'amigate-int-';

export function isInternalActionId(id: string | undefined): boolean {
  return id !== undefined && id.startsWith(INTERNAL_ACTION_ID_PREFIX);
}

/** The reply to one of our own actions, or why there will be none. */
export type InternalCallback = (reply: AmiMessage | undefined, err: AmigateError | undefined) => void;

interface Armed { cb: InternalCallback; timer: NodeJS.Timeout | undefined }

export class InternalActions {
  private readonly armed = new Map<string, Armed>();
  private seq = 0;

  /**
   * The packet of one of our own actions (ActionID second), its callback armed,
   * with a timer when `timeoutMs` is given. Undefined when the packet cannot be
   * built (a value that would break framing); `cb` has been told then.
   */
  open(pairs: ReadonlyArray<readonly [string, string]>, cb: InternalCallback, timeoutMs?: number): AmiMessage | undefined {
    const id = INTERNAL_ACTION_ID_PREFIX + (++this.seq);
    let msg: AmiMessage;
    try {
      msg = AmiMessage.from([pairs[0]!, ['ActionID', id], ...pairs.slice(1)]);
    } catch (err) {
      cb(undefined, err instanceof AmigateError ? err : new UpstreamProtocolError(String(err)));
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        // The reply may still come; it is consumed by its prefix and dropped.
        this.armed.delete(id);
        cb(undefined, new UpstreamClosedError(`no reply to ${pairs[0]![1]} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
    }
    this.armed.set(id, { cb, timer });
    return msg;
  }

  /** A Response with our prefix: to its callback (one whose callback timed out is dropped). */
  reply(id: string, msg: AmiMessage): void {
    const c = this.armed.get(id);
    if (c) {
      this.armed.delete(id);
      clearTimeout(c.timer);
      c.cb(msg, undefined);
    }
  }

  /** The socket is gone: every armed callback, disarmed here and failed later with fail(). */
  detach(): Armed[] {
    const all = [...this.armed.values()];
    this.armed.clear();
    return all;
  }
}

/** Tell the callbacks detach() returned that no reply will come. */
export function failInternal(detached: readonly Armed[], err: AmigateError): void {
  for (const c of detached) {
    clearTimeout(c.timer);
    c.cb(undefined, err);
  }
}
