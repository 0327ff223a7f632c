// Fan-out cost of tenant scoping (issue 15), in one process: the same event
// stream published through fanout.ts to 100 sessions, unscoped and scoped.
//
//   npm run build && node dist/bench/micro/scope-fanout.bench.js [--events N] [--rounds R]
//
// Stream: calls of 100 tenants (t000..t099, one PJSIP channel plus a trunk
// leg in the same Linkedid each) and of nobody, interleaved, 12 events per
// call (Newchannel x2, DialBegin, Newstate x2, DialEnd, VarSet x2, BridgeEnter,
// HangupRequest, Hangup x2), plus one Reload per call. Scenarios:
//   unscoped      100 sessions without scope (today's fan-out)
//   scoped-100    100 sessions, one per tenant (each gets ~1% of the stream)
//   scoped-same   100 sessions of one tenant (each gets ~1% too: same decision, 100 receivers)
// Reported: ns per published event (tracker + decisions + deliveries), the
// deliveries, and the extra cost per event against unscoped. The events are
// parsed beforehand: parsing is the parser bench's business.

import { Fanout, type EventSink } from '../../src/fanout/fanout.js';
import { TenantScopes } from '../../src/scope/tenant-scopes.js';
import { AmiMessage } from '../../src/protocol/message.js';
import type { UserConfig } from '../../src/config/schema.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const TENANTS = 100;
const tname = (i: number) => `t${String(i).padStart(3, '0')}`;

function config(): { users: Record<string, UserConfig> } {
  const users: Record<string, UserConfig> = {};
  for (let i = 0; i < TENANTS; i++) {
    const n = tname(i);
    users[n] = { name: n, scope: { channels: [`PJSIP/${n}-*`], contexts: [`${n}-internal`], accountcodes: [n], queues: [`${n}-q`], devices: [`PJSIP/${n}-*`], other: 'deny', unscopedactions: [] } } as unknown as UserConfig;
  }
  users['admin'] = { name: 'admin' } as unknown as UserConfig;
  return { users };
}

function block(name: string, uid: string, linkedid: string, ctx: string, prefix = ''): string[] {
  return [`${prefix}Channel: ${name}`, `${prefix}ChannelState: 6`, `${prefix}ChannelStateDesc: Up`, `${prefix}CallerIDNum: 100`,
    `${prefix}CallerIDName: <unknown>`, `${prefix}ConnectedLineNum: <unknown>`, `${prefix}ConnectedLineName: <unknown>`,
    `${prefix}Language: en`, `${prefix}AccountCode: `, `${prefix}Context: ${ctx}`, `${prefix}Exten: 100`, `${prefix}Priority: 1`,
    `${prefix}Uniqueid: ${uid}`, `${prefix}Linkedid: ${linkedid}`];
}

function stream(events: number): AmiMessage[] {
  const out: AmiMessage[] = [];
  let call = 0;
  const ev = (name: string, ...lines: string[][]) => out.push(new AmiMessage([`Event: ${name}`, 'Privilege: call,all', ...lines.flat()]));
  while (out.length < events) {
    const n = call++;
    const owner = n % (TENANTS + 1) === TENANTS ? 'nobody' : tname(n % (TENANTS + 1));
    const a = block(`PJSIP/${owner}-${n}`, `${n}.1`, `${n}.1`, `${owner}-internal`);
    const b = block(`PJSIP/trunk-${n}`, `${n}.2`, `${n}.1`, 'from-trunk');
    const bd = block(`PJSIP/trunk-${n}`, `${n}.2`, `${n}.1`, 'from-trunk', 'Dest');
    ev('Newchannel', a); ev('Newchannel', b); ev('DialBegin', a, bd); ev('Newstate', b); ev('Newstate', a);
    ev('DialEnd', a, bd, ['DialStatus: ANSWER']); ev('VarSet', a, ['Variable: X', 'Value: 1']); ev('VarSet', b, ['Variable: Y', 'Value: 2']);
    ev('BridgeEnter', [`BridgeUniqueid: br-${n}`, 'BridgeType: basic'], a); ev('HangupRequest', b); ev('Hangup', b); ev('Hangup', a);
    out.push(new AmiMessage(['Event: Reload', 'Privilege: system,all', 'Module: All', 'Status: 0']));
  }
  return out;
}

type Scenario = 'no-scopes' | 'unscoped' | 'scoped-100' | 'scoped-same';

function run(kind: Scenario, events: AmiMessage[]): { ns: number; delivered: number; withheld: number } {
  const scopes = new TenantScopes(kind === 'no-scopes' ? { users: {} } : config());
  const fanout = new Fanout();
  fanout.scopeGate = scopes;
  let delivered = 0;
  for (let i = 0; i < 100; i++) {
    const user = kind === 'unscoped' || kind === 'no-scopes' ? 'admin' : kind === 'scoped-100' ? tname(i) : tname(7);
    const sink: EventSink = {
      id: i + 1, receivingEvents: true, readMask: 0x7fffffff, sendMask: 0x7fffffff, servers: undefined, serverHeader: false,
      scopeId: scopes.scopeOf(user)?.id, passesFilters: () => true, deliverEvent: () => { delivered++; },
    };
    fanout.add(sink);
  }
  const t0 = process.hrtime.bigint();
  for (const e of events) fanout.publish(e, 'pbx1', undefined);
  const ns = Number(process.hrtime.bigint() - t0) / events.length;
  return { ns, delivered, withheld: fanout.stats.scopeWithheld };
}

function main(): void {
  const events = stream(arg('--events', 200_000));
  const rounds = arg('--rounds', 5);
  const kinds: Scenario[] = ['no-scopes', 'unscoped', 'scoped-100', 'scoped-same'];
  const res = new Map<Scenario, Array<ReturnType<typeof run>>>();
  for (const k of kinds) run(k, events.slice(0, 20_000)); // warm-up
  for (let r = 0; r < rounds; r++) for (const k of kinds) (res.get(k) ?? res.set(k, []).get(k)!).push(run(k, events));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(res.get('no-scopes')!.map((x) => x.ns));
  console.log(`events: ${events.length} (100 tenants' calls + nobody's, 13 per call), 100 sessions, median of ${rounds} rounds`);
  console.log('');
  console.log('| scenario | ns per event | events/s | deliveries per event | withheld per event | extra ns per event vs no-scopes |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const k of kinds) {
    const rs = res.get(k)!;
    const ns = median(rs.map((x) => x.ns));
    const r0 = rs[0]!;
    console.log(`| ${k} | ${ns.toFixed(0)} | ${Math.round(1e9 / ns).toLocaleString('en-US')} | ${(r0.delivered / events.length).toFixed(2)} | ${(r0.withheld / events.length).toFixed(2)} | ${k === 'no-scopes' ? '—' : (ns - base).toFixed(0)} |`);
  }
}

main();
