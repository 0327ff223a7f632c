// The web console of an HTTP listener (`console: true`, docs/websocket.md): three
// static files from the package's console/ folder (index.html, console.js,
// console.css), read once at start and served from memory at /console. The
// page talks ami-json to the listener's WebSocket endpoint; its path is the one
// dynamic part, written into a meta tag (the page has no inline script).
//
// Every answer carries a strict Content-Security-Policy: scripts and styles
// only from this origin, no inline script, no framing, no plugins, connections
// only back to this origin (which, in CSP 3, includes its ws:/wss: form).

import { access, readFile } from 'node:fs/promises';
import type http from 'node:http';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { HttpMount } from './http-mount.js';
import { PackageFileMissingError } from '../errors.js';

export const CONSOLE_PATH = '/console';

export const CONSOLE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

interface Asset { readonly body: Buffer; readonly type: string }

const FILES: ReadonlyArray<[string, string]> = [
  ['index.html', 'text/html; charset=utf-8'],
  ['console.js', 'text/javascript; charset=utf-8'],
  ['console.css', 'text/css; charset=utf-8'],
];

/** console/ beside src/ (running from source) or beside dist/ (the installed package). */
export async function consoleDir(): Promise<string> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const dir = path.resolve(here, up, 'console');
    try {
      await access(path.join(dir, 'index.html'));
      return dir;
    } catch { /* try the next */ }
  }
  throw new PackageFileMissingError(`the web console's files are missing: no console/index.html beside ${path.resolve(here, '../..')} or ${path.resolve(here, '../../..')}`);
}

export class ConsoleFront implements HttpMount {
  readonly name = 'console';
  private readonly assets: ReadonlyMap<string, Asset>;

  private constructor(assets: ReadonlyMap<string, Asset>) { this.assets = assets; }

  /** Read the page once; `websocketPath` is the listener's WebSocket endpoint. */
  static async load(websocketPath: string): Promise<ConsoleFront> {
    const dir = await consoleDir();
    const assets = new Map<string, Asset>();
    for (const [name, type] of FILES) {
      let text = await readFile(path.join(dir, name), 'utf8');
      if (name === 'index.html') text = text.replace('{{WEBSOCKET_PATH}}', htmlAttr(websocketPath));
      assets.set(`${CONSOLE_PATH}/${name}`, { body: Buffer.from(text, 'utf8'), type });
    }
    const index = assets.get(`${CONSOLE_PATH}/index.html`)!;
    assets.set(CONSOLE_PATH, index);
    assets.set(`${CONSOLE_PATH}/`, index);
    return new ConsoleFront(assets);
  }

  /** Answer a request for the console; false when it is for another path. */
  request(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const p = q < 0 ? url : url.slice(0, q);
    if (p !== CONSOLE_PATH && !p.startsWith(CONSOLE_PATH + '/')) return false;
    const asset = this.assets.get(p);
    const method = (req.method ?? '').toUpperCase();
    req.resume(); // a body nobody reads must not stall keep-alive
    if (asset === undefined) return answer(res, 404, 'Not Found', 'text/plain; charset=utf-8', Buffer.from('Not Found\n'), false);
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return answer(res, 405, 'Method Not Allowed', 'text/plain; charset=utf-8', Buffer.from('Method Not Allowed\n'), false);
    }
    return answer(res, 200, 'OK', asset.type, asset.body, method === 'HEAD');
  }
}

function answer(res: http.ServerResponse, status: number, title: string, type: string, body: Buffer, head: boolean): true {
  res.writeHead(status, title, {
    'Content-Type': type,
    'Content-Length': String(body.length),
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  });
  res.end(head ? undefined : body);
  return true;
}

function htmlAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
