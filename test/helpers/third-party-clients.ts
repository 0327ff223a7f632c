// The unmodified npm AMI client libraries the tests drive (dev dependencies),
// loaded with the few types the tests use: one place for their shapes.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** asterisk-manager: `AsteriskManager(port, host, user, secret, events)`. */
export interface AsteriskManagerClient {
  on(ev: string, cb: (e: Record<string, string>) => void): void;
  action(a: Record<string, string>, cb: (err: unknown, res: Record<string, string>) => void): void;
  disconnect(): void;
  isConnected(): boolean;
}
export const AsteriskManager = require('asterisk-manager') as (port: number, host: string, user: string, secret: string, events: boolean) => AsteriskManagerClient;

/** asterisk-ami-client: `new AmiClient(options)`, then connect(). */
export interface AmiClientInstance {
  connect(u: string, s: string, o: Record<string, unknown>): Promise<unknown>;
  action(m: Record<string, string>, promisable: boolean): Promise<Record<string, string>>;
  on(ev: string, cb: (e: Record<string, string>) => void): void;
  disconnect(): void;
}
export const AmiClient = require('asterisk-ami-client') as new (o: Record<string, unknown>) => AmiClientInstance;
