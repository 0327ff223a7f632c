// Write batching on an upstream socket. Many clients share it: the actions
// written in one event-loop turn go out in one writev instead of one syscall
// each. setImmediate, not nextTick: each client socket's read is a callback of
// its own, after which nextTick queues run, so a nextTick uncork wrote once
// per client; the check phase runs after every socket that was readable in
// this turn has been handled, in the same turn (no timer, no added wait when
// only one client is active).
//
// The caller tests `holder.corked === undefined` itself, so an action written
// into an already corked turn costs nothing more than the write.

import type { Duplex } from 'node:stream';

/** What keeps the stream corked for this turn's writes (the connection). */
export interface TurnCorked {
  corked: Duplex | undefined;
}

/** Cork `stream` until the check phase of this turn. */
export function corkForTurn(holder: TurnCorked, stream: Duplex): void {
  holder.corked = stream;
  stream.cork();
  setImmediate(uncorkTurn, holder);
}

function uncorkTurn(holder: TurnCorked): void {
  const s = holder.corked;
  holder.corked = undefined;
  s?.uncork();
}
