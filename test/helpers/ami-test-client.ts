// A minimal AMI client for tests: connect over TCP or TLS, read the banner,
// send actions, await responses and collect events and list items.

import net from 'node:net';
import tls from 'node:tls';
import { AmiParser } from '../../src/protocol/parser.js';
import { AmiMessage } from '../../src/protocol/message.js';
import { md5Key } from '../../src/protocol/md5-challenge.js';

export interface ClientOptions {
  port: number;
  host?: string;
  /** Source address (any 127.0.0.0/8 address works on Linux loopback). */
  localAddress?: string;
  tls?: { ca: string | Buffer; cert?: string | Buffer; key?: string | Buffer; servername?: string };
}

export class TestClient {
  readonly socket: net.Socket;
  banner: string | undefined;
  /** Every packet received, in order. */
  readonly received: AmiMessage[] = [];
  /** performance.now() when each packet of `received` was parsed (same index), for latency and rate checks. */
  readonly receivedAt: number[] = [];
  closed = false;
  private waiters: Array<{ pred: (m: AmiMessage) => boolean; resolve: (m: AmiMessage) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = [];
  private readonly bannerWait: Promise<string>;
  readonly closedPromise: Promise<void>;

  constructor(socket: net.Socket) {
    this.socket = socket;
    let resolveBanner: (s: string) => void = () => {};
    this.bannerWait = new Promise((r) => { resolveBanner = r; });
    const parser = new AmiParser({
      onBanner: (line) => { this.banner = line; resolveBanner(line); },
      onMessage: (m) => this.onMessage(m),
    }, { banner: true, maxLineBytes: 1 << 20, maxLines: 1e5, emitEmpty: false });
    socket.on('data', (d: Buffer) => parser.write(d));
    this.closedPromise = new Promise((resolve) => socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) { clearTimeout(w.timer); w.reject(new Error('connection closed')); }
      resolve();
    }));
    socket.on('error', () => {});
  }

  static async connect(opts: ClientOptions): Promise<TestClient> {
    const host = opts.host ?? '127.0.0.1';
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = opts.tls
        ? tls.connect({ host, port: opts.port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}), ca: opts.tls.ca, ...(opts.tls.cert ? { cert: opts.tls.cert, key: opts.tls.key } : {}), servername: opts.tls.servername ?? 'localhost' }, () => resolve(s))
        : net.connect({ host, port: opts.port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) }, () => resolve(s));
      s.once('error', reject);
    });
    socket.setNoDelay(true);
    const c = new TestClient(socket);
    return c;
  }

  waitBanner(ms = 5000): Promise<string> {
    return Promise.race([this.bannerWait, new Promise<string>((_, rej) => setTimeout(() => rej(new Error('no banner')), ms).unref())]);
  }

  private onMessage(m: AmiMessage): void {
    this.received.push(m);
    this.receivedAt.push(performance.now());
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i]!;
      if (w.pred(m)) {
        this.waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve(m);
        return;
      }
    }
  }

  /** The next packet (from now on, or already received after index `from`) matching pred. */
  waitFor(pred: (m: AmiMessage) => boolean, ms = 5000, from?: number): Promise<AmiMessage> {
    if (from !== undefined) {
      const found = this.received.slice(from).find(pred);
      if (found) return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error('timed out waiting for a packet'));
      }, ms);
      this.waiters.push({ pred, resolve, reject, timer });
    });
  }

  write(text: string): void { this.socket.write(text); }

  /** Send an action and wait for the Response carrying `ActionID` (adds one when absent unless noId). */
  async action(pairs: Array<[string, string]>, opts: { id?: string; noId?: boolean; ms?: number } = {}): Promise<AmiMessage> {
    const m = AmiMessage.from(pairs);
    const id = opts.id ?? m.get('ActionID') ?? (opts.noId ? undefined : `t${Math.random().toString(36).slice(2, 10)}`);
    if (id !== undefined && !m.has('ActionID')) m.append('ActionID', id);
    const from = this.received.length;
    this.socket.write(m.toBuffer());
    return this.waitFor((r) => r.isResponse && (id === undefined ? !r.has('ActionID') : r.get('ActionID') === id), opts.ms ?? 5000, from);
  }

  /** Send a list action and collect the response, items and the Complete event. */
  async list(pairs: Array<[string, string]>, id: string, ms = 5000): Promise<{ response: AmiMessage; items: AmiMessage[]; complete: AmiMessage }> {
    const from = this.received.length;
    const response = await this.action([...pairs, ['ActionID', id]], { ms });
    const complete = await this.waitFor((r) => r.isEvent && r.get('ActionID') === id && r.get('EventList')?.toLowerCase() === 'complete', ms, from);
    const items = this.received.slice(from).filter((r) => r.isEvent && r.get('ActionID') === id && r !== complete);
    return { response, items, complete };
  }

  async login(username: string, secret: string, extra: Array<[string, string]> = []): Promise<AmiMessage> {
    await this.waitBanner();
    // A first Login pays one scrypt; 50 of them at once on a loaded 2-core CI can take seconds.
    return this.action([['Action', 'Login'], ['Username', username], ['Secret', secret], ...extra], { ms: 15000 });
  }

  async loginMd5(username: string, secret: string): Promise<AmiMessage> {
    await this.waitBanner();
    const ch = await this.action([['Action', 'Challenge'], ['AuthType', 'MD5']]);
    const challenge = ch.get('Challenge')!;
    return this.action([['Action', 'Login'], ['AuthType', 'MD5'], ['Username', username], ['Key', md5Key(challenge, secret)]]);
  }

  events(name?: string): AmiMessage[] {
    return this.received.filter((m) => m.isEvent && (name === undefined || m.get('Event') === name));
  }

  close(): Promise<void> {
    if (!this.closed) this.socket.destroy();
    return this.closedPromise;
  }
}
