// Local channel calls (core_local.c) running the test dialplan, emitting the
// event sequences of captures 07a/07b/07c/08/11b/12b:
//
//   Originate Local/100@test  ──▶ ;1 (Down) + ;2 (Ring)   Newchannel x2, Newexten ;1 AppDial2
//        │                        VarSet/NewCallerid/NewConnectedLine ;1 then ;2, LocalBridge, DialBegin
//        ▼
//   ;2 runs test,100,1: Answer ──▶ Newstate ;2, Newstate ;1, DialEnd, [OriginateResponse], DeviceStateChange x2
//        │  (Answer waits 500 ms for media that a Local channel never sends)
//        ▼
//   ;1 runs the Application (or, for Exten/Context/Priority, the dialplan)
//   the first leg to finish hangs up both:  [SoftHangupRequest first], HangupRequest other,
//        Hangup first, [SoftHangupRequest other if it runs dialplan], Hangup other, DeviceStateChange x2
//
// A missing context/extension fails like 07c: Hangup ;2, Hangup ;1 (cause 0),
// OriginateResponse Failure, DeviceStateChange INVALID x2. Other technologies
// fail without channels. Timers belong to the pbx so shutdown clears them.

import { SimChannel } from './channels.js';
import { channelState, lines, EVENT } from './events.js';
import { findExtension, extensionExists } from './dialplan.js';
import type { SimPbx } from './pbx.js';

export interface OriginateRequest {
  /** As given: `Local/100@test`, `Local/600@test/n`, `SIP/foo`... */
  channel: string;
  /** Application mode when set. */
  app: string | undefined;
  appData: string;
  /** Exten mode: where ;1 goes once answered. */
  context: string;
  exten: string;
  priority: number;
  cidNum: string | undefined;
  cidName: string | undefined;
  variables: ReadonlyArray<readonly [string, string]>;
  /** Echoed in OriginateResponse (async only). */
  actionId: string | undefined;
  async: boolean;
  timeoutMs: number;
  account: string;
}

const CAUSE_TEXT: Readonly<Record<number, string>> = { 0: 'Unknown', 16: 'Normal Clearing', 17: 'User busy', 19: 'No user responding' };

/** One Local pair placing an originated call. */
interface Pair {
  readonly one: SimChannel;
  readonly two: SimChannel;
  readonly req: OriginateRequest;
  answered: boolean;
  done: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve(ok: boolean): void;
}

/**
 * Place a call. Resolves true once ;1 is answered, false when the call fails
 * (sync Originate answers "Originate failed"). Async requests also broadcast
 * OriginateResponse to every `call` reader, with the originator's ActionID (S25).
 */
export function originate(pbx: SimPbx, req: OriginateRequest): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const m = /^local\/(.+)$/i.exec(req.channel);
    if (m === null) {
      // ast_request() finds no such technology: no channels at all.
      if (req.async) originateResponse(pbx, req, undefined, 0);
      resolve(false);
      return;
    }
    const dest = m[1]!;
    const slash = dest.indexOf('/');
    const target = slash < 0 ? dest : dest.slice(0, slash);
    const options = slash < 0 ? '' : dest.slice(slash + 1);
    const at = target.lastIndexOf('@');
    const exten = at < 0 ? target : target.slice(0, at);
    const context = at < 0 ? 'default' : target.slice(at + 1);
    const { one, two } = newPair(pbx, target, context, exten, undefined, undefined, req.account);
    newexten(pbx, one, 'AppDial2', '(Outgoing Line)');
    if (!extensionExists(context, exten)) {
      // local_call(): "No such extension/context" -> both halves hang up, cause 0.
      for (const ch of [two, one]) {
        ch.alive = false;
        pbx.channels.remove(ch);
        hangupEvent(pbx, ch, 0);
      }
      if (req.async) originateResponse(pbx, req, undefined, 0);
      deviceState(pbx, one.device, 'INVALID');
      resolve(false);
      return;
    }
    const pair: Pair = { one, two, req, answered: false, done: false, timer: undefined, resolve };
    pairs.set(one, pair);
    pairs.set(two, pair);
    for (const [k, v] of req.variables) setVar(pbx, one, k, v);
    if (req.cidNum !== undefined || req.cidName !== undefined) {
      one.cidNum = req.cidNum;
      one.cidName = req.cidName;
      newCallerid(pbx, one);
      one.connNum = req.cidNum;
      one.connName = req.cidName;
      pbx.emit('NewConnectedLine', EVENT.CALL, channelState(one));
    }
    for (const [k, v] of req.variables) setVar(pbx, two, k, v);
    if (req.cidNum !== undefined || req.cidName !== undefined) {
      two.cidNum = req.cidNum;
      two.cidName = req.cidName;
      two.connNum = req.cidNum;
      two.connName = req.cidName;
      newCallerid(pbx, two);
      pbx.emit('NewConnectedLine', EVENT.CALL, channelState(two));
    }
    localBridge(pbx, one, two, context, exten, options);
    pbx.emit('DialBegin', EVENT.CALL, channelState(one, 'Dest') + 'DialString: ' + dest + '\r\n');
    pair.timer = pbx.after(req.timeoutMs, () => {
      if (pair.answered || pair.done) return;
      pairFailed(pbx, pair, one.state === 5 ? 3 : 0);
      hangup(pbx, one, false, 0);
    });
    two.inDialplan = true;
    step(pbx, two);
  });
}

const pairs = new WeakMap<SimChannel, Pair>();

/**
 * A new Local pair for `target` (`600@test`); `linkedid` joins it to an existing
 * call and `oneAt` places the ;1 half elsewhere (queue members keep the caller's location).
 */
export function newPair(
  pbx: SimPbx, target: string, context: string, exten: string, linkedid: string | undefined,
  oneAt?: { context: string; exten: string },
  account = '',
): { one: SimChannel; two: SimChannel } {
  const sys = pbx.systemName;
  const base = `Local/${target}-${pbx.channels.nextLocalId()}`;
  const uid1 = pbx.channels.nextUniqueid(sys);
  const uid2 = pbx.channels.nextUniqueid(sys);
  const device = `Local/${target}`;
  const one = new SimChannel(base + ';1', uid1, linkedid ?? uid1, oneAt?.context ?? context, oneAt?.exten ?? exten, device);
  const two = new SimChannel(base + ';2', uid2, linkedid ?? uid1, context, exten, device);
  two.state = 4;
  // Originate's Account: sets the account code of the channels it creates.
  one.accountCode = account;
  two.accountCode = account;
  one.peer = two;
  two.peer = one;
  pbx.channels.add(one);
  pbx.channels.add(two);
  pbx.emit('Newchannel', EVENT.CALL, channelState(one));
  pbx.emit('Newchannel', EVENT.CALL, channelState(two));
  return { one, two };
}

export function localBridge(pbx: SimPbx, one: SimChannel, two: SimChannel, context: string, exten: string, options: string): void {
  pbx.emit('LocalBridge', EVENT.CALL, channelState(one, 'LocalOne') + channelState(two, 'LocalTwo') +
    `Context: ${context}\r\nExten: ${exten}\r\nLocalOptimization: ${options.includes('n') ? 'No' : 'Yes'}\r\n`);
}

/** Newexten, unless context/exten/priority did not change (manager_channels.c channel_newexten()). */
export function newexten(pbx: SimPbx, ch: SimChannel, app: string, data: string): void {
  ch.appl = app;
  ch.data = data;
  const cep = `${ch.context}\0${ch.exten}\0${ch.priority}`;
  if (cep === ch.lastCep) return;
  ch.lastCep = cep;
  pbx.emit('Newexten', EVENT.DIALPLAN, channelState(ch) + `Extension: ${ch.exten}\r\nApplication: ${app}\r\nAppData: ${data}\r\n`);
}

export function setVar(pbx: SimPbx, ch: SimChannel, name: string, value: string): void {
  ch.vars.set(name, value);
  pbx.emit('VarSet', EVENT.DIALPLAN, channelState(ch) + `Variable: ${name}\r\nValue: ${value}\r\n`);
}

function newCallerid(pbx: SimPbx, ch: SimChannel): void {
  pbx.emit('NewCallerid', EVENT.CALL, channelState(ch) + 'CID-CallingPres: 0 (Presentation Allowed, Not Screened)\r\n');
}

export function newState(pbx: SimPbx, ch: SimChannel, state: number): void {
  ch.state = state;
  pbx.emit('Newstate', EVENT.CALL, channelState(ch));
}

export function deviceState(pbx: SimPbx, device: string, state: string): void {
  // Both halves of a Local pair update the device, hence two identical events.
  const body = `Device: ${device}\r\nState: ${state}\r\n`;
  pbx.emit('DeviceStateChange', EVENT.CALL, body);
  pbx.emit('DeviceStateChange', EVENT.CALL, body);
}

function hangupEvent(pbx: SimPbx, ch: SimChannel, cause: number): void {
  pbx.emit('Hangup', EVENT.CALL, channelState(ch) + `Cause: ${cause}\r\nCause-txt: ${CAUSE_TEXT[cause] ?? 'Unknown'}\r\n`);
}

/** Run the dialplan at the channel's current priority until an application blocks. */
export function step(pbx: SimPbx, ch: SimChannel): void {
  if (!ch.alive) return;
  const steps = findExtension(ch.context, ch.exten);
  const s = steps?.[ch.priority - 1];
  if (s === undefined) {
    // Ran off the end of the extension: the pbx thread hangs up.
    hangup(pbx, ch, false, 16);
    return;
  }
  newexten(pbx, ch, s.app, s.data);
  const next = (): void => {
    ch.timer = undefined;
    if (!ch.alive) return;
    ch.priority++;
    step(pbx, ch);
  };
  switch (s.app.toLowerCase()) {
    case 'answer':
      if (ch.state === 6) { next(); return; }
      answer(pbx, ch);
      // __ast_answer() waits up to 500 ms for a first media frame.
      ch.timer = pbx.after(500, next);
      return;
    case 'set': {
      const eq = s.data.indexOf('=');
      if (eq > 0) setVar(pbx, ch, s.data.slice(0, eq), s.data.slice(eq + 1));
      next();
      return;
    }
    case 'userevent': {
      const [name, ...rest] = s.data.split(',');
      pbx.emit('UserEvent', EVENT.USER, channelState(ch) + `UserEvent: ${name}\r\n` + rest.map((h) => h + '\r\n').join(''));
      next();
      return;
    }
    case 'wait':
      ch.timer = pbx.after(seconds(s.data) * 1000, next);
      return;
    case 'ringing':
      if (ch.peer?.alive && ch.peer.state !== 6 && ch.peer.state !== 5) newState(pbx, ch.peer, 5);
      next();
      return;
    case 'hangup':
      hangup(pbx, ch, true, 16);
      return;
    case 'queue':
      pbx.queue.join(ch, s.data, next);
      return;
    case 'dial':
      dialTrunk(pbx, ch);
      return;
    default:
      next();
  }
}

function seconds(data: string): number {
  const n = Number.parseFloat(data);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** The channel answers; for the ;2 half of a pair that also answers ;1 (the originated call). */
function answer(pbx: SimPbx, ch: SimChannel): void {
  newState(pbx, ch, 6);
  const pair = pairs.get(ch);
  if (pair === undefined || pair.answered || pair.two !== ch || !pair.one.alive) return;
  pair.answered = true;
  if (pair.timer !== undefined) pbx.cancel(pair.timer);
  const { one, req } = pair;
  newState(pbx, one, 6);
  pbx.emit('DialEnd', EVENT.CALL, channelState(one, 'Dest') + 'DialStatus: ANSWER\r\n');
  if (req.async) originateResponse(pbx, req, one, 4);
  if (req.app !== undefined) {
    deviceState(pbx, one.device, 'INUSE');
    runApplication(pbx, one, req.app, req.appData);
  } else {
    one.context = req.context;
    one.exten = req.exten;
    one.priority = req.priority;
    one.inDialplan = true;
    step(pbx, one);
    deviceState(pbx, one.device, 'INUSE');
  }
  pair.resolve(true);
}

/** ;1 of an Application originate: Wait(n) ends after n seconds, anything else runs until the other half hangs up. */
function runApplication(pbx: SimPbx, ch: SimChannel, app: string, data: string): void {
  ch.appl = app;
  ch.data = data;
  const a = app.toLowerCase();
  if (a === 'wait') ch.timer = pbx.after(seconds(data) * 1000, () => hangup(pbx, ch, false, 0));
  else if (a === 'hangup') hangup(pbx, ch, false, 16);
}

/**
 * Hang up `first` and its other half (the captured orders, see the header).
 * `viaHangupApp`: the dialplan Hangup() application ended it (cause 16 and a
 * SoftHangupRequest first); otherwise an application returned (cause 0).
 */
export function hangup(pbx: SimPbx, first: SimChannel, viaHangupApp: boolean, cause: number): void {
  if (!first.alive) return;
  const other = first.peer?.alive ? first.peer : undefined;
  for (const ch of other ? [first, other] : [first]) {
    ch.alive = false;
    if (ch.timer !== undefined) pbx.cancel(ch.timer);
    ch.timer = undefined;
  }
  const cause16 = `Cause: 16\r\n`;
  if (viaHangupApp) pbx.emit('SoftHangupRequest', EVENT.CALL, channelState(first) + cause16);
  if (other) pbx.emit('HangupRequest', EVENT.CALL, channelState(other) + `Cause: ${cause}\r\n`);
  first.onGone?.();
  hangupEvent(pbx, first, cause);
  pbx.channels.remove(first);
  if (other) {
    if (other.inDialplan) pbx.emit('SoftHangupRequest', EVENT.CALL, channelState(other) + cause16);
    other.onGone?.();
    hangupEvent(pbx, other, cause);
    pbx.channels.remove(other);
  }
  const pair = pairs.get(first);
  if (pair !== undefined && !pair.answered) pairFailed(pbx, pair, 1);
  if (pair !== undefined && pair.timer !== undefined) pbx.cancel(pair.timer);
  pbx.channels.processed++;
  deviceState(pbx, first.device, 'NOT_INUSE');
}

function pairFailed(pbx: SimPbx, pair: Pair, reason: number): void {
  if (pair.done) return;
  pair.done = true;
  if (pair.req.async) originateResponse(pbx, pair.req, undefined, reason);
  pair.resolve(false);
}

/** fast_originate()'s event, broadcast to every `call` reader with the originator's ActionID (S25). */
function originateResponse(pbx: SimPbx, req: OriginateRequest, ch: SimChannel | undefined, reason: number): void {
  const target = req.app !== undefined
    ? `Application: ${req.app}\r\nData: ${req.appData}\r\n`
    : `Context: ${req.context}\r\nExten: ${req.exten}\r\n`;
  pbx.emit('OriginateResponse', EVENT.CALL,
    (req.actionId ? `ActionID: ${req.actionId}\r\n` : '') +
    `Response: ${ch ? 'Success' : 'Failure'}\r\n` +
    `Channel: ${ch ? ch.name : req.channel}\r\n` +
    target +
    `Reason: ${reason}\r\n` +
    `Uniqueid: ${ch ? ch.uniqueid : '<unknown>'}\r\n` +
    lines([['CallerIDNum', req.cidNum || '<unknown>'], ['CallerIDName', req.cidName || '<unknown>']]));
}

/** Soft hangup from outside (the Hangup action, a queue cancelling a member). */
export function softHangup(pbx: SimPbx, ch: SimChannel, cause: number): void {
  if (!ch.alive) return;
  pbx.emit('SoftHangupRequest', EVENT.CALL, channelState(ch) + `Cause: ${cause}\r\n`);
  hangup(pbx, ch, false, cause);
}

/**
 * Dial(PJSIP/trunk): app_dial places an outgoing leg on the shared trunk in the
 * caller's call (same Linkedid), the far end answers at once, both legs are
 * bridged for three seconds, then the far end hangs up and the caller's dialplan
 * goes on. The trunk leg is named PJSIP/trunk-<n> in context from-trunk.
 */
function dialTrunk(pbx: SimPbx, ch: SimChannel): void {
  const uid = pbx.channels.nextUniqueid(pbx.systemName);
  const out = new SimChannel(`PJSIP/trunk-${pbx.channels.nextLocalId()}`, uid, ch.linkedid, 'from-trunk', 's', 'PJSIP/trunk');
  pbx.channels.add(out);
  pbx.emit('Newchannel', EVENT.CALL, channelState(out));
  pbx.emit('DialBegin', EVENT.CALL, channelState(ch) + channelState(out, 'Dest') + `DialString: trunk/${ch.exten}\r\n`);
  newState(pbx, out, 6);
  if (ch.state !== 6) answer(pbx, ch); // the far end answered: so does the caller's leg (and an originating Local pair)
  pbx.emit('DialEnd', EVENT.CALL, channelState(ch) + channelState(out, 'Dest') + 'DialStatus: ANSWER\r\n');
  const bridge = `bridge-${uid}`;
  const bridgeState = (n: number) => `BridgeUniqueid: ${bridge}\r\nBridgeType: basic\r\nBridgeTechnology: simple_bridge\r\n` +
    `BridgeCreator: <unknown>\r\nBridgeName: <unknown>\r\nBridgeNumChannels: ${n}\r\nBridgeVideoSourceMode: none\r\n`;
  pbx.emit('BridgeCreate', EVENT.CALL, bridgeState(0));
  pbx.emit('BridgeEnter', EVENT.CALL, bridgeState(1) + channelState(ch));
  pbx.emit('BridgeEnter', EVENT.CALL, bridgeState(2) + channelState(out));
  // The far end hangs up after three seconds, or when the caller's leg goes first.
  let done = false;
  const farEndGone = (): void => {
    if (done) return;
    done = true;
    pbx.emit('BridgeLeave', EVENT.CALL, bridgeState(1) + channelState(out));
    out.alive = false;
    hangupEvent(pbx, out, 16);
    pbx.channels.remove(out);
    pbx.emit('BridgeLeave', EVENT.CALL, bridgeState(0) + channelState(ch));
    pbx.emit('BridgeDestroy', EVENT.CALL, bridgeState(0));
  };
  const before = ch.onGone;
  ch.onGone = () => { before?.(); farEndGone(); };
  ch.timer = pbx.after(3000, () => {
    ch.timer = undefined;
    farEndGone();
    if (!ch.alive) return;
    ch.priority++;
    step(pbx, ch);
  });
}
