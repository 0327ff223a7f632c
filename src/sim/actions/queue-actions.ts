// QueueStatus and QueueSummary (apps/app_queue.c manager_queues_status(),
// manager_queues_summary()). app_queue registers both with authority 0 and,
// unlike core lists, prints ActionID as the last header of each item.

import { listAck, listComplete, type ActionContext } from '../reply.js';
import type { SimQueue } from '../queue.js';

function unknown(v: string | undefined): string { return v ?? 'unknown'; }

export function queueStatus(ctx: ActionContext): void {
  const q = ctx.pbx.queue;
  const queueFilter = ctx.msg.get('Queue') ?? '';
  const memberFilter = ctx.msg.get('Member') ?? '';
  listAck(ctx, 'Queue status will follow');
  let items = 0;
  if (queueFilter === '' || queueFilter === q.name) {
    const now = Date.now();
    ctx.out += `Event: QueueParams\r\nQueue: ${q.name}\r\nMax: ${q.max}\r\nStrategy: ${q.strategy}\r\nCalls: ${q.callers.length}\r\n` +
      `Holdtime: ${q.holdtime}\r\nTalkTime: ${q.talktime}\r\nCompleted: ${q.completed}\r\nAbandoned: ${q.abandoned}\r\n` +
      `ServiceLevel: ${q.serviceLevel}\r\nServicelevelPerf: 0.0\r\nServicelevelPerf2: 0.0\r\nWeight: ${q.weight}\r\n${ctx.idLine}\r\n`;
    items++;
    for (const mem of q.members) {
      if (memberFilter !== '' && memberFilter !== mem.location && memberFilter !== mem.name) continue;
      ctx.out += `Event: QueueMember\r\nQueue: ${q.name}\r\nName: ${mem.name}\r\nLocation: ${mem.location}\r\n` +
        `StateInterface: ${mem.stateInterface}\r\nMembership: ${mem.membership}\r\nPenalty: ${mem.penalty}\r\n` +
        `CallsTaken: ${mem.callsTaken}\r\nLastCall: ${mem.lastCall}\r\nLastPause: ${mem.lastPause}\r\nLoginTime: ${mem.loginTime}\r\n` +
        `InCall: 0\r\nStatus: ${q.memberStatus(mem)}\r\nPaused: ${mem.paused ? 1 : 0}\r\nPausedReason: ${mem.pausedReason}\r\n` +
        `Wrapuptime: ${mem.wrapuptime}\r\n${ctx.idLine}\r\n`;
      items++;
    }
    for (const c of q.callers) {
      const ch = c.ch;
      ctx.out += `Event: QueueEntry\r\nQueue: ${q.name}\r\nPosition: ${q.position(c)}\r\nChannel: ${ch.name}\r\nUniqueid: ${ch.uniqueid}\r\n` +
        `CallerIDNum: ${unknown(ch.cidNum)}\r\nCallerIDName: ${unknown(ch.cidName)}\r\n` +
        `ConnectedLineNum: ${unknown(ch.connNum)}\r\nConnectedLineName: ${unknown(ch.connName)}\r\n` +
        `Wait: ${Math.floor((now - c.joined) / 1000)}\r\nPriority: 0\r\n${ctx.idLine}\r\n`;
      items++;
    }
  }
  listComplete(ctx, 'QueueStatusComplete', items);
}

export function queueSummary(ctx: ActionContext): void {
  const q: SimQueue = ctx.pbx.queue;
  const queueFilter = ctx.msg.get('Queue') ?? '';
  listAck(ctx, 'Queue summary will follow');
  let items = 0;
  if (queueFilter === '' || queueFilter === q.name) {
    const now = Date.now();
    const available = q.members.filter((m) => !m.paused && q.memberStatus(m) === 1).length;
    const longest = q.callers.reduce((mx, c) => Math.max(mx, Math.floor((now - c.joined) / 1000)), 0);
    ctx.out += `Event: QueueSummary\r\nQueue: ${q.name}\r\nLoggedIn: ${q.members.length}\r\nAvailable: ${available}\r\n` +
      `Callers: ${q.callers.length}\r\nHoldTime: ${q.holdtime}\r\nTalkTime: ${q.talktime}\r\nLongestHoldTime: ${longest}\r\n${ctx.idLine}\r\n`;
    items++;
  }
  listComplete(ctx, 'QueueSummaryComplete', items);
}
