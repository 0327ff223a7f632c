// One broadcast event as it leaves amigate, shared by every receiver of the
// same variant: the parsed message, its AMI text wire form, and any other wire
// form a transport asks for (JSON, mxml, ...), each built at most once, by the
// first receiver that needs it. Fan-out keeps one of these per variant (see
// fanout/fanout.ts), so a thousand sessions of one framing cost one serialization.

import { AmiMessage } from './message.js';
import { AmiParser } from './parser.js';

/** A wire form other than AMI text: a serializer owned by a transport (never by the session core). */
export interface WireForm {
  /** For diagnostics only; the form object itself is the cache key. */
  readonly name: string;
  encode(msg: AmiMessage): Buffer;
}

export class OutboundEvent {
  /** The AMI text bytes, exactly as a TCP client receives them. */
  readonly wire: Buffer;
  private msg: AmiMessage | undefined;
  /** Other forms, as [form, bytes] pairs: one or two in practice, so a list beats a Map. */
  private forms: Array<[WireForm, Buffer]> | undefined;

  constructor(wire: Buffer, msg?: AmiMessage) {
    this.wire = wire;
    this.msg = msg;
  }

  /** The parsed event (parsed from `wire` once when the producer gave only bytes). */
  get message(): AmiMessage {
    if (this.msg === undefined) {
      let parsed: AmiMessage | undefined;
      new AmiParser({ onMessage: (m) => { parsed ??= m; } }, { maxLineBytes: Math.max(1024, this.wire.length), maxLines: 1 << 16 }).write(this.wire);
      this.msg = parsed ?? new AmiMessage();
    }
    return this.msg;
  }

  /** The bytes of this event in `form`, built on first use and shared afterwards. */
  as(form: WireForm): Buffer {
    const forms = (this.forms ??= []);
    for (const [f, b] of forms) if (f === form) return b;
    const b = form.encode(this.message);
    forms.push([form, b]);
    return b;
  }
}
