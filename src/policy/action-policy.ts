// decideAction(): may this client run this action? Pure; the order is
//
//   1. Login/Logoff/Challenge/Ping/Events/WaitEvent/ListCommands -> allowed unless actions.deny names it
//      (the session answers Login/Logoff/Challenge/Ping before calling this:
//      Asterisk always allows them)
//   2. not registered on any of the servers the request may go to (their ListCommands), unless actions.allow names it:
//        every server's list read -> Invalid/unknown command: X. Use Action: ListCommands ... (Asterisk's text;
//                                    process_message() decides this before any permission check)
//        some list not read yet   -> Permission denied: action list not loaded (X) (fail closed)
//      registered on some of them only -> allowed, narrowed to those servers
//   3. actions.deny names it                    -> Permission denied: actions.deny (X)
//   4. (write & authority) == 0, authority != 0 -> Permission denied        (S12, exactly as Asterisk)
//   5. actions.allow set and not naming it      -> Permission denied: actions.allow (X)
//   6. Asterisk's in-action checks against the client's write classes (S13), with Asterisk's messages
//   7. ${ / $[ or a system-only function in Originate/Setvar/Getvar/Status, without system
//      and without expressions: allow         -> Permission denied: expressions (Header)
//   8. commands.deny / commands.allow           -> Permission denied: commands.deny (re) | commands.allow does not match
//   9. originate.applications / originate.contexts -> Permission denied: originate.contexts (ctx) ...
//
// Rules configured in amigate answer `Permission denied: <rule> (<detail>)`;
// denials Asterisk itself would give keep Asterisk's exact text.

import type { AmiMessage } from '../protocol/message.js';
import type { ActionPrivilegeTable } from './action-privileges.js';
import { functionStringAllowed, isBlacklistedCommand, originateAppPermitted, splitCliWords } from './asterisk-guards.js';
import { expressionHeader } from './expression-guard.js';
import { unsafeRegexReason } from './regex-safety.js';
import { unknownActionMessage } from '../protocol/unknown-action.js';

/** `servers`: the request may go only to these (the action is registered there and not on the others). */
export type ActionDecision = { allow: true; servers?: readonly string[] } | { allow: false; rule: string; message: string };

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
  /** users.<name>.expressions: allow — only Asterisk's own S13 checks for `${`, `$[` and functions. */
  readonly allowExpressions: boolean;
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
  readonly expressions?: 'allow' | 'deny' | undefined;
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
    allowExpressions: spec.expressions === 'allow',
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

/**
 * Steps 1-5: may this user run action `name` at all (ListCommands filtering uses
 * this alone)? `servers`: where the request may go (default: every server whose
 * ListCommands was read).
 */
export function decideActionName(user: PolicySubject, name: string, table: ActionPrivilegeTable, servers?: readonly string[]): ActionDecision {
  const key = name.toLowerCase();
  const p = user.policy;
  if (SESSION_ACTIONS.has(key)) {
    return p.actionsDeny.has(key) ? deny('actions.deny', `${PERMISSION_DENIED}: actions.deny (${name})`) : ALLOW;
  }
  const where = table.locate(name, servers);
  if (where.state !== 'known') {
    // An action the admin names explicitly goes to Asterisk, which answers for itself
    // (a module loaded after amigate read the list). No class check is possible.
    if (p.actionsAllow?.has(key) && !p.actionsDeny.has(key)) return ALLOW;
    return where.state === 'unknown'
      ? deny('actions.unknown', unknownActionMessage(name))
      : deny('actions.unverified', `${PERMISSION_DENIED}: action list not loaded (${name})`);
  }
  if (p.actionsDeny.has(key)) return deny('actions.deny', `${PERMISSION_DENIED}: actions.deny (${name})`);
  // process_message(): any one of the action's classes is enough (S12); where
  // servers register it with different classes, the user must pass on each.
  if (where.masks.some((authority) => authority !== 0 && (user.write & authority) === 0)) return deny('classes', PERMISSION_DENIED);
  if (p.actionsAllow && !p.actionsAllow.has(key)) return deny('actions.allow', `${PERMISSION_DENIED}: actions.allow (${name})`);
  if (servers !== undefined && where.absentOn.length > 0) return { allow: true, servers: servers.filter((s) => !where.absentOn.includes(s)) };
  return ALLOW;
}

/**
 * The full decision for one request. A message without an Action is allowed
 * here; the session answers it (S6). `servers` as for decideActionName().
 */
export function decideAction(user: PolicySubject, msg: AmiMessage, table: ActionPrivilegeTable, servers?: readonly string[]): ActionDecision {
  const name = msg.getNonEmpty('Action');
  if (name === undefined) return ALLOW;
  const byName = decideActionName(user, name, table, servers);
  if (!byName.allow) return byName;
  const key = name.toLowerCase();
  const guard = asteriskGuard(user, key, msg);
  if (guard !== undefined) return guard;
  const header = expressionHeader(user.write, user.policy.allowExpressions, key, msg);
  if (header !== undefined) return deny('expressions', `${PERMISSION_DENIED}: expressions (${header})`);
  const rules = key === 'originate' ? originateRules(user, msg) : key === 'command' ? commandRules(user, msg) : ALLOW;
  return rules.allow ? byName : rules;
}

/** Step 6: the checks Asterisk makes inside the action (S13), with its messages. */
function asteriskGuard(user: PolicySubject, key: string, msg: AmiMessage): ActionDecision | undefined {
  switch (key) {
    case 'originate':
      return originateAppPermitted(msg.get('Application') ?? '', msg.get('Data') ?? '', user.write) ? undefined : deny('originate.permissions', ORIGINATE_FORBIDDEN);
    case 'command':
      // astman_get_header(): the first Command header, as Asterisk will run it.
      return isBlacklistedCommand(splitCliWords(msg.get('Command') ?? '')) ? deny('command.blacklist', COMMAND_BLACKLISTED) : undefined;
    case 'getvar': {
      const v = msg.get('Variable');
      return v !== undefined && !functionStringAllowed(v, user.write) ? deny('getvar.permissions', GETVAR_FORBIDDEN) : undefined;
    }
    case 'status': {
      const v = msg.get('Variables');
      return v !== undefined && !functionStringAllowed(v, user.write) ? deny('status.permissions', STATUS_FORBIDDEN) : undefined;
    }
    default: return undefined;
  }
}

/** Step 8: the user's commands rules, over the CLI words of the first Command header. */
function commandRules(user: PolicySubject, msg: AmiMessage): ActionDecision {
  const text = splitCliWords(msg.get('Command') ?? '').join(' ');
  const p = user.policy;
  for (const re of p.commandsDeny) {
    if (re.test(text)) return deny('commands.deny', `${PERMISSION_DENIED}: commands.deny (${re.source})`);
  }
  if (p.commandsAllow && !p.commandsAllow.some((re) => re.test(text))) {
    return deny('commands.allow', `${PERMISSION_DENIED}: commands.allow does not match`);
  }
  return ALLOW;
}

/** Step 9: the user's originate rules. */
function originateRules(user: PolicySubject, msg: AmiMessage): ActionDecision {
  const app = msg.get('Application') ?? '';
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
