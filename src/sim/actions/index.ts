// The simulator's action table: every action of the captured Asterisk with its
// authority (from ListCommands, so `Priv:` and the permission check agree),
// and a handler for the ones the simulator models. action_find() matches
// names case-insensitively (S12).

import { classBit } from '../../protocol/privileges.js';
import { startAck, type ActionContext, type ActionHandler } from '../reply.js';
import { CAPTURED_ACTIONS } from './list-commands-data.js';
import { challenge, login, logoff } from './auth.js';
import { events, filter, ping, reload, userEvent, coreStatus, coreSettings } from './core.js';
import { command } from './command.js';
import { coreShowChannels, getvar, hangupAction, setvar, status } from './channel-actions.js';
import { originateAction } from './originate.js';
import { queueStatus, queueSummary } from './queue-actions.js';
import { getConfig, getConfigJson } from './config.js';

export interface ActionDef {
  readonly name: string;
  readonly synopsis: string;
  /** Classes printed in ListCommands (with ",all"), or `<none>`. */
  readonly priv: string;
  /** EVENT_FLAG_* mask; 0 means anyone may run it. */
  readonly authority: number;
  readonly handler: ActionHandler | undefined;
}

const HANDLERS: Readonly<Record<string, ActionHandler>> = {
  login, logoff, challenge, ping, events, listcommands: listCommands, filter, reload, userevent: userEvent,
  corestatus: coreStatus, coresettings: coreSettings, command, coreshowchannels: coreShowChannels, status,
  getvar, setvar, hangup: hangupAction, originate: originateAction, queuestatus: queueStatus,
  queuesummary: queueSummary, getconfig: getConfig, getconfigjson: getConfigJson,
};

function authorityOf(priv: string): number {
  if (priv === '<none>') return 0;
  let mask = 0;
  for (const name of priv.split(',')) if (name !== 'all') mask |= classBit(name) ?? 0;
  return mask;
}

/** In ListCommands order (the captured list is sorted as manager.c keeps it). */
export const ACTIONS: readonly ActionDef[] = CAPTURED_ACTIONS.map(([name, synopsis, priv]) => ({
  name, synopsis, priv, authority: authorityOf(priv), handler: HANDLERS[name.toLowerCase()],
}));

const BY_NAME = new Map(ACTIONS.map((a) => [a.name.toLowerCase(), a]));

/** action_find(): the registered action, or undefined (`without`: actions of modules this server has not loaded). */
export function findAction(name: string, without?: ReadonlySet<string>): ActionDef | undefined {
  const key = name.toLowerCase();
  return without?.has(key) ? undefined : BY_NAME.get(key);
}

/** action_listcommands(): the actions this session may run, `Name: synopsis (Priv: classes)`. */
function listCommands(ctx: ActionContext): void {
  const perm = ctx.session.writeperm;
  const without = ctx.pbx.settings.withoutActions;
  startAck(ctx);
  for (const a of ACTIONS) {
    if (without?.has(a.name.toLowerCase())) continue;
    if ((perm & a.authority) !== 0 || a.authority === 0) ctx.out += `${a.name}: ${a.synopsis} (Priv: ${a.priv})\r\n`;
  }
  ctx.out += '\r\n';
}
