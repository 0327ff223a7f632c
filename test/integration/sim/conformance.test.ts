// Conformance of the simulated Asterisk with the real Asterisk 22 captures in
// ../shared/ami-transcripts: every scenario's client bytes are replayed against
// a fresh sim (all connections of a scenario together, at the captured times,
// each chunk only after the responses the capture had received before it),
// and the sim's bytes are compared with the captured ones after normalising
// only volatile values (times, unique ids, Local channel numbers, ports,
// challenge, session id, uptime, durations).
//
// Compared per connection:
//   - the banner line, byte for byte;
//   - responses and EventList blocks in order, byte for byte (list items as a
//     sorted multiset: Asterisk walks a hash container, so 06 and 10 list the
//     same two channels in different orders);
//   - broadcast events as a multiset;
//   - every message in wire order, responses and events together (so a
//     response must precede its action's events, and FullyBooted must follow
//     the Login response), once DeviceStateChange is left out (see FLOATING),
//     except where two calls interleave nondeterministically (12b);
//   - that the stream ends where the capture's does: on a packet boundary;
//   - whether the server closed the connection.
// Scenarios run concurrently; the longest (13) takes about 16 s.

import t from 'tap';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { startSim, type Sim } from '../../../src/sim/server.js';
import { loadTranscript, transcriptNames, type Record as Rec } from '../../helpers/transcripts.js';
import { DEFAULT_USERS } from '../../../src/sim/users.js';
import { normaliseHttp, replayHttp, splitHttp, type HttpExchange } from '../../helpers/http-replay.js';

interface Conn { file: string; records: Rec[] }

interface Scenario {
  key: string;
  conns: Conn[];
  systemName: string | undefined;
  /** Two calls interleave: compare events only as a multiset, not in wire order. */
  interleaved?: boolean;
  /** State the capture inherited from earlier scenarios on the same Asterisk. */
  setup?: (sim: Sim) => Promise<void>;
  /** Things the capture's operator did outside AMI, at a scenario time. */
  triggers?: Array<{ at: number; run: (sim: Sim) => Promise<void> | void }>;
}

const SKIPS: Record<string, string> = {
  '14b-auth-timeout': 'the 30 s authtimeout of the capture is too slow here; authtimeout is tested with authTimeoutMs in sim-controls.test.ts',
};

const SECRETS = DEFAULT_USERS.map((u) => u.secret);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function scenarios(): Scenario[] {
  const groups = new Map<string, Conn[]>();
  for (const file of transcriptNames()) {
    const key = file.slice(0, file.indexOf('.'));
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push({ file, records: loadTranscript(file) });
  }
  return [...groups].map(([key, conns]) => ({
    key,
    conns,
    systemName: key.startsWith('extra-no-systemname') ? undefined : 'amiref',
    interleaved: key === '12b-pipelined-originate-dup-actionid',
    setup: key === '12a-pipelining' ? abandonOneQueueCaller : undefined,
    triggers: key === '16-shutdown' ? [{ at: 524, run: (sim: Sim) => sim.close() }] : undefined,
  }));
}

/**
 * 12a's QueueParams shows `Abandoned: 1`: the queue caller of 11a hung up on
 * the same Asterisk before. Reproduce that with a caller that gives up after 1 s.
 */
async function abandonOneQueueCaller(sim: Sim): Promise<void> {
  const s = net.connect(sim.port, '127.0.0.1');
  let text = '';
  s.on('data', (d: Buffer) => { text += d.toString('latin1'); });
  await new Promise<void>((resolve) => s.once('connect', resolve));
  s.write('Action: Login\r\nUsername: admin\r\nSecret: adminpw\r\n\r\n' +
    'Action: Originate\r\nChannel: Local/300@test\r\nApplication: Wait\r\nData: 1\r\nAsync: true\r\n\r\n');
  const deadline = Date.now() + 5000;
  while (!/Event: QueueCallerAbandon\r\n/.test(text) && Date.now() < deadline) await sleep(20);
  s.destroy();
}

// --- wire text helpers ------------------------------------------------------

const BANNER = /^[^\r\n]*\r\n/;

/** Complete messages after the banner (each without its final blank line). */
function messages(text: string): string[] {
  const body = text.replace(BANNER, '');
  const parts = body.split('\r\n\r\n');
  parts.pop(); // the incomplete tail (or '' after the last blank line)
  return parts;
}

function countResponses(text: string): number {
  return messages(text).filter((m) => m.startsWith('Response:')).length;
}

/** Volatile values only. */
function normalise(m: string): string {
  return m
    .replace(/^Timestamp: \d+\.\d{6}$/gm, 'Timestamp: <TS>')
    .replace(/^(Uptime|LastReload|LoginTime|Seconds): \d+$/gm, '$1: <N>')
    .replace(/^(EventTV|SessionTV): .*$/gm, '$1: <TV>')
    .replace(/^SessionID: 0x[0-9a-f]+$/gm, 'SessionID: <SID>')
    .replace(/^((?:Local|Remote)Address: IPV[46]\/TCP\/[^/]*)\/\d+$/gm, '$1/<PORT>')
    .replace(/^(Line-\d+-\d+: port)=\d+$/gm, '$1=<PORT>')
    .replace(/^Challenge: \d+$/gm, 'Challenge: <CHALLENGE>')
    .replace(/^([A-Za-z]*(?:Uniqueid|Linkedid)): (amiref-)?\d+\.\d+$/gm, '$1: $2<UID>')
    .replace(/(Local\/[^\s;]*?)-[0-9a-f]{8};/g, '$1-<ID>;')
    .replace(/^Duration: \d\d:\d\d:\d\d$/gm, 'Duration: <DUR>')
    .replace(/^Output: (System uptime|Last reload): .*$/gm, 'Output: $1: <UPTIME>');
}

interface Split { banner: string; seq: string[]; events: string[] }

/**
 * Every message in wire order, normalised, with each EventList (its `start`
 * response, its items sorted, its Complete) folded into one element: list items
 * may come in any order, but a list is one unit of the reply (S26).
 */
function units(text: string): Array<{ m: string; response: boolean }> {
  const out: Array<{ m: string; response: boolean }> = [];
  let list: string[] | undefined;
  let head = '';
  for (const raw of messages(text)) {
    const m = normalise(raw);
    if (list !== undefined) {
      if (/\r\nEventList: Complete\r\n/.test(m)) {
        out.push({ m: [head, ...list.sort(), m].join('\r\n\r\n'), response: true });
        list = undefined;
      } else {
        list.push(m);
      }
    } else if (m.startsWith('Response:') && /\r\nEventList: start\r\n/.test(m)) {
      list = [];
      head = m;
    } else {
      out.push({ m, response: m.startsWith('Response:') });
    }
  }
  if (list !== undefined) out.push({ m: [head, ...list.sort(), '<unterminated list>'].join('\r\n\r\n'), response: true });
  return out;
}

/** Responses and whole lists in order; everything else is a broadcast event. */
function split(text: string): Split {
  const all = units(text);
  return {
    banner: BANNER.exec(text)?.[0] ?? '',
    seq: all.filter((u) => u.response).map((u) => u.m),
    events: all.filter((u) => !u.response).map((u) => u.m),
  };
}

/**
 * Left out of the full-order comparison. main/devicestate.c queues device state
 * changes to its own thread (do_devstate_changes()), which publishes them when
 * it gets to run, so their place among a call's channel events is a race in
 * Asterisk itself: the same scenario captured twice (07a and
 * extra-no-systemname.07a) has the first DeviceStateChange after OriginateResponse
 * in one and between the two Newstates in the other. They are still compared as
 * a multiset. Everything else, SuccessfulAuth included, keeps its captured place.
 */
const FLOATING = /^Event: DeviceStateChange\r\n/;

/** Every unit in wire order, leaving out what `omit` matches (lists are never left out). */
function ordered(text: string, omit?: RegExp): string[] {
  return units(text).filter((u) => u.response || omit === undefined || !omit.test(u.m)).map((u) => u.m);
}

/** What follows the last complete message: '' when the stream ends on a packet boundary. */
function tail(text: string): string {
  const body = text.replace(BANNER, '');
  return body.slice(body.lastIndexOf('\r\n\r\n') + 4);
}

// --- replay -----------------------------------------------------------------

interface ConnResult { file: string; got: string; want: string; gotEof: boolean; wantEof: boolean; error?: string }

/** The captured s2c bytes (latin1). */
function captured(records: Rec[]): string {
  return records.filter((r) => r.dir === 's2c').map((r) => r.data).join('');
}

/** First Local channel number of the scenario, so captured names can be rewritten to the sim's numbering. */
function localBase(conns: Conn[]): number {
  let min = Infinity;
  for (const c of conns) for (const m of captured(c.records).matchAll(/Local\/[^\s;]*?-([0-9a-f]{8});/g)) min = Math.min(min, parseInt(m[1]!, 16));
  return min === Infinity ? 0 : min;
}

async function waitUntil(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

async function replay(sim: Sim, conn: Conn, t0: number, base: number): Promise<ConnResult> {
  const recs = conn.records;
  const want = captured(recs);
  const wantEof = recs.some((r) => r.dir === 's2c' && r.eof === true);
  await sleep(t0 + recs[0]!.t - 1 - Date.now());
  const socket = net.connect(sim.port, '127.0.0.1');
  socket.setNoDelay(true);
  let got = '';
  let gotEof = false;
  socket.on('data', (d: Buffer) => { got += d.toString('latin1'); });
  socket.on('end', () => { gotEof = true; });
  socket.on('error', () => { gotEof = true; });
  let seen = '';
  let error: string | undefined;
  try {
    for (const r of recs) {
      if (r.dir === 's2c') {
        seen += r.data;
        continue;
      }
      if (r.close) break;
      const need = countResponses(seen);
      if (!(await waitUntil(() => countResponses(got) >= need, 5000))) {
        error = `no response #${need} before sending ${JSON.stringify(r.data.slice(0, 60))}`;
        break;
      }
      await sleep(t0 + r.t - Date.now());
      socket.write(Buffer.from(rewrite(r.data, want, got, base), 'latin1'));
    }
    const last = recs[recs.length - 1]!;
    const need = countResponses(seen);
    await waitUntil(() => countResponses(got) >= need, 5000);
    if (wantEof) await waitUntil(() => gotEof, 5000);
    await sleep(t0 + last.t - Date.now());
    // Late events (none expected after the capture's end) get a moment to show up.
    await sleep(50);
  } finally {
    socket.destroy();
  }
  return { file: conn.file, got, want, gotEof, wantEof, error };
}

/** Client bytes that depend on the server: the MD5 key for the sim's challenge, Local channel numbers. */
function rewrite(data: string, want: string, got: string, base: number): string {
  let out = data.replace(/Local\/([^\s;]*?)-([0-9a-f]{8});/g, (all, target: string, id: string) => {
    const n = parseInt(id, 16);
    // Only names of channels the capture really had (not e.g. "Local/nosuch-00000000;1").
    if (!new RegExp(`-${id};`).test(want)) return all;
    return `Local/${target}-${(n - base).toString(16).padStart(8, '0')};`;
  });
  const key = /^Key: ([0-9a-f]{32})\r?$/m.exec(out);
  const wantChallenge = /^Challenge: (\d+)\r$/m.exec(want)?.[1];
  const gotChallenge = /^Challenge: (\d+)\r$/m.exec(got)?.[1];
  if (key && wantChallenge && gotChallenge) {
    for (const secret of SECRETS) {
      if (md5(wantChallenge + secret) === key[1]) out = out.replace(key[1]!, md5(gotChallenge + secret));
    }
  }
  return out;
}

function md5(s: string): string { return createHash('md5').update(s, 'latin1').digest('hex'); }

/** Every sim started here; closed again in t.teardown in case a replay throws. */
const sims = new Set<Sim>();
t.teardown(() => Promise.all([...sims].map((s) => s.close())).then(() => undefined));

async function runScenario(sc: Scenario): Promise<ConnResult[]> {
  const sim = await startSim({ systemName: sc.systemName });
  sims.add(sim);
  try {
    if (sc.setup) await sc.setup(sim);
    // A fresh sim numbers Local pairs from 0 (12a's setup call is never named by the replay).
    const base = localBase(sc.conns);
    const t0 = Date.now() + 20;
    for (const tr of sc.triggers ?? []) setTimeout(() => { void tr.run(sim); }, t0 + tr.at - Date.now());
    return await Promise.all(sc.conns.map((c) => replay(sim, c, t0, base)));
  } finally {
    await sim.close();
  }
}

// --- AMI over HTTP (15-http-rawman.*) -------------------------------------------

const HTTP_SCENARIO = '15-http-rawman';

/**
 * One request per connection, in capture order, against the sim's HTTP manager.
 * 08's QueueParams shows `Abandoned: 1` (11a's caller hung up on that Asterisk
 * before), so the same setup as 12a runs first.
 */
async function runHttpScenario(sc: Scenario): Promise<{ exchanges: HttpExchange[]; cookies: Map<string, string> }> {
  const sim = await startSim({ systemName: sc.systemName, httpPort: 0 });
  sims.add(sim);
  try {
    await abandonOneQueueCaller(sim);
    const cookies = new Map<string, string>();
    return { exchanges: await replayHttp(sim.httpPort!, sc.conns, cookies), cookies };
  } finally {
    await sim.close();
  }
}

function testHttpScenario(sc: Scenario, run: Promise<{ exchanges: HttpExchange[]; cookies: Map<string, string> }>): void {
  t.test(sc.key, async (t) => {
    const { exchanges, cookies } = await run;
    t.equal(new Set(cookies.values()).size, cookies.size, 'each captured cookie has its own counterpart (a new session gets a new id)');
    for (const x of exchanges) {
      t.test(x.file, async (t) => {
        // The captured ids, written as the sim's: the same session keeps its cookie.
        let want = x.want;
        for (const [w, g] of cookies) want = want.replaceAll(`mansession_id="${w}"`, `mansession_id="${g}"`);
        const got = splitHttp(x.got);
        const exp = splitHttp(want);
        t.equal(normaliseHttp(got.head), normaliseHttp(exp.head), 'status line and headers, in order');
        t.equal(normaliseHttp(got.body), normaliseHttp(exp.body), 'body');
        t.equal(/^Content-Length: (\d+)\r$/m.exec(got.head)?.[1], String(Buffer.byteLength(got.body, 'latin1')), 'Content-Length is the body length');
        t.equal(x.gotEof, x.wantEof, 'server closed the connection (Connection: close)');
        if (x.wantMs >= 900) t.ok(x.gotMs >= 900, `answered after the login-failure delay (${x.gotMs} ms)`);
      });
    }
  });
}

// --- the test ---------------------------------------------------------------

const all = scenarios();
const runs = new Map<string, Promise<ConnResult[]>>();
const httpRuns = new Map<string, Promise<{ exchanges: HttpExchange[]; cookies: Map<string, string> }>>();
for (const sc of all) {
  if (sc.key in SKIPS) continue;
  if (sc.key === HTTP_SCENARIO) httpRuns.set(sc.key, runHttpScenario(sc));
  else runs.set(sc.key, runScenario(sc));
}

for (const sc of all) {
  if (sc.key in SKIPS) {
    t.test(sc.key, { skip: SKIPS[sc.key] }, () => {});
    continue;
  }
  if (sc.key === HTTP_SCENARIO) {
    testHttpScenario(sc, httpRuns.get(sc.key)!);
    continue;
  }
  t.test(sc.key, async (t) => {
    const results = await runs.get(sc.key)!;
    for (const r of results) {
      t.test(r.file, async (t) => {
        t.equal(r.error, undefined, 'replay kept pace with the capture');
        const want = split(r.want);
        const got = split(r.got);
        t.equal(got.banner, want.banner, 'banner');
        t.same(got.seq, want.seq, 'responses and lists, in order');
        t.same([...got.events].sort(), [...want.events].sort(), 'broadcast events (multiset)');
        if (!sc.interleaved) t.same(ordered(r.got, FLOATING), ordered(r.want, FLOATING), 'every message in order, responses and events together');
        t.equal(normalise(tail(r.got)), normalise(tail(r.want)), 'no unterminated bytes after the last packet, as in the capture');
        t.equal(r.gotEof, r.wantEof, r.wantEof ? 'server closed the connection' : 'server kept the connection open');
      });
    }
  });
}
