// A small AMI-over-HTTP client for tests: node's http/https client, one
// request per call, the mansession_id cookie kept like a browser's jar.

import http from 'node:http';
import https from 'node:https';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Header names and values as sent, in order. */
  raw: string[];
  body: string;
  /** Wall time of the request, ms. */
  ms: number;
}

export type Params = Array<[string, string]> | Record<string, string>;

export function formOf(params: Params): string {
  const list = Array.isArray(params) ? params : Object.entries(params);
  return list.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

export interface HttpAmiClientOptions {
  port: number;
  /** HTTPS with this CA. */
  ca?: Buffer;
  /** Keep-alive agent (many requests, few sockets); default a new connection per request. */
  agent?: http.Agent;
  /** Source address (any 127.0.0.0/8 address works on Linux loopback). */
  localAddress?: string;
}

export class HttpAmiClient {
  cookie: string | undefined;
  private readonly opts: HttpAmiClientOptions;

  constructor(opts: HttpAmiClientOptions) {
    this.opts = opts;
  }

  get(path: string, params: Params, headers: Record<string, string> = {}): Promise<HttpReply> {
    const q = formOf(params);
    return this.send('GET', q ? `${path}?${q}` : path, undefined, headers);
  }

  post(path: string, params: Params | string, headers: Record<string, string> = {}): Promise<HttpReply> {
    const body = typeof params === 'string' ? params : formOf(params);
    return this.send('POST', path, body, { 'Content-Type': 'application/x-www-form-urlencoded', ...headers });
  }

  /** Log in through /rawman with GET (POST when `post`), keeping the cookie. */
  async login(username: string, secret: string, post = false): Promise<HttpReply> {
    const p = { action: 'login', username, secret };
    return post ? this.post('/rawman', p) : this.get('/rawman', p);
  }

  send(method: string, target: string, body: string | undefined, headers: Record<string, string> = {}): Promise<HttpReply> {
    const mod = this.opts.ca ? https : http;
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const req = mod.request({
        host: '127.0.0.1', port: this.opts.port, method, path: target,
        agent: this.opts.agent ?? false,
        ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}),
        ...(this.opts.ca ? { ca: this.opts.ca } : {}),
        headers: { ...(this.cookie ? { Cookie: `mansession_id="${this.cookie}"` } : {}), ...headers, ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const set = res.headers['set-cookie']?.[0];
          const id = set ? /mansession_id="([0-9a-f]+)"/.exec(set)?.[1] : undefined;
          if (id) this.cookie = id;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: res.rawHeaders, body: Buffer.concat(chunks).toString('latin1'), ms: Date.now() - started });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** The `Name: value` pairs of each AMI message in a rawman body. */
export function rawmanMessages(body: string): Array<Map<string, string>> {
  return body.split('\r\n\r\n').filter((b) => b.length > 0).map((b) => {
    const m = new Map<string, string>();
    for (const line of b.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0 && !m.has(line.slice(0, i))) m.set(line.slice(0, i), line.slice(i + 1).trim());
    }
    return m;
  });
}
