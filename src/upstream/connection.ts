// One pool slot: an AMI client connection to one Asterisk that keeps itself
// logged in. Each socket is one `generation`; when it is lost the slot waits
// retryDelay(attempt) and opens the next one, until close().
//
//   idle -> connecting -> banner -> login -> booting -> ready -> closing -> closed
//                 \          \        \         \         \
//                  +----------+--------+---------+---------+--> waiting --(backoff)--> connecting
//
// This file owns the slot's lifecycle (sockets, generations, reconnect, close),
// the router's writes and the sorting of what Asterisk sends. Its parts:
// handshake.ts (banner -> Login -> booting -> ready), internal-actions.ts (our
// own `amigate-int-` actions and their replies, never passed to the router),
// keepalive.ts (Ping and the dead-connection verdict), turn-cork.ts (one write
// per event-loop turn), reconnect.ts (after a loss: log, wait, retry),
// socket-reading.ts (parser bounds, what a socket's end means) and
// connection-options.ts (the contract with the pool).
//
// The socket is read continuously whatever happens downstream: Asterisk drops a
// session that does not take a write within writetimeout (100 ms by default, S27).

import type { Duplex } from 'node:stream';
import type pino from 'pino';
import type { AmiMessage } from '../protocol/message.js';
import { UpstreamClosedError, type AmigateError } from '../errors.js';
import type { ConnectionStatus, OversizeCounts, UpstreamConfig, UpstreamRef } from './types.js';
import { connectFailure, type Connector } from './connector.js';
import type { SlotOptions, SlotOwner } from './connection-options.js';
import { InFlight, blockingHoldMs } from './in-flight.js';
import { Handshake } from './handshake.js';
import { InternalActions, failInternal, isInternalActionId, type InternalCallback } from './internal-actions.js';
import { Keepalive } from './keepalive.js';
import { Reconnect } from './reconnect.js';
import { corkForTurn } from './turn-cork.js';
import { socketGone, upstreamParser } from './socket-reading.js';

export { INTERNAL_ACTION_ID_PREFIX, isInternalActionId, type InternalCallback } from './internal-actions.js';

/** What the pool learns from its connections (the pool implements it; connection-options.ts). */
export type ConnectionOwner = SlotOwner<UpstreamConnection>;
export type ConnectionOptions = SlotOptions<UpstreamConnection>;

export class UpstreamConnection {
  readonly id: number;
  readonly config: UpstreamConfig;
  status: ConnectionStatus = 'idle';
  /** Bumps with every socket. */
  generation = 0;
  /** The current generation's ref (one frozen object per socket, handed to the router). */
  ref: UpstreamRef;
  /** The exact banner line last received. */
  banner: string | undefined;
  reconnects = 0;
  lastError: AmigateError | undefined;
  /** Packets that broke config.maxlinebytes / maxheaders, over every generation. */
  readonly oversize: OversizeCounts = { 'line-too-long': 0, 'too-many-lines': 0 };

  private readonly owner: ConnectionOwner;
  private readonly logger: pino.Logger;
  private readonly connector: Connector;
  private readonly reconnect: Reconnect;
  private readonly closeTimeoutMs: number;
  private readonly shutdownGraceMs: number;
  private readonly handshake: Handshake;
  private readonly keepalive: Keepalive;
  private readonly internals = new InternalActions();

  // --- per generation ---
  /** False once the current generation has been torn down (lost() ran). */
  private live = false;
  private stream: Duplex | undefined;
  private abort: AbortController | undefined;
  private loggedIn = false;
  /** Logged in (or promoted) with events on. */
  private eventsOn = false;
  private shutdownSeen = false;
  private readonly inFlight = new InFlight();
  private lastRx = 0;

  // --- timers (the handshake and the keepalive have their own) ---
  private closeTimer: NodeJS.Timeout | undefined;
  private shutdownTimer: NodeJS.Timeout | undefined;

  private closeRequested = false;
  private readonly closeWaiters: Array<() => void> = [];

  constructor(opts: ConnectionOptions) {
    this.id = opts.id;
    this.config = opts.config;
    this.owner = opts.owner;
    this.logger = opts.logger;
    this.connector = opts.connector;
    this.reconnect = new Reconnect(opts.retryDelay, opts.logger);
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 1000;
    this.shutdownGraceMs = opts.shutdownGraceMs ?? 5000;
    this.ref = Object.freeze({ server: this.config.name, id: this.id, generation: 0 });
    // Created once per slot: the closures below are not per packet.
    this.handshake = new Handshake(this, {
      setStatus: (to) => this.setStatus(to),
      claimEvents: () => { this.eventsOn = this.owner.claimEvents(this); },
      loggedIn: () => { this.loggedIn = true; },
      ready: (why) => this.becomeReady(why),
      fail: (err) => this.lost(err),
    }, {
      logger: this.logger,
      loginTimeoutMs: opts.loginTimeoutMs ?? 10_000,
      bootTimeoutMs: opts.config.boottimeout ?? opts.bootTimeoutMs ?? 2000,
      md5: opts.md5 ?? true,
    });
    this.keepalive = new Keepalive(this.config, {
      ready: () => this.status === 'ready',
      lastRx: () => this.lastRx,
      headMayBlock: (now) => this.inFlight.headMayBlock(now),
      ping: (answered) => this.internal([['Action', 'Ping']], answered),
      dead: (misses) => this.lost(new UpstreamClosedError(`no answer to ${misses} keepalive Pings`)),
    });
  }

  /** Router actions written and not yet answered. */
  get pending(): number { return this.inFlight.pending; }

  /** True for the event connection (logged in or promoted with events on). */
  get events(): boolean { return this.eventsOn; }

  /** Ready and not on its way out after `Event: Shutdown`: may take actions. */
  get usable(): boolean { return this.status === 'ready' && !this.shutdownSeen; }

  start(): void {
    if (this.status !== 'idle' || this.closeRequested) return;
    this.connect();
  }

  /**
   * Write a router action (its ActionID must not use the internal prefix).
   * The pool only calls this on a usable connection.
   */
  send(msg: AmiMessage): UpstreamRef {
    this.inFlight.push(msg.get('ActionID'), false, blockingHoldMs(msg), performance.now());
    const stream = this.stream!;
    // The actions of one event-loop turn go out in one write (turn-cork.ts).
    if (this.corked === undefined) corkForTurn(this, stream);
    stream.write(msg.toBuffer());
    return this.ref;
  }

  /** The stream corked for this turn's writes (turn-cork.ts). */
  corked: Duplex | undefined;

  /**
   * Send one of our own actions; `cb` gets its reply, or an error when the
   * socket goes down first or `timeoutMs` passes. The reply is never passed on.
   */
  internal(pairs: ReadonlyArray<readonly [string, string]>, cb: InternalCallback, timeoutMs?: number): string | undefined {
    if (!this.live || this.stream === undefined) {
      cb(undefined, new UpstreamClosedError('upstream connection not open'));
      return undefined;
    }
    const msg = this.internals.open(pairs, cb, timeoutMs);
    if (msg === undefined) return undefined;
    const id = msg.actionId()!;
    this.inFlight.push(id, true, 0, performance.now());
    this.stream.write(msg.toBuffer());
    return id;
  }

  /** Turn broadcast events on for this connection (promotion to event connection). */
  enableEvents(cb: (ok: boolean) => void): void {
    this.eventsOn = true;
    this.internal([['Action', 'Events'], ['EventMask', 'on']], (reply) => {
      cb(reply !== undefined && reply.get('Response')?.toLowerCase() === 'success');
    });
  }

  /** The server is shutting down: stop taking actions and do not wait forever for Asterisk to close. */
  expectShutdown(): void {
    if (this.shutdownSeen || !this.live) return;
    this.shutdownSeen = true;
    this.shutdownTimer = setTimeout(() => this.lost(new UpstreamClosedError('Asterisk shut down')), this.shutdownGraceMs);
    this.shutdownTimer.unref();
  }

  /** Log off politely (pending actions are answered first: Asterisk handles them in order), then close. */
  close(): Promise<void> {
    this.closeRequested = true;
    const done = new Promise<void>((resolve) => {
      if (this.status === 'closed') resolve();
      else this.closeWaiters.push(resolve);
    });
    switch (this.status) {
      case 'idle':
      case 'waiting':
        this.reconnect.cancel();
        this.setStatus('closed');
        break;
      case 'connecting':
      case 'banner':
      case 'login':
        this.lost(new UpstreamClosedError('upstream connection closed by amigate'));
        break;
      case 'booting':
      case 'ready':
        this.setStatus('closing');
        this.keepalive.stop();
        this.internal([['Action', 'Logoff']], () => { /* Goodbye; Asterisk closes the socket next */ });
        this.closeTimer = setTimeout(() => this.lost(new UpstreamClosedError('upstream connection closed by amigate')), this.closeTimeoutMs);
        this.closeTimer.unref();
        break;
      default:
        break;
    }
    return done;
  }

  // --- lifecycle ----------------------------------------------------------------

  private setStatus(to: ConnectionStatus): void {
    const from = this.status;
    if (from === to) return;
    this.status = to;
    this.logger.debug({ from, to, generation: this.generation }, 'upstream connection status');
    if (to === 'closed') {
      for (const w of this.closeWaiters.splice(0)) w();
    }
  }

  private connect(): void {
    this.generation++;
    this.ref = Object.freeze({ server: this.config.name, id: this.id, generation: this.generation });
    this.live = true;
    this.loggedIn = false;
    this.eventsOn = false;
    this.shutdownSeen = false;
    this.inFlight.clear();
    this.keepalive.reset();
    this.setStatus('connecting');
    const gen = this.generation;
    const abort = new AbortController();
    this.abort = abort;
    this.handshake.begin();
    this.connector(this.config, { signal: abort.signal }).then(
      (stream) => this.attach(gen, stream),
      (err: unknown) => {
        if (gen === this.generation) this.lost(connectFailure(err));
      },
    );
  }

  private attach(gen: number, stream: Duplex): void {
    if (gen !== this.generation || !this.live || this.status !== 'connecting') {
      stream.destroy();
      return;
    }
    this.stream = stream;
    this.lastRx = performance.now();
    const parser = upstreamParser(this.config, {
      onBanner: (line) => { if (this.live && gen === this.generation) this.handshake.banner(line); },
      onMessage: (msg) => { if (this.live && gen === this.generation) this.onMessage(msg); },
    });
    stream.on('data', (chunk: Buffer) => {
      if (gen !== this.generation) return;
      this.lastRx = performance.now();
      parser.write(chunk);
    });
    const gone = (err?: Error): void => {
      if (gen === this.generation) this.lost(socketGone(err, this.shutdownSeen));
    };
    stream.on('end', () => gone());
    stream.on('close', () => gone());
    stream.on('error', (err) => gone(err));
    this.setStatus('banner');
  }

  /** The next connect, when retryDelay has passed (one closure per slot). */
  private readonly again = (): void => {
    if (this.closeRequested || this.status !== 'waiting') return;
    this.reconnects++;
    this.connect();
  };

  /** Tear down the current generation once; then reconnect unless close() was called. */
  private lost(err: AmigateError): void {
    if (!this.live) return;
    this.live = false;
    const ref = this.ref;
    const wasLoggedIn = this.loggedIn;
    const from = this.status;
    this.loggedIn = false;
    this.eventsOn = false;
    this.handshake.stop();
    clearTimeout(this.closeTimer);
    clearTimeout(this.shutdownTimer);
    this.keepalive.stop(true);
    this.abort?.abort();
    this.abort = undefined;
    this.stream?.destroy();
    this.stream = undefined;
    this.inFlight.clear();
    const callbacks = this.internals.detach();
    this.lastError = err;

    const closing = this.closeRequested;
    this.reconnect.log({ err, closing, wasLoggedIn, generation: ref.generation, from });
    if (closing) this.setStatus('closed');
    else if (this.reconnect.schedule(this.again)) this.setStatus('waiting');
    else this.setStatus('closed');
    failInternal(callbacks, err);
    this.owner.down(this, ref, err, wasLoggedIn);
  }

  /** The handshake is through (handshake.ts checked the status and stopped its boot timer). */
  private becomeReady(why: string): void {
    this.reconnect.attempt = 0;
    this.setStatus('ready');
    this.logger.debug({ why }, 'upstream connection ready');
    this.keepalive.start();
    this.owner.ready(this);
  }

  // --- inbound ------------------------------------------------------------------

  /** Every packet of the live generation: our replies, the boot and shutdown signals, the rest to the pool. */

  private onMessage(msg: AmiMessage): void {
    if (msg.isResponse) {
      const id = msg.get('ActionID');
      this.inFlight.answered(id, performance.now());
      if (isInternalActionId(id)) {
        this.internals.reply(id!, msg);
        return;
      }
    }
    if (!this.loggedIn) {
      this.logger.debug({ kind: msg.kind }, 'upstream packet before login dropped');
      return;
    }
    if (msg.fault !== undefined) {
      // Passed on cut rather than dropped: its client still gets a reply with its ActionID.
      this.oversize[msg.fault]++;
      this.logger.warn({ fault: msg.fault, kind: msg.kind, maxlinebytes: this.config.maxlinebytes, maxheaders: this.config.maxheaders }, 'oversized upstream packet cut');
    }
    if (msg.isEvent) {
      const name = msg.get('Event');
      if (name === 'Shutdown') {
        this.logger.warn({ restart: msg.get('Restart') }, 'Asterisk is shutting down');
        this.owner.message(this, msg);
        this.expectShutdown();
        this.owner.shutdown(this);
        return;
      }
      if (name === 'FullyBooted' && this.status === 'booting') {
        this.owner.message(this, msg);
        this.handshake.booted();
        return;
      }
    }
    this.owner.message(this, msg);
  }
}
