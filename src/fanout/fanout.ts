// Event fan-out: one unsolicited upstream event -> every session allowed to see
// it. The event is parsed once and serialized once per variant (as sent; with
// the ActionID restored for its originator; without it for everyone else; with
// a Server: tag), never once per receiver. A receiver that cannot keep up is the
// writer's problem (bounded queue, then dropped): fan-out never waits on one.
//
// Visibility is main/manager.c process_events()/should_send_event():
//   (readperm & category) == category && (send_events & category) == category (S17)
//   then the session's event filters (S20), which apply to broadcast events only.
// An event whose Privilege names no class amigate knows (missing, empty,
// `<none>`, `all` alone, an unknown name) fails closed: its category is taken
// as every class, so only `read: all` sessions (with every class in their
// Events mask) get it, and it is counted (stats.unknownPrivilege).

import type { AmiMessage } from '../protocol/message.js';
import { OutboundEvent } from '../protocol/outbound-event.js';
import { ALL, privilegeToMask } from '../protocol/privileges.js';
import type { Originator } from '../router/router.js';

/** A downstream session as fan-out sees it (implemented by session/session.ts). */
export interface EventSink {
  readonly id: number;
  /** True once logged in and until closing. */
  readonly receivingEvents: boolean;
  readonly readMask: number;
  readonly sendMask: number;
  /** Servers this session may hear from; undefined = all. */
  readonly servers: ReadonlySet<string> | undefined;
  /** Tag events with `Server: <name>`. */
  readonly serverHeader: boolean;
  /** Event filters; undefined or empty = pass everything. */
  passesFilters(name: string, event: AmiMessage, text: () => string): boolean;
  /**
   * `wire` is the AMI text; `event` the same variant shared by every receiver
   * (its message, and any other wire form built once, for transports that need one).
   */
  deliverEvent(wire: Buffer, event: OutboundEvent): void;
}

export interface FanoutStats {
  received: number;
  delivered: number;
  filtered: number;
  /** Events whose Privilege named no known class; delivered to `read: all` sessions only. */
  unknownPrivilege: number;
}

export class Fanout {
  private readonly sinks = new Map<number, EventSink>();
  readonly stats: FanoutStats = { received: 0, delivered: 0, filtered: 0, unknownPrivilege: 0 };

  add(sink: EventSink): void { this.sinks.set(sink.id, sink); }
  remove(id: number): void { this.sinks.delete(id); }
  get size(): number { return this.sinks.size; }
  get(id: number): EventSink | undefined { return this.sinks.get(id); }

  publish(event: AmiMessage, server: string, originator: Originator | undefined): void {
    this.stats.received++;
    let category = privilegeToMask(event.get('Privilege'));
    if (category === undefined) {
      this.stats.unknownPrivilege++;
      category = ALL;
    }
    const name = event.get('Event') ?? '';
    const variants = new Variants(event, server, originator);
    for (const sink of this.sinks.values()) {
      if (!sink.receivingEvents) continue;
      if ((sink.readMask & category) !== category || (sink.sendMask & category) !== category) continue;
      if (sink.servers !== undefined && !sink.servers.has(server)) continue;
      const own = originator !== undefined && originator.session === sink.id;
      if (!sink.passesFilters(name, variants.message(own, false), () => variants.text(own))) {
        this.stats.filtered++;
        continue;
      }
      const out = variants.outbound(own, sink.serverHeader);
      sink.deliverEvent(out.wire, out);
      this.stats.delivered++;
    }
  }
}

/** The few wire forms one event can take, each built at most once. */
class Variants {
  private readonly cache: Array<AmiMessage | undefined> = [undefined, undefined, undefined, undefined];
  private readonly outs: Array<OutboundEvent | undefined> = [undefined, undefined, undefined, undefined];
  private readonly texts: Array<string | undefined> = [undefined, undefined];
  constructor(private readonly event: AmiMessage, private readonly server: string, private readonly originator: Originator | undefined) {}

  message(own: boolean, tagged: boolean): AmiMessage {
    const k = (own ? 1 : 0) + (tagged ? 2 : 0);
    let m = this.cache[k];
    if (m === undefined) {
      m = this.build(own, tagged);
      this.cache[k] = m;
    }
    return m;
  }

  text(own: boolean): string {
    const k = own ? 1 : 0;
    return (this.texts[k] ??= this.message(own, false).toString());
  }

  outbound(own: boolean, tagged: boolean): OutboundEvent {
    const k = (own ? 1 : 0) + (tagged ? 2 : 0);
    let o = this.outs[k];
    if (o === undefined) {
      const m = this.message(own, tagged);
      o = new OutboundEvent(m.toBuffer(), m);
      this.outs[k] = o;
    }
    return o;
  }

  private build(own: boolean, tagged: boolean): AmiMessage {
    let m = this.event;
    if (this.originator !== undefined) {
      // S25: the originator gets its own ActionID back; everyone else gets none,
      // never a proxy ID and never another client's ID.
      m = m.clone();
      const i = m.indexOf('ActionID');
      if (i >= 0) {
        if (own && this.originator.actionId !== undefined) m.setLineAt(i, 'ActionID: ' + this.originator.actionId);
        else m.removeLineAt(i);
      }
    }
    if (tagged) {
      if (m === this.event) m = m.clone();
      const p = m.indexOf('Privilege');
      m.insertAfter(p >= 0 ? p : 0, 'Server', this.server);
    }
    return m;
  }
}
