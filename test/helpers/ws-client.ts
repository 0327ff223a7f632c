// A WebSocket test client for amigate's /ws endpoint (the `ws` package as a
// client): records every text frame in order, waits for frames, and is closed
// with the test.

import type { Test } from 'tap';
import { WebSocket, type ClientOptions } from 'ws';

export interface WsClient {
  readonly ws: WebSocket;
  /** Every text frame received, in order. */
  readonly frames: string[];
  /** ami-json frames, parsed. */
  json(): Array<{ type: string; headers?: Record<string, string | string[]>; [k: string]: unknown }>;
  send(text: string): void;
  /** An ami-json action. */
  action(headers: Record<string, string | string[]>): void;
  /** Resolve with the first frame index >= `from` that matches; rejects after `ms`. */
  waitFor(pred: (frame: string) => boolean, ms?: number, from?: number): Promise<string>;
  /** Resolve with the close code and reason; rejects after `ms`. */
  closed(ms?: number): Promise<{ code: number; reason: string }>;
}

export interface WsConnectOptions extends ClientOptions {
  protocols?: string | string[];
}

/** Open a WebSocket; rejects with the handshake's HTTP status when it is refused (Error.message `status <n>`). */
export async function wsConnect(t: Test, url: string, opts: WsConnectOptions = {}): Promise<WsClient> {
  const { protocols, ...rest } = opts;
  const ws = new WebSocket(url, protocols ?? 'ami', { rejectUnauthorized: false, ...rest });
  const frames: string[] = [];
  const waiters = new Set<() => void>();
  let closeInfo: { code: number; reason: string } | undefined;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) frames.push(data.toString('utf8'));
    for (const w of [...waiters]) w();
  });
  ws.on('close', (code: number, reason: Buffer) => {
    closeInfo = { code, reason: reason.toString() };
    for (const w of [...waiters]) w();
  });
  t.teardown(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`status ${res.statusCode ?? 0}`));
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
  ws.on('error', () => { /* close follows */ });
  const wait = <T>(check: () => T | undefined, ms: number, what: string): Promise<T> => new Promise((resolve, reject) => {
    const done = (): void => {
      const v = check();
      if (v === undefined) return;
      waiters.delete(done);
      clearTimeout(timer);
      resolve(v);
    };
    const timer = setTimeout(() => {
      waiters.delete(done);
      reject(new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(frames.slice(-5))}`));
    }, ms);
    waiters.add(done);
    done();
  });
  return {
    ws,
    frames,
    json: () => frames.map((f) => JSON.parse(f)),
    send: (text) => ws.send(text),
    action: (headers) => ws.send(JSON.stringify({ type: 'action', headers })),
    waitFor: (pred, ms = 3000, from = 0) => wait(() => frames.slice(from).find(pred), ms, 'a frame'),
    closed: (ms = 3000) => wait(() => closeInfo, ms, 'close'),
  };
}
