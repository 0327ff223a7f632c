// Login, Logoff and Challenge (main/manager.c action_login(), authenticate(),
// action_logoff(), action_challenge(); S7-S10, S15).

import { md5Key, newChallenge } from '../../protocol/md5-challenge.js';
import { EVENT, eventTv, makeEvent, securityAddress } from '../events.js';
import { ack, error, respond, startAck, type ActionContext, type ActionResult } from '../reply.js';

export function login(ctx: ActionContext): ActionResult | Promise<ActionResult> {
  const s = ctx.session;
  if (s.authenticated) return ack(ctx, 'Already authenticated');
  const msg = ctx.msg;
  const name = msg.get('Username') ?? '';
  const user = name ? ctx.pbx.user(name) : undefined;
  let ok = false;
  if (user !== undefined && user.allows(s.socket.remoteAddress ?? '')) {
    if ((msg.get('AuthType') ?? '').toLowerCase() === 'md5') {
      ok = s.challenge !== undefined && (msg.get('Key') ?? '') === md5Key(s.challenge, user.secret);
    } else {
      ok = (msg.get('Secret') ?? '') === user.secret;
    }
  }
  if (!ok || user === undefined) {
    // Same answer for unknown user, ACL, bad secret or key: sleep 1 s, refuse, hang up (S8).
    return s.delay(ctx.pbx.settings.loginFailureDelayMs).then(() => {
      error(ctx, 'Authentication failed');
      return 'close' as const;
    });
  }
  s.login(user, msg.get('Events'));
  successfulAuth(ctx);
  ack(ctx, 'Authentication accepted');
  // manager.c action_login(): only once AST_OPT_FLAG_FULLY_BOOTED is set; before
  // that, the session gets the FullyBooted broadcast when loading ends.
  if (ctx.pbx.fullyBooted && (s.sendEvents & EVENT.SYSTEM) !== 0 && (s.readperm & EVENT.SYSTEM) !== 0) {
    // Written straight into the response (astman_append), so no SystemName header.
    const now = Date.now();
    ctx.out += 'Event: FullyBooted\r\nPrivilege: system,all\r\n' +
      `Uptime: ${Math.floor((now - ctx.pbx.startTime) / 1000)}\r\n` +
      `LastReload: ${Math.floor((now - ctx.pbx.lastReload) / 1000)}\r\n` +
      'Status: Fully Booted\r\n\r\n';
  }
}

/** The security event every `security` reader gets, this session included (it is queued, so it follows the response). */
function successfulAuth(ctx: ActionContext): void {
  const s = ctx.session;
  const tv = eventTv(Date.now());
  const ev = makeEvent('SuccessfulAuth', EVENT.SECURITY,
    `EventTV: ${tv}\r\nSeverity: Informational\r\nService: AMI\r\nEventVersion: 1\r\n` +
    `AccountID: ${s.username}\r\nSessionID: ${s.sessionId}\r\n` +
    `LocalAddress: ${securityAddress(s.socket.localAddress, s.socket.localPort)}\r\n` +
    `RemoteAddress: ${securityAddress(s.socket.remoteAddress, s.socket.remotePort)}\r\n` +
    `UsingPassword: 0\r\nSessionTV: ${tv}\r\n`, ctx.pbx.systemName);
  ctx.pbx.broadcast(ev);
}

export function logoff(ctx: ActionContext): ActionResult {
  respond(ctx, 'Goodbye', 'Thanks for all the fish.');
  return 'close';
}

export function challenge(ctx: ActionContext): ActionResult {
  if ((ctx.msg.get('AuthType') ?? '').toLowerCase() !== 'md5') return error(ctx, 'Must specify AuthType');
  const s = ctx.session;
  s.challenge ??= newChallenge();
  startAck(ctx);
  ctx.out += `Challenge: ${s.challenge}\r\n\r\n`;
}
