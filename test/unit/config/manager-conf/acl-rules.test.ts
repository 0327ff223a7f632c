import t from 'tap';
import fc from 'fast-check';
import {
  aclLists, asteriskAllows, parseAclValue, type AclRule,
} from '../../../../src/config/manager-conf/acl-rules.js';
import { Acl } from '../../../../src/policy/acl.js';

const rules = (...specs: Array<[('permit' | 'deny'), string]>): AclRule[] =>
  specs.flatMap(([sense, value], i) => parseAclValue(sense, value, i + 1).rules);

t.test('parseAclValue: forms ast_append_ha() accepts', async (t) => {
  const p = parseAclValue('permit', '10.1.2.3/255.255.0.0,192.168.1.5,10.0.0.0/8,::1,2001:db8::/32,[fe80::1],::ffff:10.9.9.9/255.255.255.0', 7);
  t.same(p.problems, []);
  t.same(p.rules.map((r) => [r.sense, r.text, r.family, r.line]), [
    ['permit', '10.1.2.3/255.255.0.0', 4, 7],
    ['permit', '192.168.1.5', 4, 7],
    ['permit', '10.0.0.0/8', 4, 7],
    ['permit', '::1', 6, 7],
    ['permit', '2001:db8::/32', 6, 7],
    ['permit', 'fe80::1', 6, 7],
    ['permit', '10.9.9.9/255.255.255.0', 4, 7],
  ]);
  t.equal(p.rules[0]!.rule.bits, 16, 'a dotted mask becomes its prefix length');
  t.equal(p.rules[1]!.rule.bits, 32, 'no mask: a host rule');
  t.equal(p.rules[6]!.rule.addr.kind(), 'ipv4', 'an IPv4-mapped address is made IPv4 (ast_append_ha)');
});

t.test("parseAclValue: '!' inverts the sense", async (t) => {
  const p = parseAclValue('deny', '!10.0.0.0/8,172.16.0.0/12', 1);
  t.same(p.rules.map((r) => [r.sense, r.text]), [['permit', '10.0.0.0/8'], ['deny', '172.16.0.0/12']]);
});

t.test('parseAclValue: an invalid entry drops it and the rest of the line', async (t) => {
  const p = parseAclValue('permit', '10.0.0.1,host.example,10.0.0.2', 3);
  t.same(p.rules.map((r) => r.text), ['10.0.0.1']);
  t.match(p.problems, [/host\.example.*not an IPv4 or IPv6 address.*1 entry after it/]);
  for (const bad of ['10.0.0.0/33', '10.0.0.0/x', '10.0.0.0/ffff::', '10.0.0.0/255.0.0', '10.1', '::1/129', 'fe80::1%eth0']) {
    t.equal(parseAclValue('deny', bad, 1).rules.length, 0, `${bad} is rejected`);
  }
  t.match(parseAclValue('deny', '10.0.0.0/8, 10.1.0.0/16', 1).problems, [/blanks around/]);
});

// amigate's verdict for lists as the loader compiles them (deny list, then permit list).
const amigateAllows = (l: { deny: string[]; permit: string[] }, a: string) => Acl.compile(l.deny, l.permit).allows(a);

t.test('aclLists: the usual deny-then-permit order is kept as two lists', async (t) => {
  const r = rules(['deny', '0.0.0.0/0.0.0.0'], ['permit', '127.0.0.1/255.255.255.0'], ['permit', '10.0.0.0/8']);
  const l = aclLists(r);
  t.same(l, { deny: ['0.0.0.0/0.0.0.0'], permit: ['127.0.0.1/255.255.255.0', '10.0.0.0/8'], ordered: false });
  for (const a of ['127.0.0.5', '10.9.9.9', '192.168.1.1', '::1']) t.equal(amigateAllows(l, a), asteriskAllows(r, a), a);
});

t.test('aclLists: a deny after a permit becomes one ordered permit list with "!" (exact, nothing dropped)', async (t) => {
  const r = rules(['permit', '10.0.0.0/8'], ['deny', '0.0.0.0/0']);
  const l = aclLists(r);
  t.same(l, { deny: [], permit: ['10.0.0.0/8', '!0.0.0.0/0'], ordered: true });
  t.notOk(asteriskAllows(r, '10.1.1.1'), 'Asterisk: last match wins, so the deny');
  t.notOk(amigateAllows(l, '10.1.1.1'));
  t.ok(amigateAllows(l, '::1'), 'IPv4 rules do not touch IPv6 peers');
  const mixed = rules(['deny', '0.0.0.0/0'], ['permit', '10.0.0.0/8'], ['deny', '10.1.0.0/16,!10.1.2.0/24']);
  const m = aclLists(mixed);
  t.same(m.permit, ['!0.0.0.0/0', '10.0.0.0/8', '!10.1.0.0/16', '10.1.2.0/24'], 'a "!" deny entry is a permit and keeps its place');
  for (const a of ['10.1.2.3', '10.1.3.3', '10.9.9.9', '11.0.0.1']) t.equal(amigateAllows(m, a), asteriskAllows(mixed, a), a);
  t.ok(amigateAllows(m, '10.9.9.9'), 'the address the old split refused is admitted, as in Asterisk');
});

t.test('parseAclValue: a non-contiguous netmask is flagged, not dropped as invalid', async (t) => {
  const p = parseAclValue('deny', '10.0.0.1/255.0.0.255,10.0.0.2', 4);
  t.same(p.unsupported, ['deny 10.0.0.1/255.0.0.255']);
  t.same(p.rules.map((r) => r.text), ['10.0.0.2'], 'the rest of the line is kept: Asterisk took the entry');
});

// Property: for any ordered rule list, amigate's lists decide every address as
// Asterisk does. The oracle is written independently: ast_apply_ha() on 32-bit
// integers (addr & mask == net & mask, last match wins).
const octet = fc.integer({ min: 0, max: 15 });
const ruleArb = fc.record({
  sense: fc.constantFrom<'permit' | 'deny'>('permit', 'deny'),
  addr: octet,
  bits: fc.constantFrom(0, 28, 29, 30, 31, 32),
  bang: fc.boolean(),
  mask: fc.constantFrom('cidr', 'dotted', 'mapped'),
});
const maskOf = (bits: number) => (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);
const dotted = (bits: number) => [24, 16, 8, 0].map((s) => (maskOf(bits) >>> s) & 255).join('.');

t.test('property: the lists are exact for every address (independent bitwise oracle)', async (t) => {
  fc.assert(fc.property(fc.array(ruleArb, { maxLength: 7 }), (specs) => {
    const list = specs.flatMap((s, i) => {
      const host = s.mask === 'mapped' ? `::ffff:10.0.0.${s.addr}` : `10.0.0.${s.addr}`;
      const mask = s.mask === 'dotted' ? dotted(s.bits) : String(s.bits);
      return parseAclValue(s.sense, `${s.bang ? '!' : ''}${host}/${mask}`, i + 1).rules;
    });
    if (list.length !== specs.length) return false;
    const lists = aclLists(list);
    const ours = Acl.compile(lists.deny, lists.permit);
    const walk = new Acl(list.map((r) => r.rule));
    for (let a = 0; a < 16; a++) {
      let want = true;
      for (const s of specs) {
        const m = maskOf(s.bits);
        const net = ((10 << 24) | s.addr) >>> 0;
        const peer = ((10 << 24) | a) >>> 0;
        if (((peer & m) >>> 0) === ((net & m) >>> 0)) want = (s.sense === 'permit') !== s.bang;
      }
      for (const addr of [`10.0.0.${a}`, `::ffff:10.0.0.${a}`]) {
        if (ours.allows(addr) !== want || walk.allows(addr) !== want) return false;
      }
    }
    return ours.allows('::1');
  }), { numRuns: 2000 });
  t.pass('2000 random rule lists');
});
