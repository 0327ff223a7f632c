import t from 'tap';
import { Acl, parseAclEntry } from '../../../src/policy/acl.js';

t.test('no rules: everyone (Asterisk starts at ALLOW)', async (t) => {
  const acl = Acl.compile([], []);
  t.equal(acl.size, 0);
  t.ok(acl.allows('203.0.113.9'));
  t.ok(acl.allows('2001:db8::1'));
});

t.test('the manager.conf idiom: deny everything, permit a network (dotted mask and CIDR)', async (t) => {
  const acl = Acl.compile(['0.0.0.0/0.0.0.0'], ['10.0.0.0/255.0.0.0', '192.168.1.0/24']);
  t.ok(acl.allows('10.1.2.3'));
  t.ok(acl.allows('192.168.1.200'));
  t.notOk(acl.allows('192.168.2.1'));
  t.notOk(acl.allows('172.16.0.1'));
  t.ok(acl.allows('::ffff:10.1.2.3'), 'IPv4 rules match IPv4-mapped IPv6 addresses');
  t.notOk(acl.allows('::ffff:172.16.0.1'));
  t.ok(acl.allows('2001:db8::1'), 'IPv4 rules never match a real IPv6 address (so it stays allowed, as in Asterisk)');
});

t.test('IPv6 rules apply to IPv6 only', async (t) => {
  const acl = Acl.compile(['::/0', '0.0.0.0/0'], ['2001:db8:1::/48']);
  t.ok(acl.allows('2001:db8:1:2::5'));
  t.notOk(acl.allows('2001:db8:2::5'));
  t.notOk(acl.allows('10.0.0.1'));
  t.notOk(acl.allows('::ffff:10.0.0.1'), 'a mapped address is IPv4 for the rules: the IPv4 deny applies, the IPv6 ones do not');
  const only6 = Acl.compile(['::/0'], []);
  t.ok(only6.allows('::ffff:10.0.0.1'), 'IPv6 rules skip IPv4-mapped addresses (ast_apply_ha)');
  t.notOk(only6.allows('::1'));
});

t.test('last match wins, single hosts, negation', async (t) => {
  const acl = Acl.compile(['10.0.0.0/8'], ['10.0.0.5']);
  t.ok(acl.allows('10.0.0.5'), 'permit after deny wins');
  t.notOk(acl.allows('10.0.0.6'));
  const neg = Acl.compile(['0.0.0.0/0'], ['!10.0.0.5']);
  t.notOk(neg.allows('10.0.0.5'), '!entry inverts the sense: a permit line denying');
  t.notOk(neg.allows('10.0.0.6'));
  const r = parseAclEntry('!192.168.0.0/16', 'deny');
  t.ok(r.ok && r.rule.sense === 'permit');
});

t.test('host bits are masked off like ast_append_ha(); masks must be prefixes (ipaddr.js matching)', async (t) => {
  const acl = Acl.compile(['0.0.0.0/0'], ['10.1.2.3/255.255.0.0']);
  t.ok(acl.allows('10.1.99.99'));
  t.notOk(acl.allows('10.2.0.1'));
  const r = parseAclEntry('10.1.2.3/16', 'permit');
  t.ok(r.ok);
  if (r.ok) t.same([r.rule.addr.toString(), r.rule.bits, r.rule.canonical], ['10.1.2.3', 16, '10.1.2.3/16']);
  const d = parseAclEntry('10.1.2.3/255.255.0.0', 'permit');
  t.ok(d.ok && d.rule.bits === 16, 'a dotted mask is its prefix length');
  const odd = parseAclEntry('10.0.0.1/255.0.0.255', 'deny');
  t.match(odd, { ok: false, error: /not contiguous/ }, 'a non-contiguous mask is a config error, not a silent mismatch');
  const v6 = parseAclEntry('2001:db8::1/ffff:ffff::', 'deny');
  t.ok(v6.ok && v6.rule.bits === 32, 'an IPv6 mask in address form');
});

t.test('an IPv4-mapped IPv6 rule is an IPv4 rule (ast_append_ha converts it)', async (t) => {
  const acl = Acl.compile(['::ffff:10.0.0.1'], []);
  t.notOk(acl.allows('10.0.0.1'), 'matches the IPv4 peer');
  t.notOk(acl.allows('::ffff:10.0.0.1'), 'and the same peer on a dual-stack socket');
  t.ok(acl.allows('10.0.0.2'));
  const net = Acl.compile(['0.0.0.0/0'], ['::ffff:10.0.0.0/8', '[::ffff:192.168.0.0]/::ffff:255.255.0.0']);
  t.ok(net.allows('::ffff:10.9.9.9'), 'a mapped rule with an IPv4 prefix length');
  t.ok(net.allows('192.168.7.7'), 'a mapped rule with a mapped mask, in brackets');
  t.notOk(net.allows('172.16.0.1'));
  const r = parseAclEntry('::ffff:10.0.0.0/255.0.0.0', 'deny');
  t.ok(r.ok && r.rule.family === 'ipv4' && r.rule.canonical === '10.0.0.0/255.0.0.0');
  t.match(parseAclEntry('::ffff:10.0.0.0/104', 'deny'), { ok: false, error: /prefix length 104.*IPv4-mapped/ }, 'the prefix counts IPv4 bits, as in Asterisk');
});

t.test('an ordered permit list with "!" entries walks in its own order (the importer\'s exact form)', async (t) => {
  // manager.conf: permit=10.0.0.0/8, deny=10.1.0.0/16, permit=10.1.2.0/24, deny=0.0.0.0/0 ... in that order.
  const acl = Acl.compile([], ['0.0.0.0/0', '!10.0.0.0/8', '10.1.0.0/16', '!10.1.2.0/24']);
  t.ok(acl.allows('192.0.2.1'));
  t.notOk(acl.allows('10.9.9.9'));
  t.ok(acl.allows('10.1.9.9'));
  t.notOk(acl.allows('10.1.2.3'), 'the last matching entry wins');
});

t.test('unparseable client addresses are refused', async (t) => {
  const acl = Acl.compile(['0.0.0.0/0'], ['10.0.0.0/8']);
  t.notOk(acl.allows('not-an-ip'));
  t.notOk(acl.allows(''));
});

t.test('entry syntax errors', async (t) => {
  const bad = ['', '10.0.0', '10.0.0.256', '10.0.0.0/33', '10.0.0.0/ffff::', '2001:db8::/129', 'fe80::1%eth0', '10.0.0.0/255.0.0', 'host.example'];
  for (const e of bad) {
    const r = parseAclEntry(e, 'permit');
    t.notOk(r.ok, e);
  }
  t.throws(() => Acl.compile(['nope'], []), TypeError);
  const ok = ['10.0.0.0/8', '10.0.0.0/255.0.0.0', '::/0', '2001:db8::/32', '::1', ' 10.0.0.1 ', '0.0.0.0/0.0.0.0'];
  for (const e of ok) t.ok(parseAclEntry(e, 'deny').ok, e);
});
