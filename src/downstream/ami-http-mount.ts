// AMI over HTTP on an HTTP listener (an HttpMount): /rawman, /mxml, /manager
// with `mansession_id` cookie sessions and /arawman, /amxml, /amanager with
// HTTP Digest (main/manager.c generic_http_callback(), auth_http_callback()).
//
//   request -> limits (413/414/501...) -> parameters (GET query | POST form)
//           -> allowget -> one AmiMessage -> the HTTP session (cookie or Digest,
//              http-sessions.ts) -> its HttpTransport -> the session core
//           -> the action's AMI text -> rawman | mxml | manager body, Asterisk's head
//
// HTTP-level faults get an HTTP error page (http/limits.ts); AMI-level ones
// are the core's `200` + `Response: Error`, as on Asterisk. Every request is
// logged at debug level with secret= and key= redacted from its target.

import type http from 'node:http';
import type pino from 'pino';
import { HttpRequestError } from '../errors.js';
import { renderBody } from '../http/format.js';
import { allowedThroughGet, getRefused } from '../http/get-policy.js';
import { checkRequestHead, DEFAULT_HTTP_LIMITS, readBody, type HttpLimits } from '../http/limits.js';
import { paramsToMessage, paramValue, pathOf, requestParams } from '../http/params.js';
import { redactTarget } from '../http/redact.js';
import { amiHead, errorPage, type ErrorPage, type HeaderList, type HeadOptions } from '../http/response.js';
import { matchRoute, type Route } from '../http/routes.js';
import { setCookieValue } from '../http/session-store.js';
import type { ConnectionInfo } from '../session/services.js';
import type { HttpMount } from './http-mount.js';
import { HttpSessions, type HttpSessionsOptions, type LiveHttpSession } from './http-sessions.js';

export interface AmiHttpMountOptions extends HttpSessionsOptions {
  /** `allowget: false`: state-changing actions only through POST. */
  readonly allowGet: boolean;
  /** `Server:` value; '' for none. */
  readonly serverName: string;
  readonly maxBodyBytes: number;
  readonly logger?: pino.Logger;
}

export class AmiHttpMount implements HttpMount {
  readonly name = 'ami-http';
  /** The cookie and Digest sessions of this listener. */
  readonly sessions: HttpSessions;
  private readonly opts: AmiHttpMountOptions;
  private readonly limits: HttpLimits;

  constructor(opts: AmiHttpMountOptions) {
    this.opts = opts;
    this.limits = { ...DEFAULT_HTTP_LIMITS, maxBodyBytes: opts.maxBodyBytes };
    this.sessions = new HttpSessions(opts);
  }

  request(req: http.IncomingMessage, res: http.ServerResponse, conn: ConnectionInfo): boolean {
    const route = matchRoute(pathOf(req.url ?? ''));
    if (route === undefined) return false;
    res.sendDate = false;
    this.handle(req, res, conn, route).catch((err: unknown) => {
      const e = err instanceof HttpRequestError ? err : new HttpRequestError(500, 'Internal Server Error', 'Internal Server Error');
      this.write(req, res, conn, errorPage(e.status, e.title, e.text, this.head(req, e.status !== 404 && e.status !== 405)));
    });
    return true;
  }

  close(): void {
    this.sessions.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, conn: ConnectionInfo, route: Route): Promise<void> {
    const method = (req.method ?? '').toUpperCase();
    checkRequestHead(req, this.limits);
    let body: string | undefined;
    if (method === 'POST') body = await readBody(req, this.limits);
    else req.resume();
    const target = req.url ?? '';
    const params = requestParams({ method, target, contentType: req.headers['content-type'], body });
    if (!this.opts.allowGet && method !== 'POST' && !allowedThroughGet(paramValue(params, 'action'))) throw getRefused();
    const msg = paramsToMessage(params);
    let s: LiveHttpSession | undefined;
    if (route.digest) {
      const r = await this.sessions.digest(method, target, req.headers.authorization, conn);
      if (!r.ok) return this.write(req, res, conn, r.page(this.head(req)));
      s = r.session;
    } else {
      s = this.sessions.cookie(req.headers.cookie, conn);
    }
    if (s === undefined) throw new HttpRequestError(503, 'Service Unavailable', 'Too many HTTP sessions.');
    const { answer, abandon } = this.sessions.run(s, msg);
    const gone = (): void => { if (!res.writableFinished) abandon(); };
    res.once('close', gone);
    const a = await answer;
    res.off('close', gone);
    const out = renderBody(route.format, a.text, params, { digest: route.digest });
    const head = amiHead({
      ...this.head(req), format: route.format, digest: route.digest,
      ...(route.digest ? {} : { setCookie: setCookieValue(s.id, { maxAgeSeconds: this.sessions.maxAgeSeconds, secure: conn.tls !== undefined }) }),
    }, Buffer.byteLength(out, 'latin1'));
    this.write(req, res, conn, { status: 200, title: 'OK', headers: head, body: out });
  }

  private head(req: http.IncomingMessage, forceClose = false): HeadOptions {
    return { serverName: this.opts.serverName, close: forceClose || (req.headers.connection ?? '').toLowerCase() === 'close' };
  }

  private write(req: http.IncomingMessage, res: http.ServerResponse, conn: ConnectionInfo, page: ErrorPage | { status: number; title: string; headers: HeaderList; body: string }): void {
    this.opts.logger?.debug({ listener: conn.listener, remote: `${conn.remoteAddress}:${conn.remotePort}`, method: req.method, target: redactTarget(req.url ?? ''), status: page.status }, 'http request');
    if (res.headersSent || res.destroyed) return;
    res.writeHead(page.status, page.title, page.headers);
    // ast_http_send(): HEAD gets no body, except for errors.
    res.end(req.method?.toUpperCase() === 'HEAD' && page.status < 400 ? undefined : Buffer.from(page.body, 'latin1'));
  }
}
