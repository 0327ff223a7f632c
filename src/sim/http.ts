// The simulated Asterisk's HTTP manager (manager.conf webenabled, http.conf on):
// /rawman, /mxml, /manager with mansession_id cookie sessions and /arawman,
// /amxml, /amanager with HTTP Digest, as Asterisk 22 serves them
// (main/manager.c generic_http_callback(), auth_http_callback(),
// action_waitevent(); main/http.c), faithful to the 15-http-rawman captures.
// Bodies and heads come from src/http (format.ts, response.ts, params.ts).
//
// It imitates Asterisk, weaknesses included, and says so: 32-bit session ids;
// Digest nonces that are 32-bit numbers, double as the session's
// mansession_id, are accepted when made up, take nc=1 twice within the nc
// check's reset, and whose `uri` is never compared with the request. amigate's
// own front end (src/http/digest.ts, session-store.ts) does none of this.

import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type net from 'node:net';
import { renderBody } from '../http/format.js';
import { amiHead, errorPage, unauthorizedPage, type HeaderList } from '../http/response.js';
import { paramsToMessage, pathOf, requestParams, type HttpParam } from '../http/params.js';
import { matchRoute, type Route } from '../http/routes.js';
import { cookieSessionId } from '../http/session-store.js';
import { parseDigestAuthorization, challengeHeader } from '../http/digest.js';
import { HttpRequestError } from '../errors.js';
import type { SimPbx } from './pbx.js';
import { SimHttpSession } from './http-session.js';
import { dispatch } from './dispatch.js';
import { idLineOf, type ActionContext, type ActionResult } from './reply.js';
import { ASTERISK_VERSION } from './version.js';

/** main/http.c MAX_CONTENT_LENGTH. */
const MAX_CONTENT_LENGTH = 4096;
const SERVER = `Asterisk/${ASTERISK_VERSION}`;

export interface SimHttpOptions {
  /** manager.conf httptimeout in seconds. @default 60 */
  readonly httpTimeoutSec?: number;
}

export class SimHttpServer {
  private readonly pbx: SimPbx;
  private readonly server: http.Server;
  private readonly sessions = new Map<string, SimHttpSession>();
  private readonly timeoutMs: number;
  private portNumber = 0;

  constructor(pbx: SimPbx, opts: SimHttpOptions = {}) {
    this.pbx = pbx;
    this.timeoutMs = (opts.httpTimeoutSec ?? 60) * 1000;
    this.server = http.createServer({ noDelay: true, maxHeaderSize: 16384 }, (req, res) => {
      this.handle(req, res).catch(() => { if (!res.headersSent) this.sendError(req, res, 500, 'Server Error', 'Internal Server Error'); });
    });
    this.server.keepAliveTimeout = 15_000;
  }

  get port(): number { return this.portNumber; }
  sessionCount(): number { return this.sessions.size; }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.portNumber = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    for (const s of [...this.sessions.values()]) s.end();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.sendDate = false;
    const method = (req.method ?? '').toUpperCase();
    const target = req.url ?? '';
    const route = matchRoute(pathOf(target));
    if (route === undefined) return this.sendError(req, res, 404, 'Not Found', 'The requested URL was not found on this server.');
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      return this.sendError(req, res, 501, 'Not Implemented', 'Attempt to use unimplemented / unsupported method');
    }
    let session: SimHttpSession | undefined;
    if (route.digest) {
      session = this.digestSession(req, res, method);
      if (session === undefined) return;
    } else {
      const ident = parseInt(cookieSessionId(req.headers.cookie) ?? '', 16);
      session = Number.isFinite(ident) && ident !== 0 ? this.sessions.get(hex8(ident)) : undefined;
      if (session?.ended) session = undefined;
      session ??= this.newSession();
    }
    session.inUse++;
    try {
      let body: string | undefined;
      if (method === 'POST') {
        body = await readBody(req);
        if (body === undefined) return this.sendError(req, res, 413, 'Request Entity Too Large', 'Body too large');
      }
      const params = requestParams({ method, target, contentType: req.headers['content-type'], body });
      let msg;
      try {
        msg = paramsToMessage(params);
      } catch (err) {
        if (err instanceof HttpRequestError) return this.sendError(req, res, err.status, err.title, err.text);
        throw err;
      }
      session.socket = req.socket;
      const ctx: ActionContext = { pbx: this.pbx, session, msg, idLine: idLineOf(msg), out: '' };
      let result: ActionResult;
      const action = (msg.getNonEmpty('Action') ?? '').toLowerCase();
      if (action === 'waitevent' && session.authenticated) {
        result = await this.waitEvent(ctx, session);
      } else {
        try {
          result = await dispatch(ctx);
        } catch {
          result = undefined;
        }
      }
      const needDestroy = result === 'close';
      this.send(req, res, route, session, ctx.out, params);
      if (needDestroy) session.end();
      else session.arm(this.timeoutMs);
    } finally {
      session.inUse--;
    }
  }

  private newSession(): SimHttpSession {
    let id: string;
    do id = hex8(randomBytes(4).readUInt32BE(0)); while (id === '00000000' || this.sessions.has(id));
    const s = new SimHttpSession(this.pbx, id, (x) => { if (this.sessions.get(x.id) === x) this.sessions.delete(x.id); });
    this.sessions.set(id, s);
    s.arm(this.timeoutMs);
    return s;
  }

  /**
   * action_waitevent() on an HTTP session: Timeout capped at httptimeout - 10 s,
   * back as soon as an event is queued (or at once with events already queued or
   * Timeout 0); a second WaitEvent on the session ends this one with an empty answer.
   */
  private waitEvent(ctx: ActionContext, s: SimHttpSession): Promise<ActionResult> {
    const raw = Number.parseInt(ctx.msg.get('Timeout') ?? '', 10);
    let timeout = Number.isFinite(raw) ? Math.max(raw, -1) : -1;
    const max = Math.max(0, Math.floor(this.timeoutMs / 1000) - 10);
    if (timeout < 0 || timeout > max) timeout = max;
    s.waiter?.finish(false);
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = {
        finish: (deliver: boolean): void => {
          if (s.waiter !== waiter) return;
          s.waiter = undefined;
          clearTimeout(timer);
          if (deliver) {
            ctx.out += `Response: Success\r\n${ctx.idLine}Message: Waiting for Event completed.\r\n\r\n` +
              s.takeEvents() + `Event: WaitEventComplete\r\n${ctx.idLine}\r\n`;
          }
          resolve(undefined);
        },
      };
      s.waiter = waiter;
      if (s.queue.length > 0 || timeout === 0) { waiter.finish(true); return; }
      timer = setTimeout(() => waiter.finish(true), timeout * 1000);
    });
  }

  /**
   * auth_http_callback()'s session lookup, as Asterisk does it: the nonce is a
   * hex number and the session's managerid; an unknown nonce with a valid
   * response makes a new session under that nonce.
   */
  private digestSession(req: http.IncomingMessage, res: http.ServerResponse, method: string): SimHttpSession | undefined {
    const realm = this.pbx.systemName ?? 'asterisk';
    const challenge = (nonce: string, stale: boolean): undefined => {
      const page = unauthorizedPage(challengeHeader(realm, nonce, nonce, stale), { serverName: SERVER, close: wantsClose(req) });
      this.write(req, res, page.status, page.title, page.headers, page.body);
      return undefined;
    };
    const randomNonce = (): string => hex8(randomBytes(4).readUInt32BE(0));
    const d = parseDigestAuthorization(req.headers.authorization);
    const nonceNum = d ? parseInt(d.nonce, 16) : NaN;
    if (d === undefined || !Number.isFinite(nonceNum)) return challenge(randomNonce(), false);
    const user = this.pbx.user(d.username);
    if (user === undefined) return challenge(randomNonce(), false);
    if (!user.allows(req.socket.remoteAddress ?? '')) {
      this.sendError(req, res, 403, 'Permission denied', 'Permission denied');
      return undefined;
    }
    const nonce = hex8(nonceNum);
    const ha1 = md5(`${user.name}:${realm}:${user.secret}`);
    const ha2 = md5(`${method}:${d.uri}`);
    const expected = d.qop ? md5(`${ha1}:${nonce}:${d.nc ?? ''}:${d.cnonce ?? ''}:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
    if (!d.response.toLowerCase().startsWith(expected)) return challenge(randomNonce(), false);
    let s: SimHttpSession | undefined;
    let stale = false;
    for (const x of this.sessions.values()) {
      if (x.ended || x.username?.toLowerCase() !== d.username.toLowerCase()) continue;
      if (x.id === nonce) { s = x; break; }
      if (x.oldNonce === nonce) { s = x; stale = true; break; }
    }
    const now = Math.floor(Date.now() / 1000);
    if (s === undefined) {
      s = new SimHttpSession(this.pbx, nonce, (x) => { if (this.sessions.get(x.id) === x) this.sessions.delete(x.id); });
      this.sessions.set(nonce, s);
      s.login(user, undefined);
      s.nonceTime = now;
    } else if (stale) {
      return challenge(s.id, true);
    } else {
      const nc = parseInt(d.nc ?? '0', 16) || 0;
      if (s.nc >= nc || now - s.nonceTime > 62) {
        // A new nonce; the session moves to it (managerid = nonce).
        s.nc = 0;
        s.oldNonce = s.id;
        const next = randomNonce();
        this.sessions.delete(s.id);
        s.id = next;
        this.sessions.set(next, s);
        s.nonceTime = now;
        return challenge(next, true);
      }
      s.nc = nc;
    }
    s.arm(Math.max(this.timeoutMs, 5000));
    return s;
  }

  private send(req: http.IncomingMessage, res: http.ServerResponse, route: Route, s: SimHttpSession, amiText: string, params: HttpParam[]): void {
    const body = renderBody(route.format, amiText, params, { digest: route.digest, escapeAjaxParams: false });
    const head = amiHead({
      format: route.format, serverName: SERVER, close: wantsClose(req), digest: route.digest,
      setCookie: `mansession_id="${s.id}"; Version=1; Max-Age=${Math.floor(this.timeoutMs / 1000)}`,
    }, Buffer.byteLength(body, 'latin1'));
    this.write(req, res, 200, 'OK', head, body);
  }

  private sendError(req: http.IncomingMessage, res: http.ServerResponse, status: number, title: string, text: string): void {
    const page = errorPage(status, title, text, { serverName: SERVER, close: wantsClose(req) });
    this.write(req, res, page.status, page.title, page.headers, page.body);
  }

  private write(req: http.IncomingMessage, res: http.ServerResponse, status: number, title: string, headers: HeaderList, body: string): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, title, headers);
    // ast_http_send(): HEAD gets no body, except for errors.
    res.end(req.method?.toUpperCase() === 'HEAD' && status < 400 ? undefined : Buffer.from(body, 'latin1'));
  }
}

function wantsClose(req: http.IncomingMessage): boolean {
  return (req.headers.connection ?? '').toLowerCase() === 'close';
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function md5(s: string): string {
  return createHash('md5').update(s, 'latin1').digest('hex');
}

/** The body, or undefined when it is over MAX_CONTENT_LENGTH. */
function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_CONTENT_LENGTH) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_CONTENT_LENGTH ? undefined : Buffer.concat(chunks).toString('latin1')));
    req.on('error', () => resolve(''));
  });
}
