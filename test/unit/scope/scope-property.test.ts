// Property: over random event sequences (calls of two tenants and of nobody,
// trunk legs, Local pairs, unknown channels, hangups in any order, junk), no
// event fan-out delivers to a scoped user names a channel, unique id or
// linked id of a call that tenant does not own (ground truth from the
// generator, not from the tracker).

import t from 'tap';
import fc from 'fast-check';
import { Fanout, type EventSink } from '../../../src/fanout/fanout.js';
import { TenantScopes } from '../../../src/scope/tenant-scopes.js';
import { AmiMessage } from '../../../src/protocol/message.js';
import { chan, event, msg, users } from './helpers.js';

type Owner = 'acme' | 'globex' | 'none';
interface Leg { name: string; uid: string; linkedid: string; context: string; owner: Owner }

const legArb = fc.record({
  owner: fc.constantFrom<Owner>('acme', 'globex', 'none'),
  kind: fc.constantFrom('pjsip', 'local', 'account'),
  extraLegs: fc.integer({ min: 0, max: 2 }),
});
const stepArb = fc.oneof(
  fc.record({ op: fc.constant('new' as const), call: legArb }),
  fc.record({ op: fc.constant('event' as const), pick: fc.nat(), two: fc.boolean() }),
  fc.record({ op: fc.constant('hangup' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('stray' as const), n: fc.nat(50) }),
  fc.record({ op: fc.constant('junk' as const), n: fc.nat(50) }),
);

t.test('no delivered event names a channel the receiving tenant does not own', async (t) => {
  fc.assert(fc.property(fc.array(stepArb, { maxLength: 120 }), (steps) => {
    const scopes = new TenantScopes(users());
    const fanout = new Fanout();
    fanout.scopeGate = scopes;
    const got = new Map<string, string[]>();
    const sink = (id: number, user: string): EventSink => {
      got.set(user, []);
      return {
        id, receivingEvents: true, readMask: 0x7fffffff, sendMask: 0x7fffffff, servers: undefined, serverHeader: false,
        scopeId: scopes.scopeOf(user)?.id, passesFilters: () => true, deliverEvent: (b) => got.get(user)!.push(b.toString('latin1')),
      };
    };
    fanout.add(sink(1, 'acme-crm'));
    fanout.add(sink(2, 'globex-crm'));
    fanout.add(sink(3, 'admin'));
    const legs: Leg[] = [];
    const truth = new Map<string, Owner>(); // any channel name / uid / linkedid -> owner
    let n = 0;
    let published = 0;
    const pub = (m: AmiMessage) => { fanout.publish(m, 'pbx1', undefined); published++; };
    for (const s of steps) {
      if (s.op === 'new') {
        const id = `${++n}.0`;
        const ctx = s.call.owner === 'none' ? 'public' : `${s.call.owner}-internal`;
        const name = s.call.kind === 'local' ? `Local/1@${ctx}-${n};1` : s.call.kind === 'pjsip' ? `PJSIP/${s.call.owner}-${n}` : `SIP/any-${n}`;
        const first: Leg = { name, uid: id, linkedid: id, context: s.call.kind === 'account' ? 'public' : ctx, owner: s.call.owner };
        const account = s.call.kind === 'account' && s.call.owner !== 'none' ? s.call.owner : '';
        const all = [first];
        for (let i = 1; i <= s.call.extraLegs; i++) all.push({ name: `PJSIP/trunk-${n}-${i}`, uid: `${n}.${i}`, linkedid: id, context: 'from-trunk', owner: s.call.owner });
        for (const l of all) {
          legs.push(l);
          for (const k of [l.name, l.uid, l.linkedid]) truth.set(k.toLowerCase(), l.owner);
          pub(event('Newchannel', chan(l.name, l.uid, l.linkedid, l.context, l === first ? account : '')));
        }
      } else if (s.op === 'event' && legs.length > 0) {
        const a = legs[s.pick % legs.length]!;
        const b = legs[(s.pick + 1) % legs.length]!;
        pub(s.two ? event('DialBegin', chan(a.name, a.uid, a.linkedid, a.context), chan(b.name, b.uid, b.linkedid, b.context, '', 'Dest'))
          : event('Newstate', chan(a.name, a.uid, a.linkedid, a.context)));
      } else if (s.op === 'hangup' && legs.length > 0) {
        const [a] = legs.splice(s.pick % legs.length, 1);
        pub(event('Hangup', chan(a!.name, a!.uid, a!.linkedid, a!.context)));
      } else if (s.op === 'stray') {
        // A channel nobody announced, with a name that matches no scope.
        truth.set(`pjsip/stray-${s.n}`, 'none'); truth.set(`s.${s.n}`, 'none');
        pub(msg([['Event', 'Hold'], ['Privilege', 'call,all'], ['Channel', `PJSIP/stray-${s.n}`], ['Uniqueid', `s.${s.n}`]]));
      } else if (s.op === 'junk') {
        pub(msg([['Event', 'Reload'], ['Privilege', 'system,all'], ['Module', String(s.n)]]));
      }
    }
    for (const [user, owner] of [['acme-crm', 'acme'], ['globex-crm', 'globex']] as const) {
      for (const wire of got.get(user)!) {
        for (const line of wire.split('\r\n')) {
          const m = /^([A-Za-z]*(?:Channel|Uniqueid|Linkedid)):\s*(.*)$/.exec(line);
          if (!m) continue;
          const who = truth.get(m[2]!.toLowerCase());
          if (who !== owner) throw new Error(`${user} got ${m[1]}: ${m[2]} (owner ${who})\n${wire}`);
        }
      }
    }
    if (got.get('admin')!.length !== published) throw new Error('the unscoped admin must see every event');
  }), { numRuns: 300, seed: 15 });
  t.pass('300 random sequences');
});
