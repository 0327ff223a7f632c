// Fuzzes a downstream Session with arbitrary client bytes (random, AMI-shaped and
// mutated c2s captures, in random chunks) over stream.duplexPair(), with fake
// services: every login succeeds and every forwarded action is answered on the
// next tick. Whatever arrives, the session must answer each packet exactly once
// and in order (S26), with a well-framed `Response:` packet that echoes the
// packet's ActionID second (S21), until a Logoff ends it; no input may reach the
// "Internal error" catch-all. Fixed seed, few runs: see docs/fuzzing.md.

import t from 'tap';
import fc from 'fast-check';
import { duplexPair, type Duplex } from 'node:stream';
import { Session, type SessionServices, type SessionUser, type SessionObservation } from '../../../src/downstream/session.js';
import { AmiMessage } from '../../../src/protocol/message.js';
import { AmiParser } from '../../../src/protocol/parser.js';
import { chunkingArb, parserInputArb, render, split } from '../../../src/fuzz/arbitraries.js';
import { failureReport } from '../../../src/fuzz/run.js';
import { loadTranscript, stream, transcriptNames } from '../../helpers/transcripts.js';

const SEED = 20240607;
const RUNS = 60;
/** Upper bound on waiting for one case's replies; a case normally takes a few ms. */
const CASE_DEADLINE_MS = 1000;
const BANNER = 'Asterisk Call Manager/11.0.0';

const corpus = transcriptNames().map((n) => stream(loadTranscript(n), 'c2s')).filter((s) => s.length > 0);

const USER: SessionUser = {
  name: 'admin', readMask: 0x7fffffff, writeMask: 0x7fffffff, servers: undefined, serverHeader: false, writeTimeoutMs: 1000, record: null,
};

function fakeServices(observed: SessionObservation[]): SessionServices {
  return {
    banner: () => BANNER,
    authTimeoutMs: 60_000,
    maxQueueBytes: 1 << 24,
    maxPendingActions: 8,
    login: async () => ({ ok: true, user: USER }),
    challengeAllowed: () => true,
    // WaitEvent would wait up to its Timeout; keep every case short.
    decide: (_u, msg) => msg.getNonEmpty('Action')?.toLowerCase() === 'waitevent'
      ? { allow: false, rule: 'fuzz', message: 'Permission denied' }
      : { allow: true },
    compileFilters: () => ({ size: 0, passes: () => true }),
    checkFilter: () => {},
    forward: (_s, msg, _servers, handler) => {
      const i = msg.indexOf('ActionID');
      const reply = new AmiMessage(['Response: Success', ...(i >= 0 ? [msg.lines[i]!] : []), 'Message: forwarded']);
      setImmediate(() => {
        handler.packet(reply);
        handler.done('success', { upstream: 'fake', upstreamMs: 0 });
      });
    },
    filterListCommands: (_u, r) => r,
    serversFor: () => ['fake'],
    fullyBooted: () => undefined,
    observe: (ev) => { observed.push(ev); },
  };
}

/** The packets the session will answer: all of them, up to and including the first Logoff. */
function expectedRequests(input: string): AmiMessage[] {
  const packets: AmiMessage[] = [];
  let done = false;
  const p = new AmiParser({
    onMessage: (m) => {
      if (done) return;
      packets.push(m);
      if (m.fault === undefined && m.getNonEmpty('Action')?.toLowerCase() === 'logoff') done = true;
    },
  });
  p.write(Buffer.from(input, 'latin1'));
  return packets;
}

async function runSession(chunks: Buffer[], want: number): Promise<{ out: Buffer; observed: SessionObservation[] }> {
  const observed: SessionObservation[] = [];
  const [client, server] = duplexPair() as [Duplex, Duplex];
  const got: Buffer[] = [];
  client.on('data', (b: Buffer) => got.push(b));
  client.on('error', () => {});
  const session = new Session(1, server, fakeServices(observed), { remoteAddress: '127.0.0.1', remotePort: 1, listener: 'fuzz' });
  session.start();
  for (const c of chunks) if (c.length > 0) client.write(c);
  // Replies are counted as CRLF CRLF pairs; the banner has none.
  const deadline = Date.now() + CASE_DEADLINE_MS;
  const count = (): number => Buffer.concat(got).toString('latin1').split('\r\n\r\n').length - 1;
  while (count() < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  await new Promise((r) => setImmediate(r));
  session.destroy('fuzz-done');
  client.destroy();
  return { out: Buffer.concat(got), observed };
}

t.test('every client packet gets one well-framed reply, in order', async (t) => {
  const property = fc.asyncProperty(parserInputArb(corpus), chunkingArb, async (parts, chunking) => {
    const input = render(parts, 1024);
    const requests = expectedRequests(input);
    const { out, observed } = await runSession(split(input, chunking), requests.length);
    const replies: AmiMessage[] = [];
    const banners: string[] = [];
    const parser = new AmiParser({ onMessage: (m) => replies.push(m), onBanner: (l) => banners.push(l) }, { banner: true, maxLineBytes: 1 << 20, maxLines: 1e5 });
    parser.write(out);
    const text = out.toString('latin1');
    if (banners[0] !== BANNER || !text.startsWith(BANNER + '\r\n')) throw new Error('no banner first');
    if (parser.buffered !== 0) throw new Error(`output ends inside a packet: ${JSON.stringify(text.slice(-80))}`);
    // Byte-exact re-serialization: CRLF everywhere, no bare LF, no stray blank line.
    const rebuilt = BANNER + '\r\n' + replies.map((m) => m.toString()).join('');
    if (rebuilt !== text) throw new Error('output is not CRLF-framed packets');
    const internal = observed.filter((o) => o.type === 'action' && o.rule?.startsWith('internal-error'));
    if (internal.length > 0) throw new Error(`internal error: ${JSON.stringify((internal[0] as { rule?: string }).rule)}`);
    if (replies.length !== requests.length) throw new Error(`${requests.length} packets got ${replies.length} replies`);
    replies.forEach((r, i) => {
      if (!r.isResponse) throw new Error(`reply ${i} is not a Response: ${JSON.stringify(r.lines)}`);
      const req = requests[i]!;
      const want = req.has('ActionID') ? req.get('ActionID') : undefined;
      if (r.get('ActionID') !== want) throw new Error(`reply ${i} echoes ActionID ${JSON.stringify(r.get('ActionID'))}, want ${JSON.stringify(want)}`);
      if (want !== undefined && r.indexOf('ActionID') !== 1) throw new Error(`reply ${i}: ActionID is not the second line (S21)`);
    });
  });
  const out = await fc.check(property, { seed: SEED, numRuns: RUNS });
  if (out.failed) t.fail(failureReport(out));
  else t.equal(out.numRuns, RUNS, `${out.numRuns} client streams`);
});
