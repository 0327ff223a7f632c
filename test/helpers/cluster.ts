// Helpers for the shared-state tests (test/integration/cluster/): one Login
// attempt on a fresh connection with its exact reply, and the admin server's
// JSON endpoints.

import http from 'node:http';
import { TestClient } from './ami-test-client.js';

export const FAILED = 'Response: Error\r\nActionID: L\r\nMessage: Authentication failed\r\n\r\n';
export const IN_USE = 'Response: Error\r\nActionID: L\r\nMessage: Login Already In Use\r\n\r\n';
export const ACCEPTED = /^Response: Success\r\nActionID: L\r\nMessage: Authentication accepted\r\n/;

/** Log in on a new connection and return the reply text; the connection is closed after. */
export async function attempt(port: number, user: string, secret: string): Promise<string> {
  const c = await TestClient.connect({ port });
  try {
    await c.waitBanner();
    c.write(`Action: Login\r\nActionID: L\r\nUsername: ${user}\r\nSecret: ${secret}\r\n\r\n`);
    return (await c.waitFor((m) => m.isResponse, 15_000)).toString();
  } finally {
    await c.close();
  }
}

/** A logged-in client kept open (the caller closes it). */
export async function loggedIn(port: number, user: string, secret: string): Promise<TestClient> {
  const c = await TestClient.connect({ port });
  const r = await c.login(user, secret);
  if (r.get('Response') !== 'Success') { await c.close(); throw new Error(`login of ${user} failed: ${r.get('Message')}`); }
  return c;
}

/** GET on the admin server: status and body (parsed when JSON). */
export async function adminGet(port: number, path: string): Promise<{ status: number; body: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => { text += d; }).on('end', () => {
        let body: unknown = text;
        try { body = JSON.parse(text); } catch { /* text */ }
        resolve({ status: res.statusCode ?? 0, body, text });
      });
    }).on('error', reject);
  });
}

/** The value of one sample line of /metrics (undefined when absent). */
export function metricValue(text: string, line: string): number | undefined {
  const m = text.split('\n').find((l) => l.startsWith(line + ' '));
  return m === undefined ? undefined : Number(m.slice(line.length + 1));
}
