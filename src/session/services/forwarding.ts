// The forwarding service of a session: an allowed action goes to the router,
// or, when none of its upstreams is ready and general.upstreamwait is set, is
// parked until one is (then sent) or until the wait ends (then answered with
// an error). Every parked action ends exactly once.

import type { AmiMessage } from '../../protocol/message.js';
import type { ReplyHandler, Router } from '../../router/router.js';
import { UpstreamOverloadedError, UpstreamUnavailableError, type AmigateError } from '../../errors.js';

/** An action held by general.upstreamwait until one of its servers is ready. */
interface Parked {
  session: number;
  msg: AmiMessage;
  servers: readonly string[];
  handler: ReplyHandler;
  timer: NodeJS.Timeout;
}

export interface ForwardingOptions {
  router: Router;
  isReady(server: string): boolean;
  /** general.upstreamwait in ms, read per action (reloadable). */
  upstreamWaitMs(): number;
  /** The router refused an action: the upstream's pending table is full. */
  onOverload(): void;
}

export class ForwardingService {
  private readonly opts: ForwardingOptions;
  private readonly parked = new Set<Parked>();

  constructor(opts: ForwardingOptions) {
    this.opts = opts;
  }

  /** Throws AmigateError when no upstream can take it (the session answers the client). */
  forward(session: { readonly id: number }, msg: AmiMessage, servers: readonly string[], handler: ReplyHandler): void {
    if (servers.length === 0) throw new UpstreamUnavailableError();
    const wait = this.opts.upstreamWaitMs();
    if (wait > 0 && !servers.some((s) => this.opts.isReady(s))) {
      const entry: Parked = {
        session: session.id, msg, servers, handler,
        timer: setTimeout(() => {
          this.parked.delete(entry);
          handler.done('error', { upstream: servers[0]!, upstreamMs: 0, err: new UpstreamUnavailableError(`Upstream ${servers.join(', ')} is not available`) });
        }, wait),
      };
      this.parked.add(entry);
      return;
    }
    try {
      this.opts.router.forward(session.id, msg, servers, handler);
    } catch (err) {
      if (err instanceof UpstreamOverloadedError) this.opts.onOverload();
      throw err;
    }
  }

  /** Send the actions parked for `server` now that it is ready. */
  unpark(server: string): void {
    for (const p of this.parked) {
      if (!p.servers.includes(server)) continue;
      this.parked.delete(p);
      clearTimeout(p.timer);
      try {
        this.opts.router.forward(p.session, p.msg, p.servers, p.handler);
      } catch (err) {
        p.handler.done('error', { upstream: server, upstreamMs: 0, err: err as AmigateError });
      }
    }
  }

  /** A session closed: its parked actions go without an answer. */
  dropSession(id: number): void {
    for (const p of this.parked) if (p.session === id) { clearTimeout(p.timer); this.parked.delete(p); }
  }
}
