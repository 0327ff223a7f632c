// Tenant scoping as the proxy uses it (docs/tenants.md): the compiled scopes,
// the per-upstream ownership tracker, the event predicate, the action check
// and the list filter behind one object. proxy.ts holds one, hands it to
// fan-out as its ScopeGate, and asks it about actions and replies.

import type { AmiMessage } from '../protocol/message.js';
import type { Config } from '../config/schema.js';
import type { ReplyHandler } from '../router/router.js';
import { ScopeRegistry, type CompiledScope } from './compile.js';
import { EventScoper, type ScopeView } from './event-scope.js';
import { OwnershipTracker } from './ownership.js';
import { decideScopedAction, type ScopeDecision } from './action-scope.js';
import { scopedReplies, type ListFilterStats } from './list-filter.js';

export interface ScopeStats extends ListFilterStats {
  /** Broadcast events seen by the tracker. */
  observed: number;
}

export class TenantScopes {
  private registry: ScopeRegistry;
  private scoper: EventScoper;
  readonly tracker: OwnershipTracker;
  readonly stats: ScopeStats = { observed: 0, listItemsWithheld: 0 };

  constructor(config: Pick<Config, 'users'>, maxChannels?: number) {
    this.registry = new ScopeRegistry(config);
    this.scoper = new EventScoper(this.registry);
    this.tracker = new OwnershipTracker(this.registry, maxChannels);
  }

  /** Any scoped user configured? Without one, nothing is tracked. */
  get active(): boolean { return this.registry.size > 0; }

  reload(config: Pick<Config, 'users'>): void {
    this.registry = new ScopeRegistry(config);
    this.scoper = new EventScoper(this.registry);
    this.tracker.rescope(this.registry);
  }

  scopeOf(user: string): CompiledScope | undefined { return this.registry.forUser(user); }

  /**
   * fan-out's ScopeGate: called once per broadcast event, before any receiver
   * is looked at, whether or not a scoped session is connected (ownership must
   * be known when one logs in later).
   */
  observe(event: AmiMessage, server: string): ScopeView | undefined {
    if (this.registry.size === 0) return undefined;
    this.stats.observed++;
    return this.scoper.view(event, this.tracker.server(server), true);
  }

  /** The action check for a scoped user; undefined scope = unscoped user, always allowed here. */
  decide(user: string, msg: AmiMessage, servers: readonly string[]): ScopeDecision {
    const scope = this.registry.forUser(user);
    if (scope === undefined) return { allow: true };
    return decideScopedAction(scope, msg, this.tracker, servers);
  }

  /** Wrap the reply handler of a scoped user's action with the list filter. */
  replies(user: string, handler: ReplyHandler, servers: readonly string[]): ReplyHandler {
    const scope = this.registry.forUser(user);
    if (scope === undefined) return handler;
    return scopedReplies(handler, scope.id, this.scoper, this.tracker, this.stats, servers[0] ?? '');
  }

  /** An upstream went down: its channels may have changed unseen; forget them (fail closed). */
  serverDown(server: string): void { this.tracker.peek(server)?.clear(); }
}
