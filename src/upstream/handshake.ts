// The login of one upstream socket, from the banner to `ready`:
//
//   banner --(AMI banner?)--> login --[Challenge MD5]--> Login --> booting --(FullyBooted | boottimeout)--> ready
//                                                              \--(Events: off)-------------------------> ready
//
// `booting` is only for the event connection: it logged in with `Events: on`
// and waits for FullyBooted (sent only to users that read `system`, S8) or
// bootTimeoutMs. Connections logged in with `Events: off` go straight to ready,
// so no broadcast event is ever received twice (S17). The whole handshake is
// bounded by loginTimeoutMs from the start of the connect.
//
// It runs over the connection's internal actions and changes the connection's
// status only through the steps the connection gives it; every callback
// re-checks the status, since the socket may have gone meanwhile.

import type pino from 'pino';
import type { AmiMessage } from '../protocol/message.js';
import { md5Key } from '../protocol/md5-challenge.js';
import { UpstreamAuthError, UpstreamClosedError, UpstreamProtocolError, type AmigateError } from '../errors.js';
import type { ConnectionStatus, UpstreamConfig } from './types.js';
import type { InternalCallback } from './internal-actions.js';

/** Asterisk banners, and those of AMI proxies that asterisk-java accepts (`Asterisk Call Manager Proxy/`). */
const BANNER = /^Asterisk [A-Za-z ]*\/\S/;

/** The connection as the handshake reads it (its public face). */
export interface HandshakeConnection {
  readonly config: UpstreamConfig;
  readonly status: ConnectionStatus;
  readonly generation: number;
  /** Logged in (or about to) with events on. */
  readonly events: boolean;
  /** The exact banner line last received (set here). */
  banner: string | undefined;
  internal(pairs: ReadonlyArray<readonly [string, string]>, cb: InternalCallback, timeoutMs?: number): string | undefined;
}

/** What the handshake may do to its connection (given once, at construction). */
export interface HandshakeSteps {
  setStatus(to: 'login' | 'booting'): void;
  /** Just before Login: sets `events` (log in with `Events: on`; the pool grants it to one connection). */
  claimEvents(): void;
  /** Login succeeded: packets that are not our replies are passed on from now. */
  loggedIn(): void;
  /** Logged in and booted (or no events to wait for): take actions. */
  ready(why: string): void;
  /** The handshake failed: tear the socket down. */
  fail(err: AmigateError): void;
}

export interface HandshakeOptions {
  logger: pino.Logger;
  /** ms from the start of a connect to a successful Login. */
  loginTimeoutMs: number;
  /** ms the event connection waits for FullyBooted. */
  bootTimeoutMs: number;
  /** Try MD5 Challenge login first (falls back to a plain Secret when refused). */
  md5: boolean;
}

export class Handshake {
  private readonly conn: HandshakeConnection;
  private readonly steps: HandshakeSteps;
  private readonly logger: pino.Logger;
  private readonly loginTimeoutMs: number;
  private readonly bootTimeoutMs: number;
  private readonly md5: boolean;
  private loginTimer: NodeJS.Timeout | undefined;
  private bootTimer: NodeJS.Timeout | undefined;

  constructor(conn: HandshakeConnection, steps: HandshakeSteps, opts: HandshakeOptions) {
    this.conn = conn;
    this.steps = steps;
    this.logger = opts.logger;
    this.loginTimeoutMs = opts.loginTimeoutMs;
    this.bootTimeoutMs = opts.bootTimeoutMs;
    this.md5 = opts.md5;
  }

  /** A connect starts: the login must succeed within loginTimeoutMs. */
  begin(): void {
    this.loginTimer = setTimeout(() => this.steps.fail(new UpstreamClosedError(`no successful login within ${this.loginTimeoutMs} ms`)), this.loginTimeoutMs);
    this.loginTimer.unref();
  }

  /** The socket is gone (or the connection closes): no timer of the handshake may fire. */
  stop(): void {
    clearTimeout(this.loginTimer);
    clearTimeout(this.bootTimer);
  }

  /** The first line of the socket. */
  banner(line: string): void {
    const conn = this.conn;
    if (conn.status !== 'banner') return;
    if (!BANNER.test(line)) {
      this.steps.fail(new UpstreamProtocolError(`not an AMI banner: ${JSON.stringify(line.slice(0, 80))}`));
      return;
    }
    conn.banner = line;
    this.steps.setStatus('login');
    if (this.md5) {
      conn.internal([['Action', 'Challenge'], ['AuthType', 'MD5']], (reply) => {
        if (conn.status !== 'login' || reply === undefined) return;
        const challenge = reply.get('Challenge');
        if (reply.get('Response')?.toLowerCase() === 'success' && challenge !== undefined) this.login(challenge);
        else {
          // e.g. a proxy in front of Asterisk without Challenge support: plain Secret instead.
          this.logger.debug({ message: reply.get('Message') }, 'upstream refused Challenge; logging in with Secret');
          this.login(undefined);
        }
      });
    } else {
      this.login(undefined);
    }
  }

  /** FullyBooted arrived on the event connection. */
  booted(): void {
    this.becomeReady('FullyBooted');
  }

  private login(challenge: string | undefined): void {
    this.steps.claimEvents();
    const conn = this.conn;
    const cfg = conn.config;
    const auth: Array<[string, string]> = challenge === undefined
      ? [['Secret', cfg.secret]]
      : [['AuthType', 'MD5'], ['Key', md5Key(challenge, cfg.secret)]];
    conn.internal(
      [['Action', 'Login'], ['Username', cfg.username], ...auth, ['Events', conn.events ? 'on' : 'off']],
      (reply: AmiMessage | undefined, err: AmigateError | undefined) => {
        if (conn.status !== 'login') return;
        if (reply === undefined) {
          if (err && !(err instanceof UpstreamClosedError)) this.steps.fail(err); // could not even build the Login
          return;
        }
        if (reply.get('Response')?.toLowerCase() !== 'success') {
          // Asterisk closes the socket itself after "Authentication failed" (S8).
          this.steps.fail(new UpstreamAuthError(`${cfg.name}: login as ${cfg.username} refused: ${reply.get('Message') ?? '(no message)'}`));
          return;
        }
        this.steps.loggedIn();
        clearTimeout(this.loginTimer);
        this.logger.info({ generation: conn.generation, events: conn.events, banner: conn.banner }, 'upstream logged in');
        if (conn.events) {
          this.steps.setStatus('booting');
          this.bootTimer = setTimeout(() => this.becomeReady('boot timeout'), this.bootTimeoutMs);
          this.bootTimer.unref();
        } else {
          this.becomeReady('events off');
        }
      },
    );
  }

  private becomeReady(why: string): void {
    const status = this.conn.status;
    if (status !== 'booting' && status !== 'login') return;
    clearTimeout(this.bootTimer);
    this.steps.ready(why);
  }
}
