// Which headers of an event or list item name something a tenant can own.
// Classified by the header name's suffix, the way Asterisk builds them:
// ast_manager_build_channel_state_string_prefix() writes one block per channel
// as <prefix>Channel, <prefix>Uniqueid, <prefix>Linkedid, <prefix>Context,
// <prefix>AccountCode (prefixes "", Dest, LocalOne, LocalTwo, Transferee,
// Parkee, ...); ast_manager_build_bridge_state_string_prefix() writes
// <prefix>BridgeUniqueid. Suffix rules fail closed: a new event type whose
// channel header ends in "Channel" is scoped without a table update.

export const Kind = {
  None: 0,
  /** A channel name: `Channel`, `DestChannel`, `Channel1`, `ParkeeChannel`... */
  Channel: 1,
  /** A channel unique id: `Uniqueid`, `DestUniqueid`, `LocalOneUniqueid`... */
  Uniqueid: 2,
  /** A call id: `Linkedid`, `DestLinkedid`... */
  Linkedid: 3,
  /** A bridge id: `BridgeUniqueid`, `SecondBridgeUniqueid`, `BridgeId`... */
  Bridge: 4,
  Queue: 5,
  /** Device-like names: `Device`, `Peer`, `Endpoint`, `Interface`, `Hint`... */
  Device: 6,
  /** `<prefix>Context`: part of a channel block, or on its own (ExtensionStatus). */
  Context: 7,
  /** `<prefix>AccountCode`: part of a channel block. */
  AccountCode: 8,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface Classified {
  readonly kind: Kind;
  /** Lower-case block prefix (`dest`, `localone`, ``) for channel-block headers. */
  readonly prefix: string;
}

const NONE: Classified = Object.freeze({ kind: Kind.None, prefix: '' });

/** Headers whose values are device names (DeviceStateChange, PeerStatus, ContactStatus, QueueMember*, ExtensionStatus). */
const DEVICE_KEYS = new Set(['device', 'peer', 'endpoint', 'endpointname', 'aor', 'interface', 'stateinterface', 'location', 'hint']);

export function classify(key: string): Classified {
  const k = key.toLowerCase();
  const suffix = (s: string, kind: Kind): Classified => ({ kind, prefix: k.slice(0, k.length - s.length) });
  if (k.endsWith('bridgeuniqueid')) return suffix('bridgeuniqueid', Kind.Bridge);
  if (k.endsWith('bridgeid')) return suffix('bridgeid', Kind.Bridge);
  if (k.endsWith('uniqueid')) return suffix('uniqueid', Kind.Uniqueid);
  if (k.endsWith('linkedid')) return suffix('linkedid', Kind.Linkedid);
  if (k.endsWith('channel')) return suffix('channel', Kind.Channel);
  if (/channel\d+$/.test(k)) return { kind: Kind.Channel, prefix: k };
  if (k === 'queue') return { kind: Kind.Queue, prefix: '' };
  if (DEVICE_KEYS.has(k)) return { kind: Kind.Device, prefix: '' };
  if (k.endsWith('context')) return suffix('context', Kind.Context);
  if (k.endsWith('accountcode')) return suffix('accountcode', Kind.AccountCode);
  return NONE;
}

const cache = new Map<string, Classified>();
const CACHE_MAX = 4096;

/** classify() memoised by the exact header name (event header names are a small, fixed set). */
export function kindOf(key: string): Classified {
  let c = cache.get(key);
  if (c === undefined) {
    c = classify(key);
    if (cache.size < CACHE_MAX) cache.set(key, c);
  }
  return c;
}

/** Values that name nothing: Asterisk prints these for an absent channel or id. */
export function isPlaceholder(value: string): boolean {
  return value === '' || value === '<unknown>' || value === '(null)';
}
