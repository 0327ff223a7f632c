// N clients in a closed loop: each sends the next action as soon as the last
// one is answered. Runs until stop(); window() measures a span of it, so a
// scenario can compare before/during/after something else happens (stall.ts).
// ActionIDs collide across clients (every client counts 0, 1, 2…), as real
// clients' do: the proxy must keep them apart by session.

import { LightClient, nowMs } from './light-client.js';
import { Samples, type LatencySummary } from './stats.js';

export interface WindowResult extends LatencySummary { perSecond: number }

export class ClosedLoop {
  private samples = new Samples();
  private from = Infinity;
  private n = 0;
  private stopping = false;
  /** Every action answered since start (the audit completeness check counts them). */
  answered = 0;
  private readonly done: Promise<unknown>;

  /** `request`: the action's header lines (CRLF-terminated) without ActionID. */
  constructor(readonly clients: LightClient[], request: string) {
    this.done = Promise.all(clients.map(async (c) => {
      let seq = 0;
      while (!this.stopping && !c.closed) {
        const t0 = nowMs();
        await c.action(request, String(seq++));
        this.answered++;
        if (t0 >= this.from) { this.samples.add(nowMs() - t0); this.n++; }
      }
    }));
  }

  /** Measure from now (actions sent from now on) for `seconds`. */
  async window(seconds: number): Promise<WindowResult> {
    this.samples = new Samples();
    this.n = 0;
    const started = nowMs();
    this.from = started;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const elapsed = (nowMs() - started) / 1000;
    const n = this.n;
    this.from = Infinity;
    return { ...this.samples.summary(), perSecond: n / elapsed };
  }

  /** Let every client finish its action in flight, then close them. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.race([this.done, new Promise((r) => setTimeout(r, 2000))]);
    for (const c of this.clients) c.close();
  }
}
