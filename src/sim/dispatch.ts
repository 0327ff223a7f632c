// process_message() of main/manager.c up to the action handler, shared by the
// simulator's AMI sockets (session.ts) and its HTTP sessions (http.ts): parse
// faults, Missing action, the pre-login gate, allowmultiplelogin, action lookup
// and the write-class check (S12).

import { findAction } from './actions/index.js';
import { error, type ActionContext, type ActionResult } from './reply.js';
import { unknownActionMessage } from '../protocol/unknown-action.js';

export function dispatch(ctx: ActionContext): ActionResult | Promise<ActionResult> {
  const msg = ctx.msg;
  const s = ctx.session;
  const pbx = ctx.pbx;
  if (msg.fault === 'too-many-lines') return error(ctx, 'Too many lines in message or allocation failure');
  if (msg.fault === 'line-too-long') return error(ctx, 'Failed to parse message: line too long');
  const action = msg.getNonEmpty('Action');
  if (action === undefined) return error(ctx, 'Missing action in request');
  pbx.record({ user: s.username, action, msg, at: Date.now() });
  if (pbx.shuttingDown) return error(ctx, 'Asterisk is shutting down');
  const a = action.toLowerCase();
  const preAuth = a === 'login' || a === 'logoff' || a === 'challenge';
  if (!s.authenticated && !preAuth) return error(ctx, 'Permission denied');
  if (!s.authenticated && a !== 'logoff') {
    const name = msg.get('Username');
    const user = name ? pbx.user(name) : undefined;
    if (user !== undefined && !user.allowMultipleLogin && pbx.userInUse(user.name)) {
      // allowmultiplelogin = no (S10): sleep 1 s, refuse, hang up.
      return s.delay(pbx.settings.loginFailureDelayMs).then(() => {
        error(ctx, 'Login Already In Use');
        return 'close' as const;
      });
    }
  }
  const def = findAction(action, pbx.settings.withoutActions);
  if (def === undefined) return error(ctx, unknownActionMessage(action));
  // Any one of the action's classes is enough (S12).
  if (!((s.writeperm & def.authority) !== 0 || def.authority === 0)) return error(ctx, 'Permission denied');
  if (def.handler === undefined) return error(ctx, `${def.name} is not modelled by the amigate simulator`);
  return def.handler(ctx);
}
