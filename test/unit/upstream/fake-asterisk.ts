// A tiny scripted Asterisk for the upstream unit tests: it speaks the bytes of
// the real captures (../shared/ami-transcripts 01, 03a, 04, 10, 16) over one end
// of a stream.duplexPair(), so connection/pool/cluster logic is tested with no
// sockets. Not a test file itself (tap runs only *.test.ts).

import { duplexPair, type Duplex } from 'node:stream';
import { AmiMessage } from '../../../src/protocol/message.js';
import { AmiParser } from '../../../src/protocol/parser.js';
import { md5Key } from '../../../src/protocol/md5-challenge.js';
import type { Connector } from '../../../src/upstream/connector.js';
import { UpstreamClosedError } from '../../../src/errors.js';

export const BANNER = 'Asterisk Call Manager/11.0.0\r\n';
export const FULLY_BOOTED = 'Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 8\r\nLastReload: 8\r\nStatus: Fully Booted\r\n\r\n';
export const SHUTDOWN = 'Event: Shutdown\r\nPrivilege: system,all\r\nSystemName: amiref\r\nShutdown: Cleanly\r\nRestart: False\r\n\r\n';
export const CHALLENGE = '190247094';
/** A slice of the captured ListCommands reply (10-events-vars-config-listcommands). */
export const LIST_COMMANDS = [
  'Command: Execute Asterisk CLI Command.  (Priv: command,all)',
  'CoreShowChannels: List currently active channels.  (Priv: system,reporting,all)',
  'Originate: Originate a call.  (Priv: originate,all)',
  'Ping: Keepalive command.  (Priv: <none>)',
  'QueueStatus: Show queue status.  (Priv: <none>)',
  'SendText: Sends a text message to channel. A content type\tcan be optionally specified. If not set it is set to an empty string allowing a custom handler to default it as it sees fit.  (Priv: call,all)',
];

export interface FakeOptions {
  username?: string;
  secret?: string;
  /** Answer `Action: Challenge` (Asterisk does; some proxies do not). @default true */
  challenge?: boolean;
  /** Send FullyBooted after a Login with events on (only `system` readers get it, S8). @default true */
  fullyBooted?: boolean;
  banner?: string;
  /** Custom answer to a non-internal action: wire text, or null for no answer. */
  onAction?: (session: FakeSession, msg: AmiMessage) => string | null | undefined;
  /** Actions (lower-case names) received but never answered. */
  ignore?: string[];
  /** Reject connects (connection refused). */
  refuse?: boolean;
}

export class FakeSession {
  readonly index: number;
  readonly client: Duplex;
  readonly server: Duplex;
  eventsOn = false;
  loggedIn = false;
  closed = false;
  /** Stop reading and answering (like a wedged Asterisk); what arrives meanwhile is handled once unhung. */
  private hungState = false;
  private held: Buffer[] = [];
  private parser: AmiParser;
  readonly received: AmiMessage[] = [];
  private readonly fake: FakeAsterisk;

  constructor(fake: FakeAsterisk, index: number) {
    this.fake = fake;
    this.index = index;
    const [client, server] = duplexPair();
    this.client = client;
    this.server = server;
    this.parser = new AmiParser({ onMessage: (m) => this.onMessage(m) });
    server.on('data', (c: Buffer) => {
      if (this.closed) return;
      if (this.hungState) this.held.push(c);
      else this.parser.write(c);
    });
    client.on('close', () => this.close());
    server.write(fake.opts.banner ?? BANNER);
  }

  get hung(): boolean { return this.hungState; }
  set hung(on: boolean) {
    this.hungState = on;
    if (!on) for (const c of this.held.splice(0)) if (!this.closed) this.parser.write(c);
  }

  /** Written on a later turn of the event loop, in order, as a socket would deliver it. */
  write(text: string): void {
    if (!this.closed) setImmediate(() => this.server.write(text));
  }

  /** Asterisk closes the socket (after what it wrote): the client sees 'end'. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    setImmediate(() => this.server.end());
  }

  private onMessage(msg: AmiMessage): void {
    this.received.push(msg);
    this.fake.received.push({ session: this.index, msg });
    const action = (msg.getNonEmpty('Action') ?? '').toLowerCase();
    const id = msg.get('ActionID');
    const idLine = id === undefined ? '' : `ActionID: ${id}\r\n`;
    const o = this.fake.opts;
    if (o.ignore?.includes(action)) return;
    switch (action) {
      case 'challenge':
        if (o.challenge === false) this.write(`Response: Error\r\n${idLine}Message: Invalid/unknown command: Challenge. Use Action: ListCommands to show available commands.\r\n\r\n`);
        else this.write(`Response: Success\r\n${idLine}Challenge: ${CHALLENGE}\r\n\r\n`);
        return;
      case 'login': {
        const user = o.username ?? 'admin';
        const secret = o.secret ?? 'adminpw';
        const ok = msg.get('Username') === user && (msg.get('AuthType')?.toLowerCase() === 'md5'
          ? msg.get('Key') === md5Key(CHALLENGE, secret)
          : msg.get('Secret') === secret);
        if (!ok) {
          this.write(`Response: Error\r\n${idLine}Message: Authentication failed\r\n\r\n`);
          this.close();
          return;
        }
        this.loggedIn = true;
        this.eventsOn = (msg.get('Events') ?? 'on').toLowerCase() !== 'off';
        this.write(`Response: Success\r\n${idLine}Message: Authentication accepted\r\n\r\n` + (this.eventsOn && o.fullyBooted !== false ? FULLY_BOOTED : ''));
        return;
      }
      case 'logoff':
        this.write(`Response: Goodbye\r\n${idLine}Message: Thanks for all the fish.\r\n\r\n`);
        this.close();
        return;
      case 'ping':
        this.write(`Response: Success\r\n${idLine}Ping: Pong\r\nTimestamp: 1795326944.608300\r\n\r\n`);
        return;
      case 'events': {
        const mask = (msg.get('EventMask') ?? '').toLowerCase();
        this.eventsOn = mask !== 'off' && mask !== '0';
        this.write(`Response: Success\r\n${idLine}Events: ${this.eventsOn ? 'On' : 'Off'}\r\n\r\n`);
        return;
      }
      case 'listcommands':
        this.write(`Response: Success\r\n${idLine}${LIST_COMMANDS.join('\r\n')}\r\n\r\n`);
        return;
      default: {
        const custom = o.onAction?.(this, msg);
        if (custom === null) return;
        this.write(custom ?? `Response: Success\r\n${idLine}Message: ok\r\n\r\n`);
      }
    }
  }
}

export class FakeAsterisk {
  readonly opts: FakeOptions;
  readonly sessions: FakeSession[] = [];
  readonly received: Array<{ session: number; msg: AmiMessage }> = [];
  refuse: boolean;
  connects = 0;

  constructor(opts: FakeOptions = {}) {
    this.opts = opts;
    this.refuse = opts.refuse ?? false;
  }

  readonly connector: Connector = async () => {
    this.connects++;
    if (this.refuse) throw new UpstreamClosedError('connect ECONNREFUSED (fake)');
    const s = new FakeSession(this, this.sessions.length);
    this.sessions.push(s);
    return s.client;
  };

  get open(): FakeSession[] { return this.sessions.filter((s) => !s.closed); }

  /** A broadcast event to every logged-in session with events on. */
  emit(text: string): void {
    for (const s of this.open) if (s.loggedIn && s.eventsOn) s.write(text);
  }

  hang(on: boolean): void {
    for (const s of this.open) s.hung = on;
  }

  drop(): void {
    for (const s of this.open) s.close();
  }

  /** `core stop now` as in capture 16: Shutdown to event readers, then every session closes. */
  shutdown(closeAfterMs = 5): void {
    this.emit(SHUTDOWN);
    setTimeout(() => this.drop(), closeAfterMs);
  }

  /** Actions (non-internal or all) received, by name. */
  actions(name: string): Array<{ session: number; msg: AmiMessage }> {
    return this.received.filter((r) => r.msg.getNonEmpty('Action')?.toLowerCase() === name.toLowerCase());
  }
}

/** Poll `cond` every few ms; fail after `ms` (bounded waits only). */
export async function waitFor(cond: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
