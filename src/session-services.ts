// The one SessionServices every session is given, whatever its transport:
// login, policy and forwarding (session/services/*, with the [scope] hooks
// around them) and the proxy's general settings, read live so a reload applies.
// Part of the composition root: proxy.ts builds it once.

import type { GeneralConfig } from './config/schema.js';
import type { SessionObservation, SessionServices } from './session/services.js';
import type { LoginService } from './session/services/login.js';
import type { PolicyService } from './session/services/policy.js';
import type { ForwardingService } from './session/services/forwarding.js';
import type { ScopeHooks } from './scope-hooks.js';

export interface SessionServicesDeps {
  general(): GeneralConfig;
  banner(): string;
  readonly logins: LoginService;
  readonly policy: PolicyService;
  readonly forwarding: ForwardingService;
  readonly scope: ScopeHooks;
  fullyBooted(): { uptime: number; lastReload: number } | undefined;
  observe(ev: SessionObservation): void;
}

export function sessionServices(d: SessionServicesDeps): SessionServices {
  const { general, logins, policy, forwarding, scope } = d;
  return {
    banner: () => d.banner(),
    get authTimeoutMs() { return general().authtimeout * 1000; },
    get maxQueueBytes() { return general().maxqueuebytes; },
    get maxPendingActions() { return general().maxpendingactions; },
    get maxLineBytes() { return general().maxlinebytes; },
    get maxHeaders() { return general().maxheaders; },
    login: async (req) => { const r = await logins.login(req); return r.ok ? { ok: true, user: scope.scoped(r.user) } : r; }, // [scope]
    challengeAllowed: (username) => logins.challengeAllowed(username),
    decide: (user, msg) => scope.decision(policy.decide(user, msg), user, msg, policy), // [scope]
    compileFilters: (user, extra) => policy.compileFilters(user, extra),
    checkFilter: (spec) => policy.checkFilter(spec),
    forward: (session, msg, servers, handler) => forwarding.forward(session, msg, servers, scope.replies(session.id, handler, servers)), // [scope]
    filterListCommands: (user, response) => policy.filterListCommands(user, response),
    serversFor: (user) => policy.serversFor(user),
    fullyBooted: () => d.fullyBooted(),
    observe: (ev) => d.observe(ev),
  };
}
