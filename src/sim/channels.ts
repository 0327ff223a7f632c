// The simulator's channel model: just enough state to print channel snapshots
// (Newchannel, Newexten, CoreShowChannel, Status) and to run the test dialplan.
// Names follow core_local.c ("Local/100@test-0000000a;1"), unique ids follow
// ast_channel_alloc ("<systemname>-<epoch>.<n>", or "<epoch>.<n>" without one).

export type Timer = ReturnType<typeof setTimeout>;

export class SimChannel {
  readonly name: string;
  readonly uniqueid: string;
  linkedid: string;
  /** ast_channel_state: 0 Down, 4 Ring, 5 Ringing, 6 Up. */
  state = 0;
  cidNum: string | undefined;
  cidName: string | undefined;
  connNum: string | undefined;
  connName: string | undefined;
  readonly language = 'en';
  accountCode = '';
  context: string;
  exten: string;
  priority = 1;
  /** Current application and its data (CoreShowChannel/Status `Application`/`Data`). */
  appl = '';
  data = '';
  readonly vars = new Map<string, string>();
  readonly created = Date.now();
  alive = true;
  /** Running dialplan (a pbx thread) rather than a single application; decides SoftHangupRequest on hangup. */
  inDialplan = false;
  /** Context/exten/priority of the last Newexten: manager_channels.c only emits one when it changes. */
  lastCep: string | undefined;
  /** The running application's timer (Wait, Answer's media wait). */
  timer: Timer | undefined;
  /** The other half of a Local pair. */
  peer: SimChannel | undefined;
  /** Device for DeviceStateChange (`Local/100@test`). */
  readonly device: string;
  /** Bookkeeping to run when the channel goes (queue caller/member). */
  onGone: (() => void) | undefined;

  constructor(name: string, uniqueid: string, linkedid: string, context: string, exten: string, device: string) {
    this.name = name;
    this.uniqueid = uniqueid;
    this.linkedid = linkedid;
    this.context = context;
    this.exten = exten;
    this.device = device;
  }

  /** Whole seconds since creation (ast_tvdiff_sec). */
  seconds(now = Date.now()): number {
    return Math.max(0, Math.floor((now - this.created) / 1000));
  }
}

/**
 * A long-lived channel for the sim's `preloadChannels` option: `PJSIP/parked-<n>`,
 * Up, sitting in Wait(3600) in context test, with no timer and no events, so
 * CoreShowChannels and Status have items to list while nothing else changes.
 * The generator's calls never enter the registry, so without this the lists
 * are empty.
 */
export function parkedChannel(registry: ChannelRegistry, n: number, systemName: string | undefined): SimChannel {
  const uid = registry.nextUniqueid(systemName);
  const ch = new SimChannel(`PJSIP/parked-${String(n).padStart(8, '0')}`, uid, uid, 'test', '600', 'PJSIP/parked');
  ch.state = 6;
  ch.priority = 2;
  ch.appl = 'Wait';
  ch.data = '3600';
  ch.inDialplan = true;
  return ch;
}

export class ChannelRegistry {
  private readonly byName = new Map<string, SimChannel>();
  private localSeq = 0;
  private uidSeq = 0;
  /** Calls processed (core show channels). */
  processed = 0;

  /** The 8-hex-digit suffix of the next Local pair (core_local.c). */
  nextLocalId(): string {
    return (this.localSeq++ >>> 0).toString(16).padStart(8, '0');
  }

  nextUniqueid(systemName: string | undefined): string {
    const id = `${Math.floor(Date.now() / 1000)}.${this.uidSeq++}`;
    return systemName ? `${systemName}-${id}` : id;
  }

  add(ch: SimChannel): void { this.byName.set(ch.name.toLowerCase(), ch); }

  remove(ch: SimChannel): void {
    if (this.byName.get(ch.name.toLowerCase()) === ch) this.byName.delete(ch.name.toLowerCase());
  }

  /** ast_channel_get_by_name(): by name (case-insensitive), then by unique id. */
  get(nameOrUid: string): SimChannel | undefined {
    const ch = this.byName.get(nameOrUid.toLowerCase());
    if (ch !== undefined) return ch;
    for (const c of this.byName.values()) if (c.uniqueid === nameOrUid) return c;
    return undefined;
  }

  /** Live channels in creation order. */
  list(): SimChannel[] { return [...this.byName.values()]; }

  get size(): number { return this.byName.size; }

  clear(): void {
    for (const ch of this.byName.values()) {
      ch.alive = false;
      if (ch.timer !== undefined) clearTimeout(ch.timer);
    }
    this.byName.clear();
  }

  /** Forget all counters too (a restarted Asterisk). */
  reset(): void {
    this.clear();
    this.localSeq = 0;
    this.uidSeq = 0;
    this.processed = 0;
  }
}
