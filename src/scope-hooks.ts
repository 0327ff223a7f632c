// [scope] The tenant scoping hooks around the session services (docs/tenants.md):
// a logged-in user gets its scope id, a policy decision is narrowed to the
// user's scope, list replies are cut to it. Part of the composition root:
// proxy.ts wraps SessionServices.login/decide/forward with these.

import type { AmiMessage } from './protocol/message.js';
import type { ReplyHandler } from './router/router.js';
import type { Decision, SessionUser } from './session/services.js';
import type { PolicyService } from './session/services/policy.js';
import type { TenantScopes } from './scope/tenant-scopes.js';

export class ScopeHooks {
  /** `userOf` names the user of a live session (undefined before login or after close). */
  constructor(private readonly scopes: TenantScopes, private readonly userOf: (session: number) => string | undefined) {}

  /** The session's user with its scope id (fan-out reads it). */
  scoped(user: SessionUser): SessionUser {
    const id = this.scopes.scopeOf(user.name)?.id;
    return id === undefined ? user : { ...user, scopeId: id };
  }

  /** After the policy: a scoped user's action must stay inside its scope (may narrow the upstreams). */
  decision(d: Decision, user: SessionUser, msg: AmiMessage, policy: PolicyService): Decision {
    if (!d.allow) return d;
    const sd = this.scopes.decide(user.name, msg, d.servers ?? policy.serversFor(user));
    if (!sd.allow) return sd;
    return sd.servers ? { allow: true, servers: sd.servers } : d;
  }

  /** A scoped user's list replies are cut to its scope, with ListItems kept in step. */
  replies(session: number, handler: ReplyHandler, servers: readonly string[]): ReplyHandler {
    const name = this.userOf(session);
    return name === undefined ? handler : this.scopes.replies(name, handler, servers);
  }
}
