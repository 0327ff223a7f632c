// Channel actions over the simulator's channel model: CoreShowChannels,
// Status, Getvar, Setvar and Hangup (main/manager.c action_coreshowchannels(),
// action_status()/generate_status(), action_getvar(), action_setvar(),
// ast_manager_hangup_helper()). List items carry the ActionID and no
// Privilege header, except Status items (`Privilege: Call`, ActionID last).

import { translateEre, type EreMatcher } from '../../policy/ere.js';
import { isAstTrue } from '../../protocol/privileges.js';
import type { SimChannel } from '../channels.js';
import { channelState, EVENT, UNKNOWN } from '../events.js';
import { setVar, softHangup } from '../local-call.js';
import type { SimPbx } from '../pbx.js';
import { ack, error, listAck, listComplete, startAck, type ActionContext } from '../reply.js';

export function coreShowChannels(ctx: ActionContext): void {
  listAck(ctx, 'Channels will follow');
  const now = Date.now();
  const chans = ctx.pbx.channels.list();
  for (const ch of chans) {
    ctx.out += `Event: CoreShowChannel\r\n${ctx.idLine}${channelState(ch)}` +
      `Application: ${ch.appl}\r\nApplicationData: ${ch.data}\r\nDuration: ${hms(ch.seconds(now))}\r\nBridgeId: \r\n\r\n`;
  }
  listComplete(ctx, 'CoreShowChannelsComplete', chans.length);
}

function hms(total: number): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(total / 3600))}:${p(Math.floor((total % 3600) / 60))}:${p(total % 60)}`;
}

/** function_capable_string_allowed_with_auths(): SHELL and EVAL need the system class (S13). */
function allowedWith(text: string, writeperm: number): boolean {
  return (writeperm & EVENT.SYSTEM) !== 0 || (!text.includes('SHELL') && !text.includes('EVAL'));
}

/** pbx_retrieve_variable() / ast_func_read() for what the simulator knows; undefined when unset. */
export function readVariable(pbx: SimPbx, ch: SimChannel | undefined, name: string): string | undefined {
  if (name.endsWith(')')) {
    const open = name.indexOf('(');
    const fn = name.slice(0, open).toUpperCase();
    const arg = name.slice(open + 1, -1).trim();
    if (fn === 'CHANNEL' && arg === 'name') return ch?.name ?? '';
    if (fn === 'CHANNEL' && arg === 'uniqueid') return ch?.uniqueid ?? '';
    if (fn === 'CALLERID' && arg.startsWith('num')) return ch?.cidNum ?? '';
    if (fn === 'CALLERID' && arg.startsWith('name')) return ch?.cidName ?? '';
    if (fn === 'GLOBAL') return pbx.globals.get(arg) ?? '';
    return '';
  }
  if (ch !== undefined) {
    switch (name) {
      case 'CHANNEL': return ch.name;
      case 'UNIQUEID': return ch.uniqueid;
      case 'CONTEXT': return ch.context;
      case 'EXTEN': return ch.exten;
      case 'PRIORITY': return String(ch.priority);
    }
    const v = ch.vars.get(name);
    if (v !== undefined) return v;
  }
  return pbx.globals.get(name);
}

export function status(ctx: ActionContext): void {
  const m = ctx.msg;
  const name = m.get('Channel') ?? '';
  const variables = m.get('Variables') ?? '';
  const all = isAstTrue(m.get('AllVariables'));
  if (!allowedWith(variables, ctx.session.writeperm)) return error(ctx, 'Status Access Forbidden: Variables');
  let chans: SimChannel[];
  if (name === '') chans = ctx.pbx.channels.list();
  else {
    const ch = ctx.pbx.channels.get(name);
    if (ch === undefined) return error(ctx, 'No such channel');
    chans = [ch];
  }
  listAck(ctx, 'Channel status will follow');
  const wanted = variables === '' ? [] : variables.split(',');
  const now = Date.now();
  for (const ch of chans) {
    let vars = '';
    // printf("%s", NULL) prints "(null)" for an unset variable.
    for (const v of wanted) vars += `Variable: ${v}=${readVariable(ctx.pbx, ch, v) ?? '(null)'}\r\n`;
    if (all) for (const [k, v] of ch.vars) vars += `Variable: ${k}=${v}\r\n`;
    ctx.out += 'Event: Status\r\nPrivilege: Call\r\n' + channelState(ch) +
      `Type: Local\r\nDNID: \r\nEffectiveConnectedLineNum: ${ch.connNum ?? UNKNOWN}\r\nEffectiveConnectedLineName: ${ch.connName ?? UNKNOWN}\r\n` +
      `TimeToHangup: 0\r\nBridgeID: \r\nApplication: ${ch.appl}\r\nData: ${ch.data}\r\n` +
      'Nativeformats: (slin)\r\nReadformat: slin\r\nReadtrans: \r\nWriteformat: slin\r\nWritetrans: \r\nCallgroup: 0\r\nPickupgroup: 0\r\n' +
      `Seconds: ${ch.seconds(now)}\r\n${vars}${ctx.idLine}\r\n`;
  }
  listComplete(ctx, 'StatusComplete', chans.length, `Items: ${chans.length}\r\n`);
}

export function getvar(ctx: ActionContext): void {
  const m = ctx.msg;
  const varname = m.get('Variable') ?? '';
  if (varname === '') return error(ctx, 'No variable specified');
  if (!allowedWith(varname, ctx.session.writeperm)) return error(ctx, 'GetVar Access Forbidden: Variable');
  const name = m.get('Channel') ?? '';
  let ch: SimChannel | undefined;
  if (name !== '') {
    ch = ctx.pbx.channels.get(name);
    if (ch === undefined) return error(ctx, 'No such channel');
  }
  startAck(ctx);
  ctx.out += `Variable: ${varname}\r\nValue: ${readVariable(ctx.pbx, ch, varname) ?? ''}\r\n\r\n`;
}

export function setvar(ctx: ActionContext): void {
  const m = ctx.msg;
  const varname = m.get('Variable') ?? '';
  if (varname === '') return error(ctx, 'No variable specified');
  const name = m.get('Channel') ?? '';
  const value = m.get('Value') ?? '';
  if (name === '') {
    ctx.pbx.globals.set(varname, value);
  } else {
    const ch = ctx.pbx.channels.get(name);
    if (ch === undefined) return error(ctx, 'No such channel');
    setVar(ctx.pbx, ch, varname, value);
  }
  ack(ctx, 'Variable Set');
}

/** Hangup: a channel name, or `/regex/` (a list of ChannelHungup events). */
export function hangupAction(ctx: ActionContext): void {
  const m = ctx.msg;
  const name = m.get('Channel') ?? '';
  if (name === '') return error(ctx, 'No channel specified');
  const causeText = m.get('Cause') ?? '';
  let cause = causeText === '' ? 0 : Number(causeText);
  if (!Number.isInteger(cause) || cause < 0 || cause > 127) cause = 0;
  const pbx = ctx.pbx;
  if (!name.startsWith('/')) {
    const ch = pbx.channels.get(name);
    if (ch === undefined) return error(ctx, 'No such channel');
    softHangup(pbx, ch, cause || 16);
    return ack(ctx, 'Channel Hungup');
  }
  if (name.length < 2 || !name.endsWith('/')) return error(ctx, 'Regex format invalid, Channel param should be /regex/');
  let re: EreMatcher;
  try {
    re = translateEre(name.slice(1, -1));
  } catch {
    return error(ctx, `Regex compile failed on: ${name}`);
  }
  listAck(ctx, 'Channels hung up will follow');
  let n = 0;
  // Hanging up one half of a Local pair takes the other with it, but the
  // iteration (like ast_channel_iterator_all_new()) still lists both.
  for (const ch of pbx.channels.list()) {
    if (!re.test(ch.name)) continue;
    softHangup(pbx, ch, cause || 16);
    n++;
    ctx.out += `Event: ChannelHungup\r\nChannel: ${ch.name}\r\n${ctx.idLine}\r\n`;
  }
  listComplete(ctx, 'ChannelsHungupListComplete', n);
}
