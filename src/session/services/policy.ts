// The policy service of a session: may this user run this action, on which
// upstreams, with which event filters, and which ListCommands lines it sees.
// The rules themselves live in policy/; this module applies them to a
// session's user record and the live action-privilege table.

import type { AmiMessage } from '../../protocol/message.js';
import type { UserRecord } from '../../auth/user-store.js';
import type { ActionPrivilegeTable } from '../../policy/action-privileges.js';
import { decideAction } from '../../policy/action-policy.js';
import { filterListCommands } from '../../policy/list-commands.js';
import { compileFilter, EventFilterSet } from '../../policy/event-filter.js';
import type { Decision, FilterSpec, SessionFilters, SessionUser } from '../services.js';

export class PolicyService {
  private readonly privileges: ActionPrivilegeTable;
  /** Every configured upstream (a restart-only setting). */
  private readonly allServers: readonly string[];

  constructor(privileges: ActionPrivilegeTable, allServers: readonly string[]) {
    this.privileges = privileges;
    this.allServers = allServers;
  }

  decide(user: SessionUser, msg: AmiMessage): Decision {
    const rec = user.record as UserRecord;
    // A `Server:` header picks one of the user's upstreams and is stripped (as AstManProxy does).
    const server = msg.get('Server');
    let servers: readonly string[] | undefined;
    if (server !== undefined) {
      if (!this.serversFor(user).includes(server)) return { allow: false, rule: 'upstreams', message: `Permission denied: upstreams (${server})` };
      msg.delete('Server');
      servers = [server];
    }
    // Unknown on every server the user may reach = unknown (Asterisk's answer); known on some = sent only there.
    const d = decideAction(rec, msg, this.privileges, servers ?? this.serversFor(user));
    if (!d.allow) return { allow: false, rule: d.rule, message: d.message };
    servers = d.servers ?? servers;
    return servers ? { allow: true, servers } : { allow: true };
  }

  /** The upstreams a user's action may go to (policy already allowed it). */
  serversFor(user: SessionUser): readonly string[] {
    return (user.record as UserRecord).upstreams ?? this.allServers;
  }

  compileFilters(user: SessionUser, extra: ReadonlyArray<FilterSpec>): SessionFilters {
    const rec = user.record as UserRecord;
    const set = new EventFilterSet();
    for (const spec of rec.eventfilter) set.add(compileFilter(spec));
    for (const spec of extra) set.add(compileFilter(spec));
    return set;
  }

  checkFilter(spec: FilterSpec): void { compileFilter(spec); }

  filterListCommands(user: SessionUser, response: AmiMessage): AmiMessage {
    return filterListCommands(user.record as UserRecord, response, this.privileges);
  }
}
