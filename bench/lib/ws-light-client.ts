// The load generator's WebSocket AMI client (the WebSocket scenario,
// bench/websocket.ts): the same surface as LightClient and as cheap per frame.
// A frame is one packet in both framings, so it finds its markers (`SentAt` of
// bench events, the pending ActionID of a response) with indexOf and never
// parses, not even the JSON.

import { WebSocket } from 'ws';

export interface WsTarget {
  url: string;
  protocol: 'ami' | 'ami-json';
  user: string;
  secret: string;
}

export class WsLightClient {
  readonly ws: WebSocket;
  private readonly json: boolean;
  private pending: { id: string; resolve: () => void } | undefined;
  onEvent: ((sentAt: number) => void) | undefined;
  events = 0;
  closed = false;

  private constructor(ws: WebSocket, json: boolean) {
    this.ws = ws;
    this.json = json;
    ws.on('message', (d: Buffer) => this.frame(d.toString('latin1')));
    ws.on('error', () => {});
    ws.on('close', () => { this.closed = true; });
  }

  static connect(t: WsTarget): Promise<WsLightClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(t.url, t.protocol, { perMessageDeflate: false });
      const c = new WsLightClient(ws, t.protocol === 'ami-json');
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  static async login(t: WsTarget, events: boolean): Promise<WsLightClient> {
    const c = await WsLightClient.connect(t);
    await c.action(`Action: Login\r\nUsername: ${t.user}\r\nSecret: ${t.secret}\r\nEvents: ${events ? 'on' : 'off'}\r\n`, 'login');
    return c;
  }

  /** `headers` in AMI text (`Key: Value\r\n`...), sent in this client's framing. */
  action(headers: string, id: string): Promise<void> {
    return new Promise((resolve) => {
      this.pending = { id, resolve };
      if (!this.json) {
        this.ws.send(`${headers}ActionID: ${id}\r\n\r\n`);
        return;
      }
      const h: Record<string, string> = {};
      for (const line of headers.split('\r\n')) {
        const c = line.indexOf(':');
        if (c > 0) h[line.slice(0, c)] = line.slice(c + 1).trim();
      }
      h['ActionID'] = id;
      this.ws.send(JSON.stringify({ type: 'action', headers: h }));
    });
  }

  private frame(f: string): void {
    const marker = this.json ? '"SentAt":"' : 'SentAt: ';
    const sent = f.indexOf(marker);
    if (sent >= 0) {
      this.events++;
      if (this.onEvent) this.onEvent(parseFloat(f.slice(sent + marker.length)));
      return;
    }
    const p = this.pending;
    if (p === undefined) return;
    const isResponse = this.json ? f.startsWith('{"type":"response"') : f.startsWith('Response: ');
    if (!isResponse) return;
    const idMarker = this.json ? `"ActionID":"${p.id}"` : `ActionID: ${p.id}\r\n`;
    if (f.indexOf(idMarker) < 0) return;
    this.pending = undefined;
    p.resolve();
  }

  close(): void {
    this.ws.terminate();
  }
}
