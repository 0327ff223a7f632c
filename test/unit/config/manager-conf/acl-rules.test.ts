import t from 'tap';
import fc from 'fast-check';
import {
  asteriskAllows, parseAclValue, splitAcl, splitAllows, type AclRule,
} from '../../../../src/config/manager-conf/acl-rules.js';

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
  t.equal(p.rules[0]!.net, 0x0a010000n, 'the address is masked as apply_netmask() does');
  t.equal(p.rules[1]!.mask, 0xffffffffn, 'no mask: a host rule');
});

t.test("parseAclValue: '!' inverts the sense", async (t) => {
  const p = parseAclValue('deny', '!10.0.0.0/8,172.16.0.0/12', 1);
  t.same(p.rules.map((r) => [r.sense, r.text]), [['permit', '10.0.0.0/8'], ['deny', '172.16.0.0/12']]);
});

t.test('parseAclValue: an invalid entry drops it and the rest of the line', async (t) => {
  const p = parseAclValue('permit', '10.0.0.1,host.example,10.0.0.2', 3);
  t.same(p.rules.map((r) => r.text), ['10.0.0.1']);
  t.match(p.problems, [/host\.example.*not an IP address.*1 entry after it/]);
  for (const bad of ['10.0.0.0/33', '10.0.0.0/x', '10.0.0.0/ffff::', '10.0.0.0/255.0.0', '10.1', '::1/129', 'fe80::1%eth0']) {
    t.equal(parseAclValue('deny', bad, 1).rules.length, 0, `${bad} is rejected`);
  }
  t.match(parseAclValue('deny', '10.0.0.0/8, 10.1.0.0/16', 1).problems, [/blanks around/]);
});

t.test('splitAcl: the usual deny-then-permit order is kept as is', async (t) => {
  const r = rules(['deny', '0.0.0.0/0.0.0.0'], ['permit', '127.0.0.1/255.255.255.0'], ['permit', '10.0.0.0/8']);
  const s = splitAcl(r);
  t.same(s.dropped, []);
  t.same(s.permit.map((x) => x.text), ['127.0.0.1/255.255.255.0', '10.0.0.0/8']);
  t.same(s.deny.map((x) => x.text), ['0.0.0.0/0.0.0.0']);
  for (const a of ['127.0.0.5', '10.9.9.9', '192.168.1.1', '::1']) t.equal(splitAllows(s, a), asteriskAllows(r, a), a);
});

t.test('splitAcl: a permit overridden by a later deny is dropped (fails closed)', async (t) => {
  const r = rules(['permit', '10.0.0.0/8'], ['deny', '0.0.0.0/0']);
  const s = splitAcl(r);
  t.same(s.dropped.map((d) => [d.permit.text, d.deny.text]), [['10.0.0.0/8', '0.0.0.0/0']]);
  t.notOk(asteriskAllows(r, '10.1.1.1'), 'Asterisk: last match wins, so the deny');
  t.notOk(splitAllows(s, '10.1.1.1'));
  t.ok(splitAllows(s, '::1'), 'IPv4 rules do not touch IPv6 peers');
});

t.test('splitAcl: a later permit that covers the overlap keeps the earlier one', async (t) => {
  const r = rules(['deny', '0.0.0.0/0'], ['permit', '10.0.0.0/8'], ['deny', '10.1.0.0/16'], ['permit', '10.1.2.0/24'], ['permit', '10.1.0.0/16']);
  const s = splitAcl(r);
  t.same(s.dropped, [], 'the 10.1/16 permit at the end re-admits what the deny took');
  for (const a of ['10.1.2.3', '10.1.3.3', '10.2.0.1', '11.0.0.1']) t.equal(splitAllows(s, a), asteriskAllows(r, a), a);
});

t.test('splitAcl: IPv4 rules and IPv4-mapped peers, IPv6 rules and IPv6 peers', async (t) => {
  const r = rules(['deny', '::/0'], ['permit', '2001:db8::/32'], ['deny', '0.0.0.0/0']);
  const s = splitAcl(r);
  t.same(s.dropped, []);
  for (const a of ['2001:db8::5', '2001:db9::5', '10.0.0.1', '::ffff:10.0.0.1']) t.equal(splitAllows(s, a), asteriskAllows(r, a), a);
  t.throws(() => asteriskAllows(r, 'nope'));
  t.throws(() => splitAllows(s, 'nope'));
});

// Property: for any ordered rule list, the split never admits an address
// Asterisk refuses, and matches Asterisk exactly when nothing was dropped.
const octet = fc.integer({ min: 0, max: 15 });
const ruleArb = fc.record({
  sense: fc.constantFrom<'permit' | 'deny'>('permit', 'deny'),
  addr: octet,
  bits: fc.constantFrom(0, 28, 29, 30, 31, 32),
  bang: fc.boolean(),
  mask: fc.constantFrom('cidr', 'dotted', 'odd'),
});
const dotted = (bits: number) => {
  const m = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join('.');
};

t.test('property: the split fails closed and is exact when nothing is dropped', async (t) => {
  fc.assert(fc.property(fc.array(ruleArb, { maxLength: 7 }), (specs) => {
    const list = specs.flatMap((s, i) => {
      const mask = s.mask === 'cidr' ? String(s.bits) : s.mask === 'dotted' ? dotted(s.bits) : '255.255.255.5';
      return parseAclValue(s.sense, `${s.bang ? '!' : ''}10.0.0.${s.addr}/${mask}`, i + 1).rules;
    });
    const split = splitAcl(list);
    for (let a = 0; a < 16; a++) {
      const addr = `10.0.0.${a}`;
      const ast = asteriskAllows(list, addr);
      const ami = splitAllows(split, addr);
      if (ami && !ast) return false;
      if (split.dropped.length === 0 && ami !== ast) return false;
    }
    return splitAllows(split, '::1') === asteriskAllows(list, '::1');
  }), { numRuns: 2000 });
  t.pass('2000 random rule lists');
});
