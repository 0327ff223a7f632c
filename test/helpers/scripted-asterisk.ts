// A scripted Asterisk on a real 127.0.0.1 socket, for packet shapes the
// simulator never writes (a list item without ActionID, a Privilege naming an
// unknown class, a 3 MB line): it logs amigate in like manager.c does
// (Challenge refused, so a plain Secret; FullyBooted after a Login with events
// on), and every other action is answered by the test's onAction() with raw
// wire text. broadcast() writes raw text to every session with events on.
// Closed in t.teardown.

import net from 'node:net';
import type { Test } from 'tap';
import { AmiParser } from '../../src/protocol/parser.js';
import type { AmiMessage } from '../../src/protocol/message.js';

export interface ScriptedSession {
  readonly index: number;
  readonly socket: net.Socket;
  eventsOn: boolean;
  loggedIn: boolean;
  write(text: string): void;
}

export interface ScriptedAsterisk {
  readonly port: number;
  readonly sessions: ScriptedSession[];
  /** Raw text to every logged-in session with events on (amigate's event connection). */
  broadcast(text: string): void;
}

/** `idLine(msg)`: the `ActionID: x\r\n` line to echo, or '' (astman_start_ack()). */
export function idLine(msg: AmiMessage): string {
  const id = msg.actionId();
  return id === undefined ? '' : `ActionID: ${id}\r\n`;
}

/**
 * `commands`: the ListCommands reply's lines (`Name: Synopsis.  (Priv: class,all)`),
 * from which amigate learns each action's class; without them ListCommands is
 * refused and amigate keeps its built-in table (unknown actions need write: all).
 */
export async function startScriptedAsterisk(
  t: Test,
  onAction: (s: ScriptedSession, msg: AmiMessage) => string | null | undefined = () => undefined,
  commands?: readonly string[],
): Promise<ScriptedAsterisk> {
  const sessions: ScriptedSession[] = [];
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => { /* close follows */ });
    const s: ScriptedSession = {
      index: sessions.length, socket, eventsOn: false, loggedIn: false,
      write: (text) => { if (!socket.destroyed) socket.write(Buffer.from(text, 'latin1')); },
    };
    sessions.push(s);
    socket.on('close', () => { s.loggedIn = false; });
    s.write('Asterisk Call Manager/11.0.0\r\n');
    const parser = new AmiParser({
      onMessage: (msg) => {
        const action = (msg.getNonEmpty('Action') ?? '').toLowerCase();
        const id = idLine(msg);
        switch (action) {
          case 'listcommands':
          case 'challenge':
            if (action === 'listcommands' && commands !== undefined) {
              s.write(`Response: Success\r\n${id}${commands.map((c) => c + '\r\n').join('')}\r\n`);
              return;
            }
            // Like an AMI proxy without them: amigate logs in with Secret and keeps its built-in action classes.
            s.write(`Response: Error\r\n${id}Message: Invalid/unknown command: ${msg.get('Action')}. Use Action: ListCommands to show available commands.\r\n\r\n`);
            return;
          case 'login':
            s.loggedIn = true;
            s.eventsOn = (msg.get('Events') ?? 'on').toLowerCase() !== 'off';
            s.write(`Response: Success\r\n${id}Message: Authentication accepted\r\n\r\n` +
              (s.eventsOn ? 'Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 8\r\nLastReload: 8\r\nStatus: Fully Booted\r\n\r\n' : ''));
            return;
          case 'ping':
            s.write(`Response: Success\r\n${id}Ping: Pong\r\nTimestamp: 1795326944.608300\r\n\r\n`);
            return;
          case 'logoff':
            s.write(`Response: Goodbye\r\n${id}Message: Thanks for all the fish.\r\n\r\n`);
            socket.end();
            return;
          default: {
            const text = onAction(s, msg);
            if (text === null) return;
            s.write(text ?? `Response: Success\r\n${id}Message: ok\r\n\r\n`);
          }
        }
      },
    }, { maxLineBytes: 1 << 20, maxLines: 1e5, emitEmpty: false });
    socket.on('data', (d: Buffer) => parser.write(d));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    for (const s of sessions) s.socket.destroy();
    server.close(() => resolve());
  }));
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions,
    broadcast: (text) => { for (const s of sessions) if (s.loggedIn && s.eventsOn) s.write(text); },
  };
}
