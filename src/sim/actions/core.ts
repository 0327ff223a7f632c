// Small core actions: Ping, Events, Filter, Reload, UserEvent, CoreStatus,
// CoreSettings (main/manager.c action_ping(), action_events(), action_filter(),
// action_reload(), action_userevent(), action_corestatus(), action_coresettings()).

import { stringsToMask } from '../../protocol/privileges.js';
import { compileFilter, FilterSyntaxError } from '../../policy/event-filter.js';
import { EVENT, timestamp } from '../events.js';
import { ack, error, startAck, type ActionContext } from '../reply.js';
import { AMI_VERSION, ASTERISK_VERSION } from '../version.js';

export function ping(ctx: ActionContext): void {
  startAck(ctx);
  ctx.out += `Ping: Pong\r\nTimestamp: ${timestamp()}\r\n\r\n`;
}

/** EventMask via strings_to_mask(); empty is an error, a number/true/false word/class list sets send_events (S15, S16). */
export function events(ctx: ActionContext): void {
  const mask = stringsToMask(ctx.msg.get('EventMask') ?? '');
  if (mask < 0) return error(ctx, 'Invalid event mask');
  ctx.session.sendEvents = mask;
  startAck(ctx);
  ctx.out += `Events: ${mask > 0 ? 'On' : 'Off'}\r\n\r\n`;
}

/** Operation: Add only; the same syntax as manager.conf eventfilter (S20). */
export function filter(ctx: ActionContext): void {
  const m = ctx.msg;
  if ((m.get('Operation') ?? '').toLowerCase() !== 'add') return error(ctx, 'Unknown operation');
  try {
    ctx.session.filters.add(compileFilter({ matchcriteria: m.get('MatchCriteria') ?? '', filter: m.get('Filter') ?? '' }));
  } catch (err) {
    if (!(err instanceof FilterSyntaxError)) throw err;
    return error(ctx, err.kind === 'compile'
      ? 'Filter did not compile.  Check the syntax of the filter given.'
      : 'Filter was formatted incorrectly.  Check the syntax of the filter given.');
  }
  ack(ctx, 'Success');
}

export function reload(ctx: ActionContext): void {
  const module = ctx.msg.get('Module');
  if (!ctx.pbx.reload(module || undefined)) return error(ctx, 'No such module');
  ack(ctx, 'Module Reloaded');
}

/** Every request header except Action: and UserEvent: is copied into the event as is, ActionID included. */
export function userEvent(ctx: ActionContext): void {
  const name = ctx.msg.get('UserEvent') ?? '';
  let body = '';
  for (const line of ctx.msg.lines) {
    const l = line.toLowerCase();
    if (!l.startsWith('userevent:') && !l.startsWith('action:')) body += line + '\r\n';
  }
  ack(ctx, 'Event Sent');
  ctx.pbx.emit('UserEvent', EVENT.USER, `UserEvent: ${name}\r\n${body}`);
}

export function coreStatus(ctx: ActionContext): void {
  const p = ctx.pbx;
  startAck(ctx);
  ctx.out += `CoreStartupDate: ${date(p.startTime)}\r\nCoreStartupTime: ${time(p.startTime)}\r\n` +
    `CoreReloadDate: ${date(p.lastReload)}\r\nCoreReloadTime: ${time(p.lastReload)}\r\n` +
    `CoreCurrentCalls: ${p.channels.size}\r\nCoreProcessedCalls: ${p.channels.processed}\r\n\r\n`;
}

export function coreSettings(ctx: ActionContext): void {
  startAck(ctx);
  ctx.out += `AMIversion: ${AMI_VERSION}\r\nAsteriskVersion: ${ASTERISK_VERSION}\r\nSystemName: ${ctx.pbx.systemName ?? ''}\r\n` +
    'CoreMaxCalls: 0\r\nCoreMaxLoadAvg: 0.000000\r\nCoreRunUser: \r\nCoreRunGroup: \r\nCoreMaxFilehandles: 0\r\n' +
    'CoreRealTimeEnabled: No\r\nCoreCDRenabled: Yes\r\nCoreHTTPenabled: Yes\r\nSoundsSearchCustomDir: No\r\n\r\n';
}

function pad(n: number): string { return String(n).padStart(2, '0'); }
function date(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
function time(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
