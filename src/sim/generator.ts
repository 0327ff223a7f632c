// Seeded load generator: synthetic Local calls whose events have the shapes of
// capture 07a (Newchannel ... DialEnd, DeviceStateChange, dialplan steps,
// UserEvent, the hangup sequence), interleaved across several calls at once,
// at a fixed rate. The event sequence depends only on the seed and the count,
// never on timing; each event is serialised once and written as the same
// Buffer to every session. Generated calls are not in CoreShowChannels/Status.

import { SimChannel } from './channels.js';
import { channelState, EVENT, makeEvent } from './events.js';
import type { SimPbx } from './pbx.js';

/** mulberry32: small, fast, good enough for load shapes. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SynthCall {
  one: SimChannel;
  two: SimChannel;
  step: number;
  /** Serial number, also the GENCALL variable. */
  n: number;
  /** Caller id number. */
  num: string;
  /** Dialplan context of both halves. */
  ctx: string;
}

/** Events per call (see next()). */
export const EVENTS_PER_CALL = 23;
const TICK_MS = 10;

export class LoadGenerator {
  private rng: () => number;
  private rate = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private startedAt = 0;
  private emitted = 0;
  private paused = false;
  private calls: SynthCall[] = [];
  private serial = 0;
  /** Total events generated since start (for tests and benchmarks). */
  count = 0;

  /**
   * `contexts`: the calls' contexts, taken in turn by call number (never from
   * the PRNG, so the default ['test'] keeps every sequence as before). Several
   * contexts make calls of several tenants at once (docs/tenants.md).
   */
  constructor(private readonly pbx: SimPbx, seed: number, private readonly contexts: readonly string[] = ['test']) {
    this.rng = mulberry32(seed);
  }

  set(eventsPerSecond: number, seed?: number): void {
    if (seed !== undefined) {
      this.rng = mulberry32(seed);
      this.calls = [];
    }
    this.rate = Math.max(0, eventsPerSecond);
    this.stopTimer();
    if (this.rate > 0 && !this.paused) this.startTimer();
  }

  pause(): void {
    this.paused = true;
    this.stopTimer();
  }

  resume(): void {
    this.paused = false;
    if (this.rate > 0) this.startTimer();
  }

  private startTimer(): void {
    this.startedAt = performance.now();
    this.emitted = 0;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.startedAt) * this.rate) / 1000) - this.emitted;
    // After a stall, catch up at most one second's worth.
    const n = Math.min(due, Math.ceil(this.rate));
    for (let i = 0; i < n; i++) this.next();
    this.emitted += due;
  }

  /** Emit the next event: start a call while fewer than the target are running, else advance a random one. */
  next(): void {
    const target = Math.max(1, Math.min(50, Math.ceil(this.rate / 230)));
    let call: SynthCall;
    if (this.calls.length < target) {
      call = this.newCall();
      this.calls.push(call);
    } else {
      call = this.calls[Math.floor(this.rng() * this.calls.length)]!;
    }
    this.emit(call);
    if (call.step >= EVENTS_PER_CALL) this.calls.splice(this.calls.indexOf(call), 1);
  }

  private newCall(): SynthCall {
    const pbx = this.pbx;
    const exten = String(100 + Math.floor(this.rng() * 900));
    const ctx = this.contexts[this.serial % this.contexts.length] ?? 'test';
    const base = `Local/${exten}@${ctx}-${pbx.channels.nextLocalId()}`;
    const sys = pbx.systemName;
    const uid1 = pbx.channels.nextUniqueid(sys);
    const uid2 = pbx.channels.nextUniqueid(sys);
    const device = `Local/${exten}@${ctx}`;
    const one = new SimChannel(base + ';1', uid1, uid1, ctx, exten, device);
    const two = new SimChannel(base + ';2', uid2, uid1, ctx, exten, device);
    two.state = 4;
    const num = String(5550000 + Math.floor(this.rng() * 10000));
    return { one, two, step: 0, n: this.serial++, num, ctx };
  }

  private emit(c: SynthCall): void {
    const { one, two } = c;
    const sys = this.pbx.systemName;
    let name: string;
    let cat = EVENT.CALL;
    let body: string;
    switch (c.step++) {
      case 0: name = 'Newchannel'; body = channelState(one); break;
      case 1: name = 'Newchannel'; body = channelState(two); break;
      case 2: one.appl = 'AppDial2'; name = 'Newexten'; cat = EVENT.DIALPLAN;
        body = channelState(one) + `Extension: ${one.exten}\r\nApplication: AppDial2\r\nAppData: (Outgoing Line)\r\n`; break;
      case 3: name = 'VarSet'; cat = EVENT.DIALPLAN; body = channelState(one) + `Variable: GENCALL\r\nValue: ${c.n}\r\n`; break;
      case 4: one.cidNum = c.num; one.cidName = 'Load Test'; name = 'NewCallerid';
        body = channelState(one) + 'CID-CallingPres: 0 (Presentation Allowed, Not Screened)\r\n'; break;
      case 5: name = 'LocalBridge';
        body = channelState(one, 'LocalOne') + channelState(two, 'LocalTwo') + `Context: ${c.ctx}\r\nExten: ${one.exten}\r\nLocalOptimization: Yes\r\n`; break;
      case 6: name = 'DialBegin'; body = channelState(one, 'Dest') + `DialString: ${one.exten}@${c.ctx}\r\n`; break;
      case 7: name = 'Newexten'; cat = EVENT.DIALPLAN; body = this.exten(two, 1, 'Answer', ''); break;
      case 8: two.state = 6; name = 'Newstate'; body = channelState(two); break;
      case 9: one.state = 6; name = 'Newstate'; body = channelState(one); break;
      case 10: name = 'DialEnd'; body = channelState(one, 'Dest') + 'DialStatus: ANSWER\r\n'; break;
      case 11: name = 'DeviceStateChange'; body = `Device: ${one.device}\r\nState: INUSE\r\n`; break;
      case 12: name = 'Newexten'; cat = EVENT.DIALPLAN; body = this.exten(two, 2, 'Set', 'TESTVAR=generated'); break;
      case 13: name = 'VarSet'; cat = EVENT.DIALPLAN; body = channelState(two) + 'Variable: TESTVAR\r\nValue: generated\r\n'; break;
      case 14: name = 'Newexten'; cat = EVENT.DIALPLAN; body = this.exten(two, 3, 'UserEvent', 'TestEvent,Foo: bar'); break;
      case 15: name = 'UserEvent'; cat = EVENT.USER; body = channelState(two) + 'UserEvent: TestEvent\r\nFoo: bar\r\n'; break;
      case 16: name = 'Newexten'; cat = EVENT.DIALPLAN; body = this.exten(two, 4, 'Wait', '2'); break;
      case 17: name = 'Newexten'; cat = EVENT.DIALPLAN; body = this.exten(two, 5, 'Hangup', ''); break;
      case 18: name = 'SoftHangupRequest'; body = channelState(two) + 'Cause: 16\r\n'; break;
      case 19: name = 'HangupRequest'; body = channelState(one) + 'Cause: 16\r\n'; break;
      case 20: name = 'Hangup'; body = channelState(two) + 'Cause: 16\r\nCause-txt: Normal Clearing\r\n'; break;
      case 21: name = 'Hangup'; body = channelState(one) + 'Cause: 16\r\nCause-txt: Normal Clearing\r\n'; break;
      default: name = 'DeviceStateChange'; body = `Device: ${one.device}\r\nState: NOT_INUSE\r\n`; break;
    }
    this.count++;
    this.pbx.broadcast(makeEvent(name, cat, body, sys));
  }

  private exten(ch: SimChannel, priority: number, app: string, data: string): string {
    ch.priority = priority;
    ch.appl = app;
    ch.data = data;
    return channelState(ch) + `Extension: ${ch.exten}\r\nApplication: ${app}\r\nAppData: ${data}\r\n`;
  }
}
