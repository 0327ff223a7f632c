// Action: Challenge (S9, S10). main/manager.c action_challenge(): AuthType MD5
// (any case) gets this session's challenge, made once; anything else "Must
// specify AuthType". A user who may not log in again gets "Login Already In
// Use" after authenticate()'s 1 s delay, and the session closes.

import { newChallenge } from '../../protocol/md5-challenge.js';
import type { AmiMessage } from '../../protocol/message.js';
import type { ActionContext, LocalAction } from '../context.js';

export const challenge: LocalAction = {
  name: 'Challenge',
  beforeLogin: true,
  checked: false,
  run(ctx, msg, action, started) {
    const allowed = ctx.services.challengeAllowed(msg.get('Username'));
    if (allowed === true) return answer(ctx, msg, action, started);
    // Refused, or the shared session count (another instance) is being read:
    // the session takes no other request until this one is answered.
    ctx.setBusy('failing');
    void Promise.resolve(allowed).then((ok) => {
      if (ctx.status !== 'unauthenticated') return;
      if (ok) {
        answer(ctx, msg, action, started);
        ctx.done();
        return;
      }
      const t = setTimeout(() => {
        ctx.reply(msg, 'Error', 'Login Already In Use');
        ctx.observe(msg, action, 'error', started);
        ctx.end('session-limit');
      }, 1000);
      t.unref?.();
    });
  },
};

function answer(ctx: ActionContext, msg: AmiMessage, action: string, started: number): void {
  if (msg.get('AuthType')?.toLowerCase() !== 'md5') {
    ctx.reply(msg, 'Error', 'Must specify AuthType');
    return ctx.observe(msg, action, 'error', started);
  }
  ctx.challenge ??= newChallenge();
  ctx.respond(msg, [['Response', 'Success'], ['Challenge', ctx.challenge]]);
  ctx.observe(msg, action, 'success', started);
}
