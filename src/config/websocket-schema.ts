// The WebSocket and console keys of a `protocol: http` listener: their types,
// defaults, JSON Schema fragments (listener-schema.ts adds them to a listener)
// and their checks (listeners.ts calls resolveWebSocket()). docs/websocket.md
// and docs/config.md describe them.
//
//   listeners:
//     - protocol: http
//       websocket: { path: /ws, origins: [https://ops.example.com], maxmessagebytes: 65536, pinginterval: 30 }
//       console: true

import { normalizeOrigin } from '../http/origin.js';
import { matchRoute } from '../http/routes.js';

export interface WebSocketListenerConfig {
  /** URL path of the endpoint. @default '/ws' */
  readonly path: string;
  /** Origins allowed besides the listener's own; '*' allows any. @default [] */
  readonly origins: readonly string[];
  /** Bytes of one WebSocket message (and frame); more closes the connection with 1009. @default 65536 */
  readonly maxmessagebytes: number;
  /** Seconds between pings; a peer that misses one is dropped. 0: no pings. @default 30 */
  readonly pinginterval: number;
}

export const WEBSOCKET_DEFAULTS = { enabled: true, path: '/ws', origins: [] as string[], maxmessagebytes: 65536, pinginterval: 30 } as const;

type Schema = Record<string, unknown>;
const D = WEBSOCKET_DEFAULTS;

export const WEBSOCKET_SCHEMA: Schema = {
  type: 'object', additionalProperties: false,
  description: 'protocol: http only. AMI over WebSocket (subprotocols ami and ami-json, docs/websocket.md).',
  properties: {
    enabled: { type: 'boolean', description: `Serve the WebSocket endpoint; default ${D.enabled}.` },
    path: { type: 'string', pattern: "^/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$", maxLength: 200, description: `URL path of the endpoint; default '${D.path}'.` },
    origins: {
      type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1 },
      description: "Browser origins allowed besides the listener's own (https://host[:port]); '*' allows any. Default none.",
    },
    maxmessagebytes: { type: 'integer', minimum: 1024, maximum: 16777216, description: `Bytes of one message or frame; more closes with 1009; default ${D.maxmessagebytes}.` },
    pinginterval: { type: 'integer', minimum: 0, maximum: 3600, description: `Seconds between pings; a peer that does not answer by the next one is dropped; 0 = none; default ${D.pinginterval}.` },
  },
};

export const CONSOLE_SCHEMA: Schema = {
  type: 'boolean', description: 'protocol: http only. Serve the web console at /console (needs the WebSocket endpoint); default false.',
};

type Path = ReadonlyArray<string | number>;
type Json = Record<string, unknown>;

interface Reporter { problem(path: Path, message: string, keyOf?: string): void }

/**
 * `websocket` and `console` of one listener: refused on an AMI listener,
 * defaulted on an HTTP one. The endpoint may not shadow an AMI-over-HTTP route
 * or the console.
 */
export function resolveWebSocket(l: Json, protocol: 'ami' | 'http', at: Path, ctx: Reporter): { websocket: WebSocketListenerConfig | undefined; console: boolean } {
  const w = l['websocket'] as Json | undefined;
  const consoleOn = l['console'] === true;
  if (protocol === 'ami') {
    if (w !== undefined) ctx.problem(at, 'only a listener with protocol: http takes this key', 'websocket');
    if (l['console'] !== undefined) ctx.problem(at, 'only a listener with protocol: http takes this key', 'console');
    return { websocket: undefined, console: false };
  }
  const enabled = (w?.['enabled'] as boolean | undefined) ?? D.enabled;
  if (!enabled) {
    if (consoleOn) ctx.problem(at, 'the console needs the WebSocket endpoint (websocket.enabled: true)', 'console');
    return { websocket: undefined, console: false };
  }
  const path = (w?.['path'] as string | undefined) ?? D.path;
  const wat = [...at, 'websocket'];
  if (matchRoute(path) !== undefined) ctx.problem(wat, `${path} is an AMI-over-HTTP route`, 'path');
  if (path === '/console' || path.startsWith('/console/')) ctx.problem(wat, `${path} is the console's`, 'path');
  const origins = (w?.['origins'] as string[] | undefined) ?? D.origins;
  origins.forEach((o, i) => {
    if (o !== '*' && normalizeOrigin(o) === undefined) ctx.problem([...wat, 'origins', i], `${JSON.stringify(o)} is not an origin (http[s]://host[:port], or '*')`);
  });
  return {
    websocket: {
      path,
      origins,
      maxmessagebytes: (w?.['maxmessagebytes'] as number | undefined) ?? D.maxmessagebytes,
      pinginterval: (w?.['pinginterval'] as number | undefined) ?? D.pinginterval,
    },
    console: consoleOn,
  };
}
