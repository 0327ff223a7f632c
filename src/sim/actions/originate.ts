// The Originate action (main/manager.c action_originate(); S13, S25): request
// checks in manager.c's order, then a Local call through local-call.ts.
// Async answers "queued" at once and reports through OriginateResponse; sync
// waits for the answer (or the failure) before it responds.

import { isAstTrue } from '../../protocol/privileges.js';
import { extensionExists } from '../dialplan.js';
import { EVENT } from '../events.js';
import { originate, type OriginateRequest } from '../local-call.js';
import { ack, error, type ActionContext, type ActionResult } from '../reply.js';

/** originate_app_permissions[]: applications that need the system class when run by Originate. */
const SYSTEM_APPS = ['agi', 'dbdeltree', 'exec', 'externalivr', 'mixmonitor', 'originate', 'reload', 'system'];
/** Functions in Data that need the system class (case-sensitive, like strstr()). */
const SYSTEM_DATA = ['CURL', 'DB', 'EVAL', 'FILE', 'ODBC', 'REALTIME', 'SHELL'];

export function originateAction(ctx: ActionContext): ActionResult | Promise<ActionResult> {
  const m = ctx.msg;
  const name = m.get('Channel') ?? '';
  const exten = m.get('Exten') ?? '';
  const context = m.get('Context') ?? '';
  const priorityText = m.get('Priority') ?? '';
  const timeoutText = m.get('Timeout') ?? '';
  const app = m.get('Application') ?? '';
  const appData = m.get('Data') ?? '';
  if (name === '') return error(ctx, 'Channel not specified');
  let priority = 0;
  if (priorityText !== '') {
    priority = Number.parseInt(priorityText, 10);
    // Not a number: ast_findlabel_extension(); the test dialplan has no labels.
    if (Number.isNaN(priority)) return error(ctx, 'Invalid priority');
  }
  let timeoutMs = 30000;
  if (timeoutText !== '') {
    timeoutMs = Number.parseInt(timeoutText, 10);
    if (Number.isNaN(timeoutMs)) return error(ctx, 'Invalid timeout');
  }
  if (!name.includes('/')) return error(ctx, 'Invalid channel');
  const [cidName, cidNum] = parseCallerId(m.get('CallerID') ?? '');
  if (app !== '' && (ctx.session.writeperm & EVENT.SYSTEM) === 0) {
    const a = app.toLowerCase();
    if (SYSTEM_APPS.some((x) => a.includes(x))) return error(ctx, 'Originate Access Forbidden: Application');
    if (SYSTEM_DATA.some((x) => appData.includes(x))) return error(ctx, 'Originate Access Forbidden: Data');
  }
  if (priority > 0 && !extensionExists(context, exten, priority)) return error(ctx, 'Extension does not exist.');
  const variables: Array<readonly [string, string]> = [...(ctx.session.user?.setvar ?? [])];
  for (const header of m.getAll('Variable')) {
    for (const kv of header.split(',')) {
      const eq = kv.indexOf('=');
      if (eq > 0) variables.push([kv.slice(0, eq), kv.slice(eq + 1)]);
    }
  }
  const async = isAstTrue(m.get('Async'));
  const appMode = app !== '';
  if (!async && !appMode && !(exten !== '' && context !== '' && priority > 0)) {
    return error(ctx, "Originate with 'Exten' requires 'Context' and 'Priority'");
  }
  const req: OriginateRequest = {
    channel: name, app: appMode ? app : undefined, appData, context, exten, priority,
    cidNum, cidName, variables, actionId: m.get('ActionID') || undefined, async, timeoutMs, account: m.get('Account') ?? '',
  };
  if (async) {
    // fast_originate() runs in its own thread: the response goes out first.
    const pbx = ctx.pbx;
    setImmediate(() => { if (!pbx.shuttingDown) void originate(pbx, req); });
    return ack(ctx, 'Originate successfully queued');
  }
  return originate(ctx.pbx, req).then((ok) => {
    if (ok) ack(ctx, 'Originate successfully queued');
    else error(ctx, 'Originate failed');
  });
}

/** ast_callerid_parse() + ast_shrink_phone_number(): `"Name" <num>`, `Name <num>`, `<num>`, `num` or `name`. */
export function parseCallerId(text: string): [string | undefined, string | undefined] {
  const s = text.trim();
  if (s === '') return [undefined, undefined];
  let name: string | undefined;
  let num: string | undefined;
  const lt = s.lastIndexOf('<');
  const gt = s.lastIndexOf('>');
  if (lt >= 0 && gt > lt) {
    num = s.slice(lt + 1, gt).trim();
    name = s.slice(0, lt).trim().replace(/^"(.*)"$/, '$1').trim();
  } else if (/^[0-9+*#()\-. ]+$/.test(s)) {
    num = s;
  } else {
    name = s.replace(/^"(.*)"$/, '$1');
  }
  if (num !== undefined) num = num.replace(/[()\-. ]/g, '');
  return [name || undefined, num || undefined];
}
