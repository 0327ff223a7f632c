// Shared fixtures of the scope unit tests: two tenants (acme, globex) and an
// unscoped admin, as docs/tenants.md's worked example.

import type { ScopeConfig, UserConfig } from '../../../src/config/schema.js';
import { AmiMessage } from '../../../src/protocol/message.js';

export function scope(p: Partial<ScopeConfig>): ScopeConfig {
  return { channels: [], contexts: [], accountcodes: [], queues: [], devices: [], other: 'deny', unscopedactions: [], ...p };
}

export const ACME = scope({
  channels: ['PJSIP/acme-*', 'Local/*@acme-*'], contexts: ['acme-internal', 'acme-queues'],
  accountcodes: ['acme'], queues: ['acme-support'], devices: ['PJSIP/acme-*'],
});
export const GLOBEX = scope({
  channels: ['PJSIP/globex-*', 'Local/*@globex-*'], contexts: ['globex-internal'],
  accountcodes: ['globex'], queues: ['globex-sales'], devices: ['PJSIP/globex-*'], other: 'allow',
});

export function users(extra: Record<string, ScopeConfig> = {}): { users: Record<string, UserConfig> } {
  const all: Record<string, ScopeConfig | undefined> = { 'acme-crm': ACME, 'globex-crm': GLOBEX, admin: undefined, ...extra };
  const out: Record<string, UserConfig> = {};
  for (const [name, sc] of Object.entries(all)) out[name] = { name, ...(sc ? { scope: sc } : {}) } as unknown as UserConfig;
  return { users: out };
}

export const msg = (pairs: Array<[string, string]>) => AmiMessage.from(pairs);

/** A channel-state block as ast_manager_build_channel_state_string_prefix() writes it. */
export function chan(name: string, uid: string, linkedid: string, context: string, account = '', prefix = ''): Array<[string, string]> {
  return [
    [prefix + 'Channel', name], [prefix + 'ChannelState', '6'], [prefix + 'ChannelStateDesc', 'Up'],
    [prefix + 'CallerIDNum', '100'], [prefix + 'CallerIDName', '<unknown>'],
    [prefix + 'AccountCode', account], [prefix + 'Context', context], [prefix + 'Exten', 's'], [prefix + 'Priority', '1'],
    [prefix + 'Uniqueid', uid], [prefix + 'Linkedid', linkedid],
  ];
}

export const event = (name: string, ...blocks: Array<Array<[string, string]>>) =>
  msg([['Event', name], ['Privilege', 'call,all'], ...blocks.flat()]);
