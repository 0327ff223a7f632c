// Which scoped users may see one event or list item. Worked out once per
// packet, never once per receiver:
//
//   1. one pass over the header lines classifies every header (header-kinds.ts);
//   2. channel blocks with a Uniqueid teach the ownership tracker about
//      channels it has not seen (first sight decides, ownership.ts);
//   3. the packet's visibility is fixed from what it names, most specific first:
//        names a channel, unique id or linked id -> every one of them must be owned
//        else names a bridge                       -> every bridge must be owned
//        else names a queue                        -> the queue must be in scope
//        else names a device or a context          -> devices all in scope, or contexts all in scope
//        else                                      -> `other: allow`
//      Anything named but unknown is owned by nobody (fail closed).
//   4. bookkeeping that must follow the decision (Hangup, BridgeDestroy).

import type { AmiMessage } from '../protocol/message.js';
import { valueAt } from '../protocol/message.js';
import { anyMatch, type Glob } from './glob.js';
import type { CompiledScope, ScopeRegistry } from './compile.js';
import { isPlaceholder, Kind, kindOf } from './header-kinds.js';
import { EMPTY, type ChannelFacts, type ServerOwnership } from './ownership.js';

/** The decision for one packet; allows() is a few Set lookups. */
export interface ScopeView {
  allows(scopeId: number): boolean;
}

const NOBODY: ScopeView = { allows: () => false };

class OwnersView implements ScopeView {
  constructor(private readonly sets: ReadonlyArray<ReadonlySet<number>>) {}
  allows(id: number): boolean {
    for (const s of this.sets) if (!s.has(id)) return false;
    return true;
  }
}

class EitherView implements ScopeView {
  constructor(private readonly a: ScopeView | undefined, private readonly b: ScopeView | undefined) {}
  allows(id: number): boolean { return (this.a?.allows(id) ?? false) || (this.b?.allows(id) ?? false); }
}

interface Block { channel?: string; uid?: string; linkedid?: string; context?: string; accountcode?: string }

/**
 * Per-value memo of "which scopes match this queue/device/context name", so a
 * busy queue's events cost one Map lookup. Bounded; rebuilt on reload.
 */
class MatchMemo {
  private readonly memo = new Map<string, ReadonlySet<number>>();
  constructor(private readonly registry: ScopeRegistry, private readonly pick: (s: CompiledScope) => readonly Glob[]) {}
  owners(value: string): ReadonlySet<number> {
    let set = this.memo.get(value);
    if (set === undefined) {
      const ids = new Set<number>();
      for (const s of this.registry.list) if (anyMatch(this.pick(s), value)) ids.add(s.id);
      set = ids.size === 0 ? EMPTY : ids;
      if (this.memo.size >= 10_000) this.memo.clear();
      this.memo.set(value, set);
    }
    return set;
  }
}

export class EventScoper {
  private readonly queues: MatchMemo;
  private readonly devices: MatchMemo;
  private readonly contexts: MatchMemo;
  private readonly other: ScopeView;

  constructor(readonly registry: ScopeRegistry) {
    this.queues = new MatchMemo(registry, (s) => s.queues);
    this.devices = new MatchMemo(registry, (s) => s.devices);
    this.contexts = new MatchMemo(registry, (s) => s.contexts);
    const other = registry.otherAllowed;
    this.other = other.size === 0 ? NOBODY : new OwnersView([other]);
  }

  /**
   * Learn from `msg` and decide who may see it. `broadcast`: an unsolicited
   * event (Hangup and BridgeDestroy then update the tracker after the decision);
   * list items only teach and get decided.
   */
  view(msg: AmiMessage, own: ServerOwnership, broadcast: boolean): ScopeView {
    const names: string[] = [];
    const uids: string[] = [];
    const linkedids: string[] = [];
    const bridges: string[] = [];
    const queues: string[] = [];
    const devices: string[] = [];
    const contexts: string[] = [];
    let blocks: Map<string, Block> | undefined;
    const block = (prefix: string): Block => {
      blocks ??= new Map();
      let b = blocks.get(prefix);
      if (b === undefined) blocks.set(prefix, (b = {}));
      return b;
    };
    for (const line of msg.lines) {
      const c = line.indexOf(':');
      if (c <= 0) continue;
      const k = kindOf(line.slice(0, c));
      if (k.kind === Kind.None) continue;
      const v = valueAt(line, c);
      if (isPlaceholder(v)) continue;
      switch (k.kind) {
        case Kind.Channel: names.push(v); block(k.prefix).channel ??= v; break;
        case Kind.Uniqueid: uids.push(v); block(k.prefix).uid ??= v; break;
        case Kind.Linkedid: linkedids.push(v); block(k.prefix).linkedid ??= v; break;
        case Kind.Bridge: bridges.push(v); break;
        case Kind.Queue: queues.push(v); break;
        case Kind.Device: devices.push(v); break;
        case Kind.Context: block(k.prefix).context ??= v; if (k.prefix === '') contexts.push(v); break;
        case Kind.AccountCode: block(k.prefix).accountcode ??= v; break;
      }
    }
    // 2. First sight of a channel: a block with a Uniqueid describes it.
    if (blocks !== undefined) {
      for (const b of blocks.values()) {
        if (b.uid === undefined) continue;
        const facts: ChannelFacts = { uid: b.uid, name: b.channel, linkedid: b.linkedid, context: b.context, accountcode: b.accountcode };
        own.learn(facts);
      }
    }
    let view: ScopeView;
    if (names.length + uids.length + linkedids.length > 0) {
      const sets: Array<ReadonlySet<number>> = [];
      const add = (s: ReadonlySet<number>) => { if (!sets.includes(s)) sets.push(s); };
      for (const u of uids) add(own.ownersOfUid(u));
      for (const n of names) add(own.ownersOfChannel(n));
      for (const l of linkedids) add(own.ownersOfLinkedid(l));
      view = sets.includes(EMPTY) ? NOBODY : new OwnersView(sets);
      // A bridge a channel of an owned call is in becomes theirs (BridgeEnter).
      if (bridges.length > 0 && view !== NOBODY) {
        const owners = intersect(sets);
        for (const b of bridges) own.adoptBridge(b, owners);
      }
    } else if (bridges.length > 0) {
      view = ownersOf(bridges.map((b) => own.ownersOfBridge(b)));
    } else if (queues.length > 0) {
      view = ownersOf(queues.map((q) => this.queues.owners(q)));
    } else if (devices.length > 0 || contexts.length > 0) {
      const d = devices.length > 0 ? ownersOf(devices.map((x) => this.devices.owners(x))) : undefined;
      const x = contexts.length > 0 ? ownersOf(contexts.map((x) => this.contexts.owners(x))) : undefined;
      view = d !== undefined && x !== undefined ? new EitherView(d, x) : (d ?? x)!;
    } else {
      view = this.other;
    }
    // 4. After the decision: the hung-up channel and the destroyed bridge go.
    if (broadcast) {
      const name = msg.get('Event');
      if (name !== undefined) {
        const n = name.toLowerCase();
        if (n === 'hangup') { const u = blocks?.get('')?.uid; if (u !== undefined) own.hangup(u); }
        else if (n === 'bridgedestroy') for (const b of bridges) own.forgetBridge(b);
      }
    }
    return view;
  }
}

function ownersOf(sets: ReadonlyArray<ReadonlySet<number>>): ScopeView {
  return sets.includes(EMPTY) ? NOBODY : new OwnersView(sets);
}

function intersect(sets: ReadonlyArray<ReadonlySet<number>>): ReadonlySet<number> {
  if (sets.length === 1) return sets[0]!;
  const out = new Set<number>();
  for (const id of sets[0]!) if (sets.every((s) => s.has(id))) out.add(id);
  return out;
}
