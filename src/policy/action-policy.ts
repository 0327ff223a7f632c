// decideAction(): may this client run this action? Pure; the order is
//
//   1. actions.deny names it                    -> Permission denied: actions.deny (X)
//   2. Login/Logoff/Challenge/Ping/Events/WaitEvent/ListCommands -> allowed
//      (the session answers Login/Logoff/Challenge/Ping before calling this,
//      so step 1 cannot refuse those four: Asterisk always allows them)
//   3. action unknown to the core table and every upstream:
//        allowed only when actions.allow names it -> Permission denied: unknown action (X)
//   4. (write & authority) == 0, authority != 0 -> Permission denied        (S12, exactly as Asterisk)
//   5. actions.allow set and not naming it      -> Permission denied: actions.allow (X)
//   6. Asterisk's in-action checks against the client's write classes (S13), with Asterisk's messages
//   7. commands.deny / commands.allow           -> Permission denied: commands.deny (re) | commands.allow does not match
//   8. originate.applications / originate.contexts -> Permission denied: originate.contexts (ctx) ...
//
// Rules configured in amigate answer `Permission denied: <rule> (<detail>)`;
// denials Asterisk itself would give keep Asterisk's exact text.

import type { AmiMessage } from '../protocol/message.js';
import type { ActionPrivilegeTable } from './action-privileges.js';
import { functionStringAllowed, isBlacklistedCommand, originateAppPermitted, splitCliWords } from './asterisk-guards.js';
import { unsafeRegexReason } from './regex-safety.js';

export type ActionDecision = { allow: true } | { allow: false; rule: string; message: string };

/** A user's compiled action rules (built once per config by compileActionPolicy()). */
export interface ActionPolicy {
  /** Lower-case names; undefined = no allow list. */
  readonly actionsAllow: ReadonlySet<string> | undefined;
  readonly actionsDeny: ReadonlySet<string>;
  readonly commandsAllow: readonly RegExp[] | undefined;
  readonly commandsDeny: readonly RegExp[];
  /** Exact (case-sensitive) context names; undefined = any. */
  readonly originateContexts: ReadonlySet<string> | undefined;
  /** Lower-case application names (pbx_findapp() is case-insensitive); undefined = any. */
  readonly originateApplications: ReadonlySet<string> | undefined;
}

/** What decideAction() needs to know about a user. */
export interface PolicySubject {
  /** Write class mask (manager.conf write=). */
  readonly write: number;
  readonly policy: ActionPolicy;
}

export interface ActionPolicySpec {
  readonly actions?: { readonly allow?: readonly string[] | undefined; readonly deny?: readonly string[] | undefined };
  readonly commands?: { readonly allow?: readonly string[] | undefined; readonly deny?: readonly string[] | undefined };
  readonly originate?: { readonly contexts?: readonly string[] | undefined; readonly applications?: readonly string[] | undefined };
}

/** Actions the proxy answers itself or that only touch the client's own session (authority 0, S14). */
const SESSION_ACTIONS = new Set(['login', 'logoff', 'challenge', 'ping', 'events', 'waitevent', 'listcommands']);

export const PERMISSION_DENIED = 'Permission denied';
/** action_originate(): is_originate_app_permitted() failed. */
export const ORIGINATE_FORBIDDEN = 'Originate Access Forbidden: Please consult the Asterisk documentation for more information.';
/** action_getvar(): SHELL/EVAL without system. */
export const GETVAR_FORBIDDEN = 'GetVar Access Forbidden: Variable';
/** action_status(): SHELL/EVAL in Variables without system. */
export const STATUS_FORBIDDEN = 'Status Access Forbidden: Variables';
/** action_command(): check_blacklist(). */
export const COMMAND_BLACKLISTED = 'Command blacklisted';

/**
 * Command patterns are JavaScript regular expressions, matched case-insensitively
 * (CLI words match with strcasecmp) against the command as the CLI parses it:
 * words joined by single spaces, quotes and backslashes removed (normalizeCliCommand()).
 * Throws SyntaxError for a bad pattern, and for one that may backtrack
 * exponentially (regex-safety.ts: a Command header would freeze every session);
 * the loader reports it with its file position.
 */
export function compileCommandPattern(source: string): RegExp {
  const re = new RegExp(source, 'i');
  const unsafe = unsafeRegexReason(re);
  if (unsafe !== undefined) throw new SyntaxError(`unsafe pattern /${source}/: ${unsafe}`);
  return re;
}

export function compileActionPolicy(spec: ActionPolicySpec): ActionPolicy {
  const lower = (xs: readonly string[]) => new Set(xs.map((x) => x.toLowerCase()));
  return {
    actionsAllow: spec.actions?.allow ? lower(spec.actions.allow) : undefined,
    actionsDeny: lower(spec.actions?.deny ?? []),
    commandsAllow: spec.commands?.allow?.map(compileCommandPattern),
    commandsDeny: (spec.commands?.deny ?? []).map(compileCommandPattern),
    originateContexts: spec.originate?.contexts ? new Set(spec.originate.contexts) : undefined,
    originateApplications: spec.originate?.applications ? lower(spec.originate.applications) : undefined,
  };
}

/** The CLI text patterns are matched against: parse_args() words joined by one space. */
export function normalizeCliCommand(text: string): string {
  return splitCliWords(text).join(' ');
}

const ALLOW: ActionDecision = Object.freeze({ allow: true });

function deny(rule: string, message: string): ActionDecision {
  return { allow: false, rule, message };
}

/** Steps 1-5: may this user run action `name` at all (ListCommands filtering uses this alone)? */
export function decideActionName(user: PolicySubject, name: string, table: ActionPrivilegeTable): ActionDecision {
  const key = name.toLowerCase();
  const p = user.policy;
  if (p.actionsDeny.has(key)) return deny('actions.deny', `${PERMISSION_DENIED}: actions.deny (${name})`);
  if (SESSION_ACTIONS.has(key)) return ALLOW;
  const authority = table.get(name);
  if (authority === undefined) {
    return p.actionsAllow?.has(key) ? ALLOW : deny('actions.unknown', `${PERMISSION_DENIED}: unknown action (${name})`);
  }
  // process_message(): any one of the action's classes is enough (S12).
  if (authority !== 0 && (user.write & authority) === 0) return deny('classes', PERMISSION_DENIED);
  if (p.actionsAllow && !p.actionsAllow.has(key)) return deny('actions.allow', `${PERMISSION_DENIED}: actions.allow (${name})`);
  return ALLOW;
}

/** The full decision for one request. A message without an Action is allowed here; the session answers it (S6). */
export function decideAction(user: PolicySubject, msg: AmiMessage, table: ActionPrivilegeTable): ActionDecision {
  const name = msg.getNonEmpty('Action');
  if (name === undefined) return ALLOW;
  const byName = decideActionName(user, name, table);
  if (!byName.allow) return byName;
  switch (name.toLowerCase()) {
    case 'originate': return decideOriginate(user, msg);
    case 'command': return decideCommand(user, msg);
    case 'getvar': {
      const v = msg.get('Variable');
      return v !== undefined && !functionStringAllowed(v, user.write) ? deny('getvar.permissions', GETVAR_FORBIDDEN) : ALLOW;
    }
    case 'status': {
      const v = msg.get('Variables');
      return v !== undefined && !functionStringAllowed(v, user.write) ? deny('status.permissions', STATUS_FORBIDDEN) : ALLOW;
    }
    default: return ALLOW;
  }
}

function decideCommand(user: PolicySubject, msg: AmiMessage): ActionDecision {
  // astman_get_header(): the first Command header, as Asterisk will run it.
  const raw = msg.get('Command') ?? '';
  const words = splitCliWords(raw);
  if (isBlacklistedCommand(words)) return deny('command.blacklist', COMMAND_BLACKLISTED);
  const text = words.join(' ');
  const p = user.policy;
  for (const re of p.commandsDeny) {
    if (re.test(text)) return deny('commands.deny', `${PERMISSION_DENIED}: commands.deny (${re.source})`);
  }
  if (p.commandsAllow && !p.commandsAllow.some((re) => re.test(text))) {
    return deny('commands.allow', `${PERMISSION_DENIED}: commands.allow does not match`);
  }
  return ALLOW;
}

function decideOriginate(user: PolicySubject, msg: AmiMessage): ActionDecision {
  const app = msg.get('Application') ?? '';
  const data = msg.get('Data') ?? '';
  if (!originateAppPermitted(app, data, user.write)) return deny('originate.permissions', ORIGINATE_FORBIDDEN);
  const p = user.policy;
  if (p.originateContexts === undefined && p.originateApplications === undefined) return ALLOW;
  // action_originate() runs Application when it is non-empty and ignores
  // Context/Exten then; otherwise the call enters the dialplan at Context.
  // With either list configured, the other kind of destination is closed.
  if (app.length > 0) {
    if (!p.originateApplications?.has(app.toLowerCase())) {
      return deny('originate.applications', `${PERMISSION_DENIED}: originate.applications (${app})`);
    }
  } else {
    const context = msg.get('Context') ?? '';
    if (!p.originateContexts?.has(context)) return deny('originate.contexts', `${PERMISSION_DENIED}: originate.contexts (${context})`);
  }
  // A Local channel is a second way into the dialplan: Local/<exten>@<context>[/options].
  if (p.originateContexts !== undefined || p.originateApplications !== undefined) {
    const ctx = localChannelContext(msg.get('Channel') ?? '');
    if (ctx !== undefined && !p.originateContexts?.has(ctx)) {
      return deny('originate.contexts', `${PERMISSION_DENIED}: originate.contexts (${ctx})`);
    }
  }
  return ALLOW;
}

/**
 * The dialplan context a `Local/exten@context/n` channel starts in, or
 * undefined for other technologies. core_local.c: no `@` means `default`.
 */
export function localChannelContext(channel: string): string | undefined {
  const slash = channel.indexOf('/');
  if (slash < 0 || channel.slice(0, slash).toLowerCase() !== 'local') return undefined;
  // local_alloc(): exten and context split at the first '@'; options follow a '/'.
  const rest = channel.slice(slash + 1);
  const at = rest.indexOf('@');
  if (at < 0) return 'default';
  const after = rest.slice(at + 1);
  const opts = after.indexOf('/');
  return opts < 0 ? after : after.slice(0, opts);
}
