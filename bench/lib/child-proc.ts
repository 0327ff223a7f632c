// The parent's handle on one bench process (bench/child.ts, one role each):
// fork it, wait for its `ready` message, call commands over IPC.

import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export class Child {
  readonly proc: ChildProcess;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<Record<string, unknown>>;

  constructor(readonly role: string, extra: string[] = [], execArgv: string[] = []) {
    this.proc = fork(join(benchDir, 'child.js'), [role, ...extra], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve, reject) => {
      this.proc.on('message', (raw) => {
        const m = raw as { id?: number; ready?: boolean; ok?: boolean; result?: unknown; error?: string };
        if (m.ready) { resolve(m as Record<string, unknown>); return; }
        const w = this.waiting.get(m.id!);
        if (!w) return;
        this.waiting.delete(m.id!);
        if (m.ok) w.resolve(m.result); else w.reject(new Error(m.error));
      });
      this.proc.on('exit', (code) => reject(new Error(`${role} exited ${code}`)));
    });
  }

  call<T>(cmd: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, cmd, ...params });
    });
  }

  kill(): void { this.proc.kill(); }
}

/** CPU time of a set of processes over a span: start() then stop() gives % of one core each. */
export class CpuMeter {
  private before = new Map<Child, number>();
  private t0 = 0;
  constructor(private readonly children: Child[]) {}

  async start(): Promise<void> {
    this.t0 = performance.now();
    for (const c of this.children) this.before.set(c, await c.call<number>('cpu'));
  }

  /** Percent of one core per child, in the constructor's order. */
  async stop(): Promise<number[]> {
    const wall = (performance.now() - this.t0) * 1000;
    const out: number[] = [];
    for (const c of this.children) out.push(((await c.call<number>('cpu')) - this.before.get(c)!) / wall * 100);
    return out;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
