// May a scoped user run this action (docs/tenants.md, "Actions")? Pure apart
// from Originate's forced `Account:`, which is written into the request.
//
//   unscopeable (action-table.ts, or not in the table) -> refused unless scope.unscopedactions names it
//   every channel header (the table's, plus any header whose name ends in
//   "Channel") must name a live channel of a call the user owns, on the
//   upstream the action goes to (the servers are narrowed to those where it is)
//   queue headers -> scope.queues; context headers -> scope.contexts
//   Originate: no Application, no ChannelId/OtherChannelId, Channel in
//   scope.channels, Context (and a Local channel's @context) in scope.contexts,
//   Account forced to the tenant's account code when scope.accountcodes is set.
//
// Refusals answer `Permission denied: scope.<rule> (<detail>)`, the form of
// every configured amigate rule (action-policy.ts); the text is the same
// whether or not the named channel exists, so nothing leaks through it.

import type { AmiMessage } from '../protocol/message.js';
import { PERMISSION_DENIED, localChannelContext } from '../policy/action-policy.js';
import { anyMatch } from './glob.js';
import type { CompiledScope } from './compile.js';
import { Kind, kindOf } from './header-kinds.js';
import type { OwnershipTracker } from './ownership.js';
import { actionScopeRule } from './action-table.js';

export type ScopeDecision = { allow: true; servers?: readonly string[] } | { allow: false; rule: string; message: string };

const ALLOW: ScopeDecision = Object.freeze({ allow: true });

function deny(rule: string, detail: string): ScopeDecision {
  return { allow: false, rule: `scope.${rule}`, message: `${PERMISSION_DENIED}: scope.${rule} (${detail})` };
}

export function decideScopedAction(scope: CompiledScope, msg: AmiMessage, tracker: OwnershipTracker, servers: readonly string[]): ScopeDecision {
  const action = msg.getNonEmpty('Action');
  if (action === undefined) return ALLOW;
  const rule = actionScopeRule(action);
  switch (rule.kind) {
    case 'session':
    case 'global':
      return ALLOW;
    case 'unscopeable':
      return scope.unscopedActions.has(action.toLowerCase()) ? ALLOW : deny('unscopeable', action);
    case 'originate':
      return decideOriginate(scope, msg);
  }
  for (const h of rule.refuse ?? []) if (nonEmpty(msg.get(h))) return deny('channels', h);
  // Channel headers: the table's, and (safety net) any header named like one.
  const headers = new Set((rule.channels ?? []).map((h) => h.toLowerCase()));
  for (const line of msg.lines) {
    const c = line.indexOf(':');
    if (c > 0 && kindOf(line.slice(0, c)).kind === Kind.Channel) headers.add(line.slice(0, c).toLowerCase());
  }
  const first = rule.channels?.[0];
  if (rule.required && first !== undefined && !nonEmpty(msg.get(first))) {
    // Without it the action reads or writes globals, or every channel.
    if (rule.kind === 'channel' || (rule.kind === 'list' && rule.contexts === undefined)) return deny('channels', `${first} is required`);
  }
  let allowed = servers;
  for (const h of headers) {
    for (const value of msg.getAll(h)) {
      if (value === '') continue;
      if (value.startsWith('/')) return deny('channels', `${h} /regex/`); // Hangup by regex: cannot be checked
      allowed = allowed.filter((s) => tracker.peek(s)?.liveOwners(value)?.has(scope.id) === true);
      if (allowed.length === 0) return deny('channels', value);
    }
  }
  for (const h of rule.uniqueids ?? []) {
    const v = msg.get(h);
    if (!nonEmpty(v)) continue;
    allowed = allowed.filter((s) => tracker.peek(s)?.ownersOfUid(v).has(scope.id) === true);
    if (allowed.length === 0) return deny('channels', v);
  }
  if (rule.queue !== undefined) {
    const v = msg.get(rule.queue);
    if (!nonEmpty(v)) {
      if (rule.queueRequired) return deny('queues', `${rule.queue} is required`);
    } else if (!anyMatch(scope.queues, v)) return deny('queues', v);
  }
  for (const h of rule.contexts ?? []) {
    const v = msg.get(h);
    if (!nonEmpty(v)) {
      if (rule.kind === 'list' && rule.required) return deny('contexts', `${h} is required`);
      continue;
    }
    if (!anyMatch(scope.contexts, v)) return deny('contexts', v);
  }
  return allowed === servers ? ALLOW : { allow: true, servers: allowed };
}

function decideOriginate(scope: CompiledScope, msg: AmiMessage): ScopeDecision {
  if (nonEmpty(msg.get('Application'))) return deny('originate', 'Application');
  for (const h of ['ChannelId', 'OtherChannelId']) if (nonEmpty(msg.get(h))) return deny('originate', h);
  const channel = msg.get('Channel') ?? '';
  if (!anyMatch(scope.channels, channel)) return deny('channels', channel);
  const context = msg.get('Context') ?? '';
  if (!anyMatch(scope.contexts, context)) return deny('contexts', context);
  const local = localChannelContext(channel);
  if (local !== undefined && !anyMatch(scope.contexts, local)) return deny('contexts', local);
  if (scope.accountcodes.length > 0) {
    const account = msg.get('Account');
    if (account === undefined || !anyMatch(scope.accountcodes, account)) {
      if (scope.forcedAccount === undefined) return deny('accountcodes', account ?? 'Account is required');
      // The tenant's account code is forced, so its calls stay recognisable as its own.
      msg.delete('Account');
      msg.append('Account', scope.forcedAccount);
    }
  }
  return ALLOW;
}

function nonEmpty(v: string | undefined): v is string {
  return v !== undefined && v !== '';
}
