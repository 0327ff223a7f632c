// Test controls for the simulated Asterisk (src/sim): start one per test on an
// ephemeral 127.0.0.1 port, closed with the test, and a raw AMI socket that
// records every byte so tests can wait for and compare exact wire text.

import net from 'node:net';
import type { Test } from 'tap';
import { startSim, type Sim, type SimOptions } from '../../src/sim/server.js';

export type { Sim, SimOptions } from '../../src/sim/server.js';

/** A sim on 127.0.0.1:0 that is closed in t.teardown. */
export async function startSimForTest(t: Test, opts: SimOptions = {}): Promise<Sim> {
  const sim = await startSim({ host: '127.0.0.1', port: 0, ...opts });
  t.teardown(() => sim.close());
  return sim;
}

export interface RawAmi {
  readonly socket: net.Socket;
  /** Everything received so far (latin1). */
  text(): string;
  /** True once the server closed its side. */
  ended(): boolean;
  send(text: string): void;
  /** Resolve with the text once `pred` holds for it (polled on every chunk); rejects after `timeoutMs`. */
  waitFor(pred: RegExp | ((text: string) => boolean), timeoutMs?: number): Promise<string>;
  /** Resolve when the server closed the socket; rejects after `timeoutMs`. */
  waitEnd(timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Open a raw TCP connection to the sim (or anything AMI), destroyed in t.teardown. */
export async function rawAmi(t: Test, port: number, host = '127.0.0.1'): Promise<RawAmi> {
  const socket = net.connect({ port, host });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  t.teardown(() => { socket.destroy(); });
  let buf = '';
  let ended = false;
  const waiters = new Set<() => void>();
  const poke = (): void => { for (const w of [...waiters]) w(); };
  socket.on('data', (d: Buffer) => { buf += d.toString('latin1'); poke(); });
  socket.on('end', () => { ended = true; poke(); });
  socket.on('close', () => { ended = true; poke(); });
  socket.on('error', () => { /* close follows */ });
  const wait = (check: () => boolean, what: string, timeoutMs: number): Promise<void> => new Promise((resolve, reject) => {
    if (check()) { resolve(); return; }
    const timer = setTimeout(() => { waiters.delete(w); reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(buf.slice(-400))}`)); }, timeoutMs);
    const w = (): void => { if (check()) { clearTimeout(timer); waiters.delete(w); resolve(); } };
    waiters.add(w);
  });
  return {
    socket,
    text: () => buf,
    ended: () => ended,
    send: (text) => { socket.write(Buffer.from(text, 'latin1')); },
    waitFor: async (pred, timeoutMs = 5000) => {
      const test = typeof pred === 'function' ? pred : (s: string) => pred.test(s);
      await wait(() => test(buf), String(pred), timeoutMs);
      return buf;
    },
    waitEnd: (timeoutMs = 5000) => wait(() => ended, 'the server to close', timeoutMs),
    close: () => { socket.destroy(); },
  };
}

/** Log in with a plain secret and wait for the response; returns the raw client. */
export async function loginRaw(t: Test, port: number, user: string, secret: string, extra = ''): Promise<RawAmi> {
  const c = await rawAmi(t, port);
  await c.waitFor(/Asterisk Call Manager\/[0-9.]+\r\n/);
  c.send(`Action: Login\r\nUsername: ${user}\r\nSecret: ${secret}\r\n${extra}\r\n`);
  await c.waitFor(/Message: Authentication (accepted|failed)\r\n\r\n/);
  return c;
}
