// The load generator's AMI client: as cheap as possible per received byte, so
// that the generator is never what is measured. It does not parse packets; it
// finds the few markers it needs (`Response:` with our ActionID, `SentAt:` of
// bench events) by indexOf on the incoming text.

import net from 'node:net';
import tls from 'node:tls';
import { WsLightClient } from './ws-light-client.js';

export interface Target {
  port: number;
  tls?: { ca: string } | undefined;
  user: string;
  secret: string;
  /** Over amigate's WebSocket endpoint instead (bench/websocket.ts): `port` is unused. */
  ws?: { url: string; protocol: 'ami' | 'ami-json' } | undefined;
}

const BANNER_END = '\r\n';

export class LightClient {
  readonly socket: net.Socket;
  private buf = '';
  private pending: { id: string; resolve: () => void } | undefined;
  /** Called with the SentAt value (epoch ms, float) of each bench event. */
  onEvent: ((sentAt: number) => void) | undefined;
  events = 0;
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => this.data(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      // A closed socket answers nothing: the pending action resolves, so no loop hangs on it.
      this.closed = true;
      const p = this.pending;
      this.pending = undefined;
      p?.resolve();
    });
  }

  static connect(t: Target): Promise<LightClient> {
    return new Promise((resolve, reject) => {
      const s = t.tls
        ? tls.connect({ host: '127.0.0.1', port: t.port, ca: t.tls.ca, servername: 'localhost' })
        : net.connect({ host: '127.0.0.1', port: t.port });
      const c = new LightClient(s);
      s.once(t.tls ? 'secureConnect' : 'connect', () => resolve(c));
      s.once('error', reject);
    });
  }

  /** Connect, read the banner, log in (Events on or off). */
  static async login(t: Target, events: boolean): Promise<LightClient> {
    if (t.ws) return await WsLightClient.login({ ...t.ws, user: t.user, secret: t.secret }, events) as unknown as LightClient;
    const c = await LightClient.connect(t);
    await c.action(`Action: Login\r\nUsername: ${t.user}\r\nSecret: ${t.secret}\r\nEvents: ${events ? 'on' : 'off'}\r\n`, 'login');
    return c;
  }

  /** Send an action (headers without ActionID and the blank line) and wait for its response. */
  action(headers: string, id: string): Promise<void> {
    return new Promise((resolve) => {
      this.pending = { id, resolve };
      this.socket.write(`${headers}ActionID: ${id}\r\n\r\n`);
    });
  }

  private data(d: string): void {
    this.buf = this.buf.length === 0 ? d : this.buf + d;
    let start = 0;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n', start);
      if (end < 0) break;
      this.packet(start, end);
      start = end + 4;
    }
    // The banner is a single line ending in CRLF; it is folded into the first packet, harmlessly.
    this.buf = start === 0 ? this.buf : this.buf.slice(start);
    if (this.buf.length > 1 << 20) this.buf = this.buf.slice(-4096); // never grows without bound
  }

  private packet(start: number, end: number): void {
    const b = this.buf;
    const sent = b.indexOf('SentAt: ', start);
    if (sent >= 0 && sent < end) {
      this.events++;
      if (this.onEvent) this.onEvent(Number(b.slice(sent + 8, b.indexOf('\r\n', sent))));
      return;
    }
    const p = this.pending;
    if (p === undefined) return;
    const r = b.indexOf('Response: ', start);
    if (r < 0 || r > end) return;
    const idAt = b.indexOf('ActionID: ', start);
    if (idAt < 0 || idAt > end) return;
    const idEnd = b.indexOf(BANNER_END, idAt);
    if (b.slice(idAt + 10, idEnd) !== p.id) return;
    this.pending = undefined;
    p.resolve();
  }

  /** Stop reading (the kernel buffers fill, then the peer's writes back up): a stalled client. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Write raw text, not waiting for anything. */
  send(text: string): void {
    this.socket.write(text);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Wall-clock ms with sub-ms resolution, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
