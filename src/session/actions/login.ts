// Action: Login (S7, S8). main/manager.c authenticate(): plain Secret or MD5
// Key over this session's Challenge; a failure sleeps 1 s, answers and closes;
// success answers on its own write, then FullyBooted for system readers.

import { AmiMessage } from '../../protocol/message.js';
import { stringsToMask } from '../../protocol/privileges.js';
import type { ActionContext, LocalAction } from '../context.js';

export const login: LocalAction = {
  name: 'Login',
  beforeLogin: true,
  checked: false,
  run(ctx, msg, action, started) {
    // Before login, Login has its own records (login-ok / login-failed), not an action record.
    if (ctx.status !== 'unauthenticated') {
      ctx.reply(msg, 'Success', 'Already authenticated');
      ctx.observe(msg, action, 'success', started);
      return;
    }
    authenticate(ctx, msg);
  },
};

/**
 * A login the transport asked for (HTTP Digest, TransportSession.authenticate()):
 * the same login service and records as Login, without a reply or the 1 s
 * sleep (the transport answers 401 itself). A refused session is destroyed.
 */
export async function transportLogin(ctx: ActionContext, username: string, digest: boolean): Promise<boolean> {
  if (ctx.status !== 'unauthenticated') return ctx.status === 'ready';
  let res: Awaited<ReturnType<ActionContext['services']['login']>>;
  try {
    res = await ctx.services.login({ username, digest, conn: ctx.conn, sessionId: ctx.id });
  } catch {
    res = { ok: false, reason: 'login-error', reply: 'Authentication failed' };
  }
  if (ctx.status !== 'unauthenticated') return false; // closed meanwhile
  if (!res.ok) {
    ctx.services.observe({ type: 'login-failed', session: ctx, username, reason: res.reason });
    ctx.destroy('login-failed');
    return false;
  }
  ctx.loggedIn(res.user);
  ctx.services.observe({ type: 'login-ok', session: ctx });
  return true;
}

function authenticate(ctx: ActionContext, msg: AmiMessage): void {
  const username = msg.get('Username') ?? '';
  const md5 = msg.get('AuthType')?.toLowerCase() === 'md5';
  ctx.setBusy('login');
  ctx.services.login({
    username,
    ...(md5 ? { key: msg.get('Key') ?? '', ...(ctx.challenge !== undefined ? { challenge: ctx.challenge } : {}) } : { secret: msg.get('Secret') ?? '' }),
    conn: ctx.conn,
    sessionId: ctx.id,
  }).then((res) => {
    if (ctx.status !== 'unauthenticated') return; // closed meanwhile
    if (!res.ok) {
      ctx.services.observe({ type: 'login-failed', session: ctx, username, reason: res.reason });
      // manager.c authenticate() failure: sleep 1 s, answer, close (S8). The
      // reply and the delay are the same whatever the reason.
      ctx.setBusy('failing');
      const t = setTimeout(() => {
        if (ctx.status !== 'unauthenticated') return;
        ctx.reply(msg, 'Error', res.reply);
        ctx.end('login-failed');
      }, 1000);
      t.unref?.();
      return;
    }
    const events = msg.get('Events');
    if (events !== undefined && events.length > 0) {
      const m = stringsToMask(events);
      if (m >= 0) ctx.sendMask = m;
    }
    ctx.loggedIn(res.user);
    ctx.reply(msg, 'Success', 'Authentication accepted');
    ctx.services.observe({ type: 'login-ok', session: ctx });
    // goami2 reads the login reply with one read(): give it its own write,
    // then FullyBooted for system readers (S8).
    ctx.flush();
    const booted = ctx.services.fullyBooted();
    if (booted && (res.user.readMask & 1) === 1 && (ctx.sendMask & 1) === 1) {
      setImmediate(() => {
        if (ctx.status !== 'ready') return;
        ctx.send(AmiMessage.from([
          ['Event', 'FullyBooted'], ['Privilege', 'system,all'],
          ['Uptime', String(booted.uptime)], ['LastReload', String(booted.lastReload)], ['Status', 'Fully Booted'],
        ]));
        ctx.done();
      });
    } else {
      ctx.done();
    }
  }, () => {
    if (ctx.status !== 'unauthenticated') return;
    ctx.reply(msg, 'Error', 'Authentication failed');
    ctx.end('login-error');
  });
}
