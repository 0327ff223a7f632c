// Broadcast event formatting for the simulated Asterisk: the header block of
// main/manager.c __ast_manager_event_multichan() and the channel snapshot block
// of ast_manager_build_channel_state_string_prefix(). An event is serialised
// once into a Buffer that every receiving session writes as is.
//
//   Event: <name>\r\n
//   Privilege: <classes>,all\r\n        authority_to_str(): always ends in ",all" (S18)
//   SystemName: <name>\r\n              only when asterisk.conf sets systemname
//   <body>\r\n                          every body line already ends in \r\n

import { authorityToStr } from '../protocol/privileges.js';
import type { SimChannel } from './channels.js';

/** EVENT_FLAG_* of include/asterisk/manager.h used by the simulator. */
export const EVENT = {
  SYSTEM: 1 << 0,
  CALL: 1 << 1,
  AGENT: 1 << 5,
  USER: 1 << 6,
  DIALPLAN: 1 << 11,
  SECURITY: 1 << 18,
} as const;

export interface SimEvent {
  readonly name: string;
  /** EVENT_FLAG_* mask; a session gets the event only if it reads all of these classes (S17). */
  readonly category: number;
  /** Exact wire text, final blank line included (what event filters match against). */
  readonly text: string;
  readonly buf: Buffer;
}

const privCache = new Map<number, string>();
function privilege(category: number): string {
  let s = privCache.get(category);
  if (s === undefined) {
    s = authorityToStr(category);
    privCache.set(category, s);
  }
  return s;
}

/** Build an event; `body` is a run of "Key: value\r\n" lines. */
export function makeEvent(name: string, category: number, body: string, systemName: string | undefined): SimEvent {
  const text = 'Event: ' + name + '\r\nPrivilege: ' + privilege(category) + '\r\n' +
    (systemName ? 'SystemName: ' + systemName + '\r\n' : '') + body + '\r\n';
  return { name, category, text, buf: Buffer.from(text, 'latin1') };
}

/** ast_state2str() for the states the simulator uses. */
export const STATE_DESC: Readonly<Record<number, string>> = {
  0: 'Down', 1: 'Rsrvd', 2: 'OffHook', 3: 'Dialing', 4: 'Ring', 5: 'Ringing', 6: 'Up', 7: 'Busy', 8: 'Dialing Offhook', 9: 'Pre-ring',
};

export const UNKNOWN = '<unknown>';

/** The channel snapshot lines of channel events, list items and Status, with an optional prefix (Dest, LocalOne...). */
export function channelState(ch: SimChannel, prefix = ''): string {
  return prefix + 'Channel: ' + ch.name + '\r\n' +
    prefix + 'ChannelState: ' + ch.state + '\r\n' +
    prefix + 'ChannelStateDesc: ' + (STATE_DESC[ch.state] ?? 'Unknown') + '\r\n' +
    prefix + 'CallerIDNum: ' + (ch.cidNum ?? UNKNOWN) + '\r\n' +
    prefix + 'CallerIDName: ' + (ch.cidName ?? UNKNOWN) + '\r\n' +
    prefix + 'ConnectedLineNum: ' + (ch.connNum ?? UNKNOWN) + '\r\n' +
    prefix + 'ConnectedLineName: ' + (ch.connName ?? UNKNOWN) + '\r\n' +
    prefix + 'Language: ' + ch.language + '\r\n' +
    prefix + 'AccountCode: ' + ch.accountCode + '\r\n' +
    prefix + 'Context: ' + ch.context + '\r\n' +
    prefix + 'Exten: ' + ch.exten + '\r\n' +
    prefix + 'Priority: ' + ch.priority + '\r\n' +
    prefix + 'Uniqueid: ' + ch.uniqueid + '\r\n' +
    prefix + 'Linkedid: ' + ch.linkedid + '\r\n';
}

/** Body lines from [key, value] pairs. */
export function lines(pairs: ReadonlyArray<readonly [string, string]>): string {
  let s = '';
  for (const [k, v] of pairs) s += k + ': ' + v + '\r\n';
  return s;
}

/** `2026-11-22T05:55:38.291+0000`: the EventTV/SessionTV format of security events (UTC). */
export function eventTv(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** `<sec>.<usec>` (ast_tvnow()), as in Ping's Timestamp. */
export function timestamp(): string {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

/** `IPV4/TCP/127.0.0.1/15038`, as security events print socket addresses. */
export function securityAddress(address: string | undefined, port: number | undefined): string {
  let a = address ?? '';
  if (a.startsWith('::ffff:') && a.includes('.')) a = a.slice(7);
  return `${a.includes(':') ? 'IPV6' : 'IPV4'}/TCP/${a}/${port ?? 0}`;
}
