// app_queue's `testq` as captured: ringall, one static member Local/600@test/n
// (TestMember), whose extension rings and never answers. Callers that hang up
// while waiting count as Abandoned (capture 12a sees the one 11a left behind);
// callers whose Queue() timeout runs out leave and continue in the dialplan.

import type { SimChannel, Timer } from './channels.js';
import { channelState, EVENT } from './events.js';
import { newPair, newexten, localBridge, step, hangup } from './local-call.js';
import type { SimPbx } from './pbx.js';

export interface QueueMember {
  readonly name: string;
  readonly location: string;
  readonly stateInterface: string;
  readonly membership: 'static' | 'dynamic';
  penalty: number;
  callsTaken: number;
  lastCall: number;
  lastPause: number;
  loginTime: number;
  paused: boolean;
  pausedReason: string;
  wrapuptime: number;
}

export interface QueueCaller {
  readonly ch: SimChannel;
  readonly joined: number;
  readonly originalPosition: number;
  member: { one: SimChannel; two: SimChannel } | undefined;
  timer: Timer | undefined;
  readonly resume: () => void;
}

export class SimQueue {
  readonly name = 'testq';
  readonly strategy = 'ringall';
  readonly max = 0;
  readonly weight = 0;
  readonly serviceLevel = 0;
  completed = 0;
  abandoned = 0;
  holdtime = 0;
  talktime = 0;
  readonly members: QueueMember[];
  readonly callers: QueueCaller[] = [];

  constructor(private readonly pbx: SimPbx) {
    this.members = [{
      name: 'TestMember', location: 'Local/600@test/n', stateInterface: 'Local/600@test/n', membership: 'static',
      penalty: 0, callsTaken: 0, lastCall: 0, lastPause: 0, loginTime: Math.floor(Date.now() / 1000),
      paused: false, pausedReason: '', wrapuptime: 0,
    }];
  }

  /** Queue(name,options,URL,announceoverride,timeout): `resume` continues the caller's dialplan after a timeout. */
  join(ch: SimChannel, data: string, resume: () => void): void {
    const args = data.split(',');
    if (args[0] !== this.name) {
      resume();
      return;
    }
    const caller: QueueCaller = { ch, joined: Date.now(), originalPosition: this.callers.length + 1, member: undefined, timer: undefined, resume };
    this.callers.push(caller);
    this.pbx.emit('QueueCallerJoin', EVENT.AGENT, channelState(ch) + `Queue: ${this.name}\r\nPosition: ${this.callers.length}\r\nCount: ${this.callers.length}\r\n`);
    ch.onGone = () => this.abandon(caller);
    const timeout = Number.parseInt(args[4] ?? '', 10);
    if (timeout > 0) caller.timer = this.pbx.after(timeout * 1000, () => this.timedOut(caller));
    for (const m of this.members) if (!m.paused && this.memberStatus(m) === 1) this.ring(caller, m);
  }

  /** AST_DEVICE_NOT_INUSE (1) or AST_DEVICE_INUSE (2): a Local member is in use while any of its channels exists. */
  memberStatus(m: QueueMember): number {
    const device = m.stateInterface.replace(/\/n$/, '');
    for (const ch of this.pbx.channels.list()) if (ch.device === device) return 2;
    return 1;
  }

  position(caller: QueueCaller): number { return this.callers.indexOf(caller) + 1; }

  private ring(caller: QueueCaller, m: QueueMember): void {
    const loc = m.location.slice('Local/'.length);
    const slash = loc.indexOf('/');
    const target = slash < 0 ? loc : loc.slice(0, slash);
    const options = slash < 0 ? '' : loc.slice(slash + 1);
    const at = target.lastIndexOf('@');
    const exten = target.slice(0, at);
    const context = target.slice(at + 1);
    const c = caller.ch;
    // The outgoing half keeps the caller's dialplan location and gets its
    // number as caller id (the captured Status shows CallerIDNum 300 on it).
    const { one, two } = newPair(this.pbx, target, context, exten, c.linkedid, { context: c.context, exten: c.exten });
    one.cidNum = c.cidNum ?? c.exten;
    this.pbx.emit('NewCallerid', EVENT.CALL, channelState(one) + 'CID-CallingPres: 0 (Presentation Allowed, Not Screened)\r\n');
    two.connNum = one.cidNum;
    this.pbx.emit('NewConnectedLine', EVENT.CALL, channelState(two));
    newexten(this.pbx, one, 'AppQueue', '(Outgoing Line)');
    localBridge(this.pbx, one, two, context, exten, options);
    this.pbx.emit('AgentCalled', EVENT.AGENT, channelState(c) + channelState(one, 'Dest') +
      `Queue: ${this.name}\r\nInterface: ${m.location}\r\nMemberName: ${m.name}\r\n`);
    this.pbx.emit('DialBegin', EVENT.CALL, channelState(c) + channelState(one, 'Dest') + `DialString: ${loc}\r\n`);
    caller.member = { one, two };
    one.onGone = () => { if (caller.member?.one === one) caller.member = undefined; };
    two.inDialplan = true;
    step(this.pbx, two);
  }

  private cancelMember(caller: QueueCaller, status: string): void {
    const mem = caller.member;
    caller.member = undefined;
    if (mem === undefined || !mem.one.alive) return;
    this.pbx.emit('DialEnd', EVENT.CALL, channelState(caller.ch) + channelState(mem.one, 'Dest') + `DialStatus: ${status}\r\n`);
    hangup(this.pbx, mem.one, false, 16);
  }

  private leave(caller: QueueCaller): void {
    const i = this.callers.indexOf(caller);
    if (i >= 0) this.callers.splice(i, 1);
    if (caller.timer !== undefined) this.pbx.cancel(caller.timer);
    caller.ch.onGone = undefined;
  }

  /** The caller hung up while waiting. */
  private abandon(caller: QueueCaller): void {
    this.abandoned++;
    const held = Math.floor((Date.now() - caller.joined) / 1000);
    this.pbx.emit('QueueCallerAbandon', EVENT.AGENT, channelState(caller.ch) +
      `Queue: ${this.name}\r\nPosition: ${this.position(caller)}\r\nOriginalPosition: ${caller.originalPosition}\r\nHoldTime: ${held}\r\n`);
    this.cancelMember(caller, 'CANCEL');
    this.leave(caller);
  }

  private timedOut(caller: QueueCaller): void {
    caller.timer = undefined;
    const pos = this.position(caller);
    this.leave(caller);
    this.pbx.emit('QueueCallerLeave', EVENT.AGENT, channelState(caller.ch) + `Queue: ${this.name}\r\nCount: ${this.callers.length}\r\nPosition: ${pos}\r\n`);
    this.cancelMember(caller, 'NOANSWER');
    caller.resume();
  }

  /** Forget callers and statistics (a restarted Asterisk). */
  reset(): void {
    this.callers.length = 0;
    this.completed = this.abandoned = this.holdtime = this.talktime = 0;
    for (const m of this.members) m.loginTime = Math.floor(Date.now() / 1000);
  }
}
