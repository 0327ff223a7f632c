// Opens the byte stream to one Asterisk: plain TCP or TLS. Injected into the
// connection (undici's `connect`, ioredis's AbstractConnector) so unit tests can
// hand over one end of a stream.duplexPair() instead of a socket.

import net from 'node:net';
import tls from 'node:tls';
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import type { UpstreamConfig } from './types.js';
import { AmigateError, UpstreamClosedError } from '../errors.js';

export interface ConnectOptions {
  /** Aborted when the connection attempt is abandoned (timeout, close()). */
  signal?: AbortSignal;
}

export type Connector = (cfg: UpstreamConfig, opts?: ConnectOptions) => Promise<Duplex>;

/** TCP keepalive probes: lets the kernel notice a vanished peer even when keepalive Pings are off. */
const TCP_KEEPALIVE_MS = 30_000;

export const defaultConnector: Connector = async (cfg, opts = {}) => {
  const signal = opts.signal;
  if (signal?.aborted) throw new UpstreamClosedError('connect aborted');
  let socket: net.Socket;
  let ready: string;
  if (cfg.tls) {
    const t = cfg.tls;
    let ca: string | Buffer | undefined = t.ca;
    if (ca === undefined && t.cafile) ca = await readFile(t.cafile);
    if (signal?.aborted) throw new UpstreamClosedError('connect aborted');
    const servername = t.servername ?? (net.isIP(cfg.host) ? undefined : cfg.host);
    socket = tls.connect({
      host: cfg.host,
      port: cfg.port,
      ...(ca !== undefined ? { ca } : {}),
      ...(servername !== undefined ? { servername } : {}),
      rejectUnauthorized: t.rejectunauthorized ?? true,
    });
    ready = 'secureConnect';
  } else {
    socket = net.connect({ host: cfg.host, port: cfg.port });
    ready = 'connect';
  }
  // Asterisk writes a response in several pieces and our actions are small:
  // with Nagle on, each action waits ~40 ms for the delayed ACK.
  socket.setNoDelay(true);
  socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
  return new Promise<Duplex>((resolve, reject) => {
    const onAbort = (): void => {
      cleanup();
      socket.destroy();
      reject(new UpstreamClosedError('connect aborted'));
    };
    const onError = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(new UpstreamClosedError(`connect to ${cfg.host}:${cfg.port} failed: ${err.message}`, { cause: err }));
    };
    const onReady = (): void => {
      cleanup();
      resolve(socket);
    };
    const cleanup = (): void => {
      socket.off('error', onError);
      socket.off(ready, onReady);
      signal?.removeEventListener('abort', onAbort);
    };
    socket.once('error', onError);
    socket.once(ready, onReady);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
};

/** A connector's rejection as the connection reports it (an AmigateError as is). */
export function connectFailure(err: unknown): AmigateError {
  if (err instanceof AmigateError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  return new UpstreamClosedError(`upstream connect failed: ${e.message}`, { cause: e });
}
