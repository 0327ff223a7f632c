// manager.conf `permit=` / `deny=` values as main/acl.c ast_append_ha() reads
// them, and the check that an ordered rule list survives being split into
// amigate's separate `deny` and `permit` lists.
//
// Asterisk (ast_apply_ha, S11): start at ALLOW, walk the rules in file order,
// the LAST matching rule wins. IPv4 rules never match IPv6 peers and IPv6
// rules never match IPv4 (or IPv4-mapped) peers.
// amigate: an address is refused iff it matches some deny and no permit,
// which is Asterisk's walk over "all denies, then all permits".
// The two differ only where a permit is followed by an overlapping deny that
// no still-later permit undoes: Asterisk refuses those addresses, amigate
// would let them in. splitAcl() leaves such permits out (fails closed).

import ipaddr from 'ipaddr.js';

export type Sense = 'permit' | 'deny';

export interface AclRule {
  sense: Sense;
  /** The rule as amigate gets it: the address and mask as written, without '!'. */
  text: string;
  family: 4 | 6;
  /** Network address, already masked as apply_netmask() does. */
  net: bigint;
  mask: bigint;
  line: number;
}

export interface AclParse {
  rules: AclRule[];
  problems: string[];
}

/**
 * One `permit = ...` or `deny = ...` value: a comma list of addr[/mask];
 * a leading '!' inverts the sense. At the first invalid entry Asterisk logs
 * and drops it and everything after it on that line.
 */
export function parseAclValue(sense: Sense, value: string, line: number): AclParse {
  const out: AclParse = { rules: [], problems: [] };
  const items = value.split(',');
  for (let i = 0; i < items.length; i++) {
    const raw = items[i]!;
    const item = raw.trim();
    if (item !== raw) out.problems.push(`"${raw}": blanks around a comma-separated entry; Asterisk may reject the entry, amigate reads it trimmed`);
    const rule = parseItem(sense, item, line);
    if (typeof rule === 'string') {
      const rest = items.length - i - 1;
      out.problems.push(`${sense} "${item}": ${rule}; Asterisk ignores it${rest > 0 ? ` and the ${rest} entr${rest === 1 ? 'y' : 'ies'} after it` : ''}, and so does this import`);
      break;
    }
    out.rules.push(rule);
  }
  return out;
}

function parseItem(sense: Sense, item: string, line: number): AclRule | string {
  const slash = item.indexOf('/');
  let addrText = slash < 0 ? item : item.slice(0, slash);
  const maskText = slash < 0 ? undefined : item.slice(slash + 1);
  let effective = sense;
  if (addrText.startsWith('!')) {
    effective = sense === 'permit' ? 'deny' : 'permit';
    addrText = addrText.slice(1);
  }
  const addr = parseAddress(addrText);
  if (!addr) return 'not an IP address';
  let mask: bigint;
  let shownMask = maskText;
  const width = addr.family === 4 ? 32 : 128;
  if (maskText === undefined) {
    mask = (1n << BigInt(width)) - 1n;
  } else if (maskText.includes('.') || maskText.includes(':')) {
    const m = parseAddress(maskText);
    if (!m) return 'invalid netmask';
    if (m.family !== addr.family) return 'address and netmask are of different families';
    mask = m.value;
    if (m.family === 4 && maskText.includes(':')) shownMask = m.text;
  } else if (/^[0-9]+$/.test(maskText) && Number(maskText) <= width) {
    const bits = Number(maskText);
    mask = bits === 0 ? 0n : (((1n << BigInt(bits)) - 1n) << BigInt(width - bits));
  } else {
    return 'invalid CIDR netmask';
  }
  const text = shownMask === undefined ? addr.text : `${addr.text}/${shownMask}`;
  return { sense: effective, text, family: addr.family, net: addr.value & mask, mask, line };
}

/** ast_sockaddr_parse() with PARSE_PORT_FORBID; an IPv4-mapped IPv6 address becomes IPv4. */
function parseAddress(s: string): { family: 4 | 6; value: bigint; text: string } | undefined {
  const bare = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) {
    return { family: 4, value: bytesToBig(ipaddr.IPv4.parse(bare).toByteArray()), text: bare };
  }
  if (!ipaddr.IPv6.isValid(bare) || bare.includes('%')) return undefined;
  const v6 = ipaddr.IPv6.parse(bare);
  if (v6.isIPv4MappedAddress()) {
    const v4 = v6.toIPv4Address();
    return { family: 4, value: bytesToBig(v4.toByteArray()), text: v4.toString() };
  }
  return { family: 6, value: bytesToBig(v6.toByteArray()), text: bare };
}

function bytesToBig(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Some address matches both rules (any masks, not only prefixes). */
function overlaps(a: AclRule, b: AclRule): boolean {
  return a.family === b.family && ((a.net ^ b.net) & a.mask & b.mask) === 0n;
}

/** Rule q matches every address that matches both a and b. */
function coversIntersection(q: AclRule, a: AclRule, b: AclRule): boolean {
  if (q.family !== a.family) return false;
  const mask = a.mask | b.mask;
  const net = a.net | b.net;
  return (q.mask & ~mask) === 0n && (net & q.mask) === q.net;
}

export interface AclSplit {
  permit: AclRule[];
  deny: AclRule[];
  /** Permits left out, each with the later deny that overrides part of it. */
  dropped: Array<{ permit: AclRule; deny: AclRule }>;
}

/**
 * Split an ordered rule list into amigate's deny and permit lists. A permit
 * that a later deny overrides (for some address no still-later permit covers)
 * is dropped, so amigate never admits an address Asterisk refuses:
 *
 *   permit 10.0.0.0/8       Asterisk: 10.1.x.x refused (last match: deny)
 *   deny   10.1.0.0/16      split as-is: 10.1.x.x admitted (a permit matches)
 *                           so the permit is dropped and reported.
 */
export function splitAcl(rules: readonly AclRule[]): AclSplit {
  const dropped: AclSplit['dropped'] = [];
  const droppedSet = new Set<AclRule>();
  for (let j = 0; j < rules.length; j++) {
    const d = rules[j]!;
    if (d.sense !== 'deny') continue;
    for (let i = 0; i < j; i++) {
      const p = rules[i]!;
      if (p.sense !== 'permit' || droppedSet.has(p) || !overlaps(p, d)) continue;
      const undone = rules.slice(j + 1).some((q) => q.sense === 'permit' && coversIntersection(q, p, d));
      if (!undone) {
        droppedSet.add(p);
        dropped.push({ permit: p, deny: d });
      }
    }
  }
  return {
    permit: rules.filter((r) => r.sense === 'permit' && !droppedSet.has(r)),
    deny: rules.filter((r) => r.sense === 'deny'),
    dropped,
  };
}

/** Asterisk's verdict for one address (tests and docs use it to show the split is safe). */
export function asteriskAllows(rules: readonly AclRule[], address: string): boolean {
  const a = parseAddress(address);
  if (!a) throw new TypeError(`not an address: ${address}`);
  let allow = true;
  for (const r of rules) if (r.family === a.family && (a.value & r.mask) === r.net) allow = r.sense === 'permit';
  return allow;
}

/** amigate's verdict on a split: refused iff some deny matches and no permit does. */
export function splitAllows(split: Pick<AclSplit, 'permit' | 'deny'>, address: string): boolean {
  const a = parseAddress(address);
  if (!a) throw new TypeError(`not an address: ${address}`);
  const hit = (r: AclRule) => r.family === a.family && (a.value & r.mask) === r.net;
  return split.permit.some(hit) || !split.deny.some(hit);
}
