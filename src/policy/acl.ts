// Per-user permit/deny address lists with Asterisk's semantics (S11), from
// main/acl.c ast_append_ha() and ast_apply_ha():
//
//   rules:  deny 0.0.0.0/0.0.0.0   permit 10.0.0.0/255.0.0.0   permit 192.168.1.0/24
//   sense:  ALLOW ──deny matches──▶ DENY ──permit matches──▶ ALLOW      (last match wins)
//
// The YAML keeps permit and deny as two lists: deny entries are applied first,
// then permit entries, each list in its order, which is exactly the usual
// manager.conf idiom `deny=0.0.0.0/0.0.0.0` + `permit=...`. Any other
// manager.conf order is written as one ordered `permit:` list with `!` entries
// for the denies (the importer does this), which this walk reproduces exactly.
// Pure: addresses are parsed and matched with ipaddr.js (`match(addr, bits)`),
// nothing touches the network. The importer (config/manager-conf/acl-rules.ts)
// uses these same rules, so there is one matcher.

import ipaddr from 'ipaddr.js';

export type AclSense = 'permit' | 'deny';

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

export interface AclRule {
  readonly sense: AclSense;
  readonly family: 'ipv4' | 'ipv6';
  /** The rule's address (an IPv4-mapped one already made IPv4) and prefix length: ipaddr.js `match(addr, bits)`. */
  readonly addr: Ip;
  readonly bits: number;
  /** The entry as written, for logs and docs. */
  readonly text: string;
  /** The entry in plain form, without `!` or brackets, an IPv4-mapped address as IPv4 (`10.0.0.1/8`). */
  readonly canonical: string;
}

export type AclParse = { ok: true; rule: AclRule } | { ok: false; error: string };

/**
 * One entry: `addr`, `addr/dotted-mask`, `addr/bits`, IPv6 `addr/bits`,
 * `[v6addr]`; a leading `!` inverts the sense, as in ast_append_ha(). An
 * IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is made IPv4, as
 * ast_append_ha() does, and its prefix length then counts IPv4 bits.
 * Netmasks must be contiguous (a prefix): ipaddr.js matches prefixes only, and
 * Asterisk's rarely used bitwise masks such as 255.0.0.255 are refused.
 */
export function parseAclEntry(entry: string, sense: AclSense): AclParse {
  let text = entry.trim();
  let s = sense;
  if (text.startsWith('!')) {
    s = sense === 'permit' ? 'deny' : 'permit';
    text = text.slice(1).trim();
  }
  if (text.length === 0) return { ok: false, error: `empty ${sense} entry` };
  const slash = text.indexOf('/');
  let addrText = slash < 0 ? text : text.slice(0, slash);
  const maskText = slash < 0 ? undefined : text.slice(slash + 1);
  if (addrText.startsWith('[') && addrText.endsWith(']')) addrText = addrText.slice(1, -1);
  const addr = parseIp(addrText);
  if (!addr) return { ok: false, error: `${JSON.stringify(entry)}: ${JSON.stringify(addrText)} is not an IPv4 or IPv6 address` };
  const family = addr.kind();
  const width = family === 'ipv4' ? 32 : 128;
  const fam = family === 'ipv4' ? 'IPv4' : 'IPv6';
  let bits: number;
  let shownMask = maskText;
  if (maskText === undefined) {
    bits = width;
  } else if (/^[0-9]{1,3}$/.test(maskText)) {
    bits = Number(maskText);
    if (bits > width) return { ok: false, error: `${JSON.stringify(entry)}: prefix length ${bits} is too long for ${fam}${isMapped(addrText) ? ' (an IPv4-mapped address is IPv4 here, as in Asterisk)' : ''}` };
  } else {
    const m = parseIp(maskText);
    if (!m || m.kind() !== family) return { ok: false, error: `${JSON.stringify(entry)}: ${JSON.stringify(maskText)} is not an ${fam} netmask or prefix length` };
    const prefix = m.prefixLengthFromSubnetMask();
    if (prefix === null) return { ok: false, error: `${JSON.stringify(entry)}: netmask ${maskText} is not contiguous; write a prefix length (amigate matches network prefixes only)` };
    bits = prefix;
    if (isMapped(maskText)) shownMask = m.toString();
  }
  const canonical = shownMask === undefined ? addr.toString() : `${addr.toString()}/${shownMask}`;
  return { ok: true, rule: { sense: s, family, addr, bits, text: entry.trim(), canonical } };
}

/** A compiled list; allows() is ast_apply_ha() for one address. */
export class Acl {
  readonly rules: readonly AclRule[];

  /** Rules in the order they apply (last match wins). */
  constructor(rules: readonly AclRule[]) {
    this.rules = rules;
  }

  /** Deny entries first, then permit entries (see the header comment). Throws on a bad entry; the loader reports those first. */
  static compile(deny: readonly string[], permit: readonly string[]): Acl {
    const rules: AclRule[] = [];
    for (const [sense, list] of [['deny', deny], ['permit', permit]] as const) {
      for (const entry of list) {
        const r = parseAclEntry(entry, sense);
        if (!r.ok) throw new TypeError(r.error);
        rules.push(r.rule);
      }
    }
    return new Acl(rules);
  }

  get size(): number { return this.rules.length; }

  /** True when `remote` (as a socket reports it, e.g. `::ffff:10.1.2.3`) may log in. Unparseable addresses are refused. */
  allows(remote: string): boolean {
    if (this.rules.length === 0) return true;
    // IPv4 rules apply to IPv4 and IPv4-mapped IPv6 addresses (parseIp() makes
    // those IPv4); IPv6 rules only to real IPv6 addresses (ast_apply_ha()).
    const ip = parseIp(remote);
    if (!ip) return false;
    let allow = true;
    for (const rule of this.rules) {
      if (rule.family === ip.kind() && ip.match(rule.addr, rule.bits)) allow = rule.sense === 'permit';
    }
    return allow;
  }
}

function isMapped(text: string): boolean {
  return text.includes(':') && ipaddr.IPv6.isValid(text) && ipaddr.IPv6.parse(text).isIPv4MappedAddress();
}

/**
 * Strict parse: dotted-quad IPv4 (no `10.1` shorthands) or IPv6 without a zone
 * id; an IPv4-mapped IPv6 address comes back as IPv4 (ast_append_ha() converts
 * rules so; allows() converts peers itself, after the parse).
 */
function parseIp(text: string): Ip | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(':') && !text.includes('%') && ipaddr.IPv6.isValid(text)) {
    const v6 = ipaddr.IPv6.parse(text);
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
  }
  return undefined;
}
