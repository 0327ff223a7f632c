// users.<name>.scope compiled once per configuration: one CompiledScope per
// scoped user, numbered 0..n-1 (the number is what fan-out compares per
// receiver). Users without `scope` get no entry and keep amigate's unscoped
// behaviour. See docs/tenants.md.

import type { Config, ScopeConfig } from '../config/schema.js';
import { anyMatch, compileGlob, GlobIndex, type Glob } from './glob.js';

export interface CompiledScope {
  /** Index in ScopeRegistry.list. */
  readonly id: number;
  /** The user name as configured. */
  readonly user: string;
  readonly channels: readonly Glob[];
  readonly contexts: readonly Glob[];
  readonly accountcodes: readonly Glob[];
  readonly queues: readonly Glob[];
  readonly devices: readonly Glob[];
  /** `other: allow`: events that name no channel, bridge, queue, device or context reach this user. */
  readonly otherAllowed: boolean;
  /** Lower-case action names allowed although their output cannot be scoped. */
  readonly unscopedActions: ReadonlySet<string>;
  /** The account code Originate is given (the first literal of `accountcodes`), if any. */
  readonly forcedAccount: string | undefined;
}

export function compileScope(id: number, user: string, s: ScopeConfig): CompiledScope {
  const ci = (xs: readonly string[]) => xs.map((x) => compileGlob(x, true));
  const cs = (xs: readonly string[]) => xs.map((x) => compileGlob(x, false));
  return Object.freeze({
    id, user,
    channels: ci(s.channels), contexts: cs(s.contexts), accountcodes: cs(s.accountcodes),
    queues: ci(s.queues), devices: ci(s.devices),
    otherAllowed: s.other === 'allow',
    unscopedActions: new Set(s.unscopedactions.map((a) => a.toLowerCase())),
    forcedAccount: s.accountcodes.find((a) => !a.includes('*') && !a.includes('?')),
  });
}

/** Does a channel belong to this scope by its own attributes (name, context or account code)? */
export function channelMatches(s: CompiledScope, name: string, context: string | undefined, accountcode: string | undefined): boolean {
  if (name !== '' && anyMatch(s.channels, name)) return true;
  if (context !== undefined && context !== '' && anyMatch(s.contexts, context)) return true;
  return accountcode !== undefined && accountcode !== '' && anyMatch(s.accountcodes, accountcode);
}

/** Every scoped user of one configuration. */
export class ScopeRegistry {
  readonly list: readonly CompiledScope[];
  private readonly byUser: ReadonlyMap<string, CompiledScope>;
  /** Scope ids with `other: allow`. */
  readonly otherAllowed: ReadonlySet<number>;
  /** Channel ownership indexes: name, context and account code patterns of every scope. */
  private readonly byChannel = new GlobIndex(true);
  private readonly byContext = new GlobIndex(false);
  private readonly byAccount = new GlobIndex(false);

  constructor(config: Pick<Config, 'users'>) {
    const list: CompiledScope[] = [];
    for (const u of Object.values(config.users)) if (u.scope) list.push(compileScope(list.length, u.name, u.scope));
    this.list = list;
    this.byUser = new Map(list.map((s) => [s.user.toLowerCase(), s]));
    this.otherAllowed = new Set(list.filter((s) => s.otherAllowed).map((s) => s.id));
    for (const s of list) {
      for (const g of s.channels) this.byChannel.add(s.id, g.source);
      for (const g of s.contexts) this.byContext.add(s.id, g.source);
      for (const g of s.accountcodes) this.byAccount.add(s.id, g.source);
    }
  }

  /** Add the scopes a channel belongs to by its own attributes (channelMatches() for every scope, indexed). */
  channelOwners(name: string, context: string | undefined, accountcode: string | undefined, out: Set<number>): void {
    this.byChannel.collect(name, out);
    if (context !== undefined) this.byContext.collect(context, out);
    if (accountcode !== undefined) this.byAccount.collect(accountcode, out);
  }

  get size(): number { return this.list.length; }

  /** The scope of a user (case-insensitive name), or undefined for an unscoped user. */
  forUser(name: string): CompiledScope | undefined { return this.byUser.get(name.toLowerCase()); }
}
