// Action: Challenge (S9, S10). main/manager.c action_challenge(): AuthType MD5
// (any case) gets this session's challenge, made once; anything else "Must
// specify AuthType". A user who may not log in again gets "Login Already In
// Use" after authenticate()'s 1 s delay, and the session closes.

import { newChallenge } from '../../protocol/md5-challenge.js';
import type { LocalAction } from '../context.js';

export const challenge: LocalAction = {
  name: 'Challenge',
  beforeLogin: true,
  checked: false,
  run(ctx, msg, action, started) {
    if (!ctx.services.challengeAllowed(msg.get('Username'))) {
      ctx.setBusy('failing');
      const t = setTimeout(() => {
        ctx.reply(msg, 'Error', 'Login Already In Use');
        ctx.observe(msg, action, 'error', started);
        ctx.end('session-limit');
      }, 1000);
      t.unref?.();
      return;
    }
    if (msg.get('AuthType')?.toLowerCase() !== 'md5') {
      ctx.reply(msg, 'Error', 'Must specify AuthType');
      return ctx.observe(msg, action, 'error', started);
    }
    ctx.challenge ??= newChallenge();
    ctx.respond(msg, [['Response', 'Success'], ['Challenge', ctx.challenge]]);
    ctx.observe(msg, action, 'success', started);
  },
};
