// Action name -> the write classes it requires (its `authority`), as main/manager.c
// registers them (S12). An action runs when `authority == 0` or
// `(writeperm & authority) != 0` (process_message(): any one class is enough).
// The core table below covers manager.c's own actions; module actions
// (app_queue, res_pjsip, ...) are learned from an upstream ListCommands reply,
// whose lines read `<Action>: <synopsis>  (Priv: <authority_to_str>)` (capture 10).

import { AmiMessage } from '../protocol/message.js';
import { parseListCommands, type ActionPrivilege } from '../protocol/list-commands.js';

export { parseListCommands, parseListCommandsLine, UNKNOWN_CLASS, type ActionPrivilege } from '../protocol/list-commands.js';

const SYSTEM = 1 << 0, CALL = 1 << 1, COMMAND = 1 << 4, USER = 1 << 6, CONFIG = 1 << 7;
const REPORTING = 1 << 9, ORIGINATE = 1 << 12, AOC = 1 << 16;

/** main/manager.c __init_manager() registrations on branch 22, plus app_queue's QueueStatus/QueueSummary (authority 0). */
export const CORE_ACTION_PRIVILEGES: readonly ActionPrivilege[] = [
  // Authority 0: answered by the proxy itself (S14) or harmless.
  ...['Ping', 'Events', 'Logoff', 'Login', 'Challenge', 'ListCommands', 'WaitEvent'].map((name) => ({ name, mask: 0 })),
  { name: 'QueueStatus', mask: 0 },
  { name: 'QueueSummary', mask: 0 },
  { name: 'Hangup', mask: SYSTEM | CALL },
  { name: 'Status', mask: SYSTEM | CALL | REPORTING },
  { name: 'Setvar', mask: CALL },
  { name: 'Getvar', mask: CALL | REPORTING },
  { name: 'GetConfig', mask: SYSTEM | CONFIG },
  { name: 'GetConfigJSON', mask: SYSTEM | CONFIG },
  { name: 'UpdateConfig', mask: CONFIG },
  { name: 'CreateConfig', mask: CONFIG },
  { name: 'ListCategories', mask: CONFIG },
  { name: 'Redirect', mask: CALL },
  { name: 'Atxfer', mask: CALL },
  { name: 'CancelAtxfer', mask: CALL },
  { name: 'BlindTransfer', mask: CALL },
  { name: 'SendText', mask: CALL },
  { name: 'Originate', mask: ORIGINATE },
  { name: 'Command', mask: COMMAND },
  { name: 'UserEvent', mask: USER },
  { name: 'ExtensionState', mask: CALL | REPORTING },
  { name: 'PresenceState', mask: CALL | REPORTING },
  { name: 'AbsoluteTimeout', mask: SYSTEM | CALL },
  { name: 'MailboxStatus', mask: CALL | REPORTING },
  { name: 'MailboxCount', mask: CALL | REPORTING },
  { name: 'CoreSettings', mask: SYSTEM | REPORTING },
  { name: 'CoreStatus', mask: SYSTEM | REPORTING },
  { name: 'CoreShowChannels', mask: SYSTEM | REPORTING },
  { name: 'CoreShowChannelMap', mask: SYSTEM | REPORTING },
  { name: 'LoggerRotate', mask: SYSTEM | REPORTING },
  { name: 'Reload', mask: SYSTEM | CONFIG },
  { name: 'ModuleLoad', mask: SYSTEM },
  { name: 'ModuleCheck', mask: SYSTEM },
  { name: 'AOCMessage', mask: AOC },
  { name: 'Filter', mask: SYSTEM },
];

/**
 * Where an action exists among the servers a request may go to (S12):
 * `known` with the classes each server that has it registered (`absentOn`: the
 * servers whose ListCommands lacks it); `unknown` when every one of them read
 * its list and none has it (Asterisk's `Invalid/unknown command`); `unverified`
 * when none has it and at least one has no list yet (amigate fails closed).
 */
export type ActionLocation =
  | { readonly state: 'known'; readonly masks: readonly number[]; readonly absentOn: readonly string[] }
  | { readonly state: 'unknown' }
  | { readonly state: 'unverified' };

/**
 * Case-insensitive lookup (action_find() uses strcasecmp). Entries learned from
 * an upstream override the core table and accumulate across upstreams, so an
 * action of a module loaded on only one server stays known to get(); each
 * server's own list is kept too, for locate().
 */
export class ActionPrivilegeTable {
  private readonly byName = new Map<string, ActionPrivilege>();
  private readonly core = new Map<string, ActionPrivilege>();
  /** Server name -> its last ListCommands (lower-case keys). */
  private readonly perServer = new Map<string, ReadonlyMap<string, ActionPrivilege>>();

  constructor(core: readonly ActionPrivilege[] = CORE_ACTION_PRIVILEGES) {
    for (const p of core) {
      this.byName.set(p.name.toLowerCase(), p);
      this.core.set(p.name.toLowerCase(), p);
    }
  }

  /** Required classes of `action`, or undefined when neither the core table nor an upstream knows it. */
  get(action: string): number | undefined {
    return this.byName.get(action.toLowerCase())?.mask;
  }

  /** Registered spelling and classes, or undefined. */
  lookup(action: string): ActionPrivilege | undefined {
    return this.byName.get(action.toLowerCase());
  }

  get size(): number { return this.byName.size; }

  /**
   * Merge a ListCommands reply, or an already-parsed map (upstream/pool.ts keeps
   * one per server). The entries also become that server's own list (without
   * `server`: an unnamed one), replacing its previous one, so a module unloaded
   * since its last login no longer counts there. Returns how many entries were read.
   */
  refresh(source: AmiMessage | ReadonlyMap<string, ActionPrivilege> | Iterable<ActionPrivilege>, server?: string): number {
    const entries = source instanceof AmiMessage ? parseListCommands(source).values()
      : source instanceof Map ? (source as ReadonlyMap<string, ActionPrivilege>).values()
        : source as Iterable<ActionPrivilege>;
    const own = new Map<string, ActionPrivilege>();
    let n = 0;
    for (const p of entries) {
      const entry = { name: p.name, mask: p.mask };
      this.byName.set(p.name.toLowerCase(), entry);
      own.set(p.name.toLowerCase(), entry);
      n++;
    }
    this.perServer.set(server ?? '', own);
    return n;
  }

  /**
   * Where `action` exists among `servers` (default: every server whose list was
   * read). A server without a list yet is assumed to have the core table's
   * actions (manager.c registers them in every Asterisk) and nothing else.
   */
  locate(action: string, servers?: readonly string[]): ActionLocation {
    const key = action.toLowerCase();
    const list = servers ?? [...this.perServer.keys()];
    const masks: number[] = [];
    const absentOn: string[] = [];
    let unverified = false;
    for (const server of list) {
      const own = this.perServer.get(server);
      const entry = (own ?? this.core).get(key);
      if (entry !== undefined) masks.push(entry.mask);
      else if (own !== undefined) absentOn.push(server);
      else unverified = true;
    }
    if (list.length === 0) {
      // No list read at all: only the core table is certain.
      const entry = this.core.get(key);
      if (entry !== undefined) masks.push(entry.mask);
      unverified = true;
    }
    if (masks.length > 0) return { state: 'known', masks, absentOn };
    return unverified ? { state: 'unverified' } : { state: 'unknown' };
  }

  entries(): IterableIterator<ActionPrivilege> { return this.byName.values(); }
}
