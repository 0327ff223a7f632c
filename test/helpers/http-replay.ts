// Replays the AMI-over-HTTP captures (15-http-rawman.*: one HTTP request per
// connection) against a server, for the conformance test: each request is sent
// byte for byte at its captured time, with the captured mansession_id replaced
// by the one the server handed out in its place, and the raw answer is kept.

import net from 'node:net';
import { stream, type Record as Rec } from './transcripts.js';

export interface HttpExchange {
  file: string;
  /** Raw answers, captured and received (latin1). */
  want: string;
  got: string;
  wantEof: boolean;
  gotEof: boolean;
  /** ms from the request to the end of the answer, captured and measured. */
  wantMs: number;
  gotMs: number;
}

/** Send one raw request and read until the server closes (or 10 s pass). */
export function rawHttp(port: number, request: string): Promise<{ text: string; eof: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    let eof = false;
    const timer = setTimeout(() => s.destroy(), 10_000);
    s.on('data', (d: Buffer) => { text += d.toString('latin1'); });
    s.on('end', () => { eof = true; });
    s.on('error', () => { /* close follows */ });
    s.on('close', () => { clearTimeout(timer); resolve({ text, eof }); });
    s.write(Buffer.from(request, 'latin1'));
  });
}

const COOKIE = /mansession_id="([0-9a-f]+)"/;

/**
 * Replay the connections in capture order. `cookies` maps each captured
 * mansession_id to the server's (learned from the answers as they come).
 */
export async function replayHttp(port: number, conns: Array<{ file: string; records: Rec[] }>, cookies: Map<string, string>): Promise<HttpExchange[]> {
  const ordered = [...conns].sort((a, b) => a.records[0]!.t - b.records[0]!.t);
  const t0 = Date.now() + 20;
  const out: HttpExchange[] = [];
  for (const c of ordered) {
    const first = c.records[0]!;
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + first.t - Date.now())));
    const request = stream(c.records, 'c2s').replace(COOKIE, (all, id: string) => `mansession_id="${cookies.get(id) ?? id}"`);
    const started = Date.now();
    const { text, eof } = await rawHttp(port, request);
    const gotMs = Date.now() - started;
    const s2c = c.records.filter((r) => r.dir === 's2c');
    const want = s2c.map((r) => r.data).join('');
    const wantId = COOKIE.exec(want)?.[1];
    const gotId = COOKIE.exec(text)?.[1];
    if (wantId !== undefined && gotId !== undefined && !cookies.has(wantId)) cookies.set(wantId, gotId);
    out.push({
      file: c.file, want, got: text, wantEof: s2c.some((r) => r.eof === true), gotEof: eof,
      wantMs: s2c[s2c.length - 1]!.t - first.t, gotMs,
    });
  }
  return out;
}

/** Head and body of a raw answer. */
export function splitHttp(text: string): { head: string; body: string } {
  const i = text.indexOf('\r\n\r\n');
  return i < 0 ? { head: text, body: '' } : { head: text.slice(0, i + 4), body: text.slice(i + 4) };
}

/** Volatile values of an HTTP answer: Date, Content-Length (checked on its own), times, uptimes. */
export function normaliseHttp(text: string): string {
  return text
    .replace(/^Date: .*$/m, 'Date: <DATE>')
    .replace(/^Content-Length: \d+$/m, 'Content-Length: <N>')
    .replace(/^Timestamp: \d+\.\d{6}$/gm, 'Timestamp: <TS>')
    .replace(/timestamp='\d+\.\d{6}'/g, "timestamp='<TS>'")
    .replace(/<td>Timestamp<\/td><td>\d+\.\d{6}<\/td>/g, '<td>Timestamp</td><td><TS></td>')
    .replace(/^(Uptime|LastReload): \d+$/gm, '$1: <N>')
    .replace(/^Output: (System uptime|Last reload): .*$/gm, 'Output: $1: <UPTIME>')
    .replace(/logintime='\d+'/g, "logintime='<N>'");
}
