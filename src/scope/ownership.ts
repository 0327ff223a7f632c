// Who owns which call, per upstream server (unique ids are only unique within
// one Asterisk). A channel is looked at once, the first time an event or list
// item names it with its Uniqueid: if its name, context or account code
// matches a tenant's scope, that tenant owns the channel's call (its Linkedid),
// and with it every channel of the call (the trunk leg of an outbound call,
// the other half of a Local pair) for the call's life.
//
// Bounded: at most `maxChannels` live channels per server (oldest forgotten
// first; a forgotten channel is unknown again, so its events are withheld:
// fail closed), and the last RECENT hung-up channels and ended calls are kept
// so that the events Asterisk sends after Hangup (Cdr, CEL LINKEDID_END,
// BridgeLeave ordering) still resolve.

import type { ScopeRegistry } from './compile.js';

export const EMPTY: ReadonlySet<number> = new Set<number>();
const RECENT = 4096;

/** One call (Linkedid): the scopes that own it and how many of its channels are alive. */
interface Call {
  readonly linkedid: string;
  readonly owners: Set<number>;
  live: number;
}

interface Chan {
  readonly uid: string;
  readonly name: string;
  readonly context: string | undefined;
  readonly accountcode: string | undefined;
  readonly call: Call;
}

export interface ChannelFacts {
  uid: string;
  name: string | undefined;
  linkedid: string | undefined;
  context: string | undefined;
  accountcode: string | undefined;
}

export class ServerOwnership {
  private readonly live = new Map<string, Chan>();
  private readonly recent = new Map<string, Chan>();
  private readonly byName = new Map<string, Chan>();
  private readonly calls = new Map<string, Call>();
  private readonly endedCalls = new Map<string, Call>();
  private readonly bridges = new Map<string, Set<number>>();

  constructor(private registry: ScopeRegistry, private readonly maxChannels: number) {}

  get channelCount(): number { return this.live.size; }
  get callCount(): number { return this.calls.size; }
  get bridgeCount(): number { return this.bridges.size; }

  /** The first sight of a channel decides its own match; later sights change nothing. */
  learn(f: ChannelFacts): void {
    if (this.live.has(f.uid) || this.recent.has(f.uid)) return;
    const linkedid = f.linkedid ?? f.uid;
    let call = this.calls.get(linkedid);
    if (call === undefined) {
      call = this.endedCalls.get(linkedid) ?? { linkedid, owners: new Set<number>(), live: 0 };
      this.endedCalls.delete(linkedid);
      this.calls.set(linkedid, call);
    }
    const chan: Chan = { uid: f.uid, name: f.name ?? '', context: f.context, accountcode: f.accountcode, call };
    call.live++;
    this.addOwners(chan);
    this.live.set(f.uid, chan);
    if (chan.name !== '') this.byName.set(chan.name.toLowerCase(), chan);
    if (this.live.size > this.maxChannels) {
      const oldest = this.live.values().next().value as Chan;
      this.gone(oldest, false);
    }
  }

  private addOwners(chan: Chan): void {
    this.registry.channelOwners(chan.name, chan.context, chan.accountcode, chan.call.owners);
  }

  /** Owners of the call a channel unique id belongs to (EMPTY when unknown). */
  ownersOfUid(uid: string): ReadonlySet<number> {
    return (this.live.get(uid) ?? this.recent.get(uid))?.call.owners ?? EMPTY;
  }

  /** By name (case-insensitive, as ast_channel_get_by_name()), then by unique id, as Asterisk resolves a Channel header. */
  ownersOfChannel(nameOrUid: string): ReadonlySet<number> {
    const c = this.byName.get(nameOrUid.toLowerCase());
    return c !== undefined ? c.call.owners : this.ownersOfUid(nameOrUid);
  }

  /** Is this channel alive and known (for actions: a live channel only)? */
  liveOwners(nameOrUid: string): ReadonlySet<number> | undefined {
    const c = this.byName.get(nameOrUid.toLowerCase()) ?? this.live.get(nameOrUid);
    return c?.call.owners;
  }

  ownersOfLinkedid(linkedid: string): ReadonlySet<number> {
    return (this.calls.get(linkedid) ?? this.endedCalls.get(linkedid))?.owners ?? EMPTY;
  }

  ownersOfBridge(bridge: string): ReadonlySet<number> {
    return this.bridges.get(bridge) ?? EMPTY;
  }

  /** A channel of owned calls entered a bridge: the bridge is theirs too, until BridgeDestroy. */
  adoptBridge(bridge: string, owners: ReadonlySet<number>): void {
    if (owners.size === 0) return;
    let set = this.bridges.get(bridge);
    if (set === undefined) {
      if (this.bridges.size >= this.maxChannels) this.bridges.delete(this.bridges.keys().next().value as string);
      this.bridges.set(bridge, (set = new Set()));
    }
    for (const o of owners) set.add(o);
  }

  forgetBridge(bridge: string): void { this.bridges.delete(bridge); }

  /** Hangup: the channel stops being live; its call ends when its last channel does. */
  hangup(uid: string): void {
    const c = this.live.get(uid);
    if (c !== undefined) this.gone(c, true);
  }

  private gone(c: Chan, remember: boolean): void {
    this.live.delete(c.uid);
    if (this.byName.get(c.name.toLowerCase()) === c) this.byName.delete(c.name.toLowerCase());
    if (remember) {
      this.recent.set(c.uid, c);
      if (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value as string);
    }
    if (--c.call.live <= 0 && this.calls.get(c.call.linkedid) === c.call) {
      this.calls.delete(c.call.linkedid);
      if (remember) {
        this.endedCalls.set(c.call.linkedid, c.call);
        if (this.endedCalls.size > RECENT) this.endedCalls.delete(this.endedCalls.keys().next().value as string);
      }
    }
  }

  /** A reload changed the scopes: ownership is worked out again from the live channels. */
  rescope(registry: ScopeRegistry): void {
    this.registry = registry;
    for (const call of this.calls.values()) call.owners.clear();
    for (const call of this.endedCalls.values()) call.owners.clear();
    this.bridges.clear();
    for (const c of this.live.values()) this.addOwners(c);
  }

  /** The upstream connection was lost: its channels may be gone; forget everything (fail closed). */
  clear(): void {
    this.live.clear();
    this.recent.clear();
    this.byName.clear();
    this.calls.clear();
    this.endedCalls.clear();
    this.bridges.clear();
  }
}

/** One ServerOwnership per upstream name. */
export class OwnershipTracker {
  private readonly servers = new Map<string, ServerOwnership>();
  constructor(private registry: ScopeRegistry, private readonly maxChannels = 100_000) {}

  get scopes(): ScopeRegistry { return this.registry; }

  server(name: string): ServerOwnership {
    let s = this.servers.get(name);
    if (s === undefined) this.servers.set(name, (s = new ServerOwnership(this.registry, this.maxChannels)));
    return s;
  }

  peek(name: string): ServerOwnership | undefined { return this.servers.get(name); }

  rescope(registry: ScopeRegistry): void {
    this.registry = registry;
    for (const s of this.servers.values()) s.rescope(registry);
  }
}
