// Per-user permit/deny address lists with Asterisk's semantics (S11), from
// main/acl.c ast_append_ha() and ast_apply_ha():
//
//   rules:  deny 0.0.0.0/0.0.0.0   permit 10.0.0.0/255.0.0.0   permit 192.168.1.0/24
//   sense:  ALLOW ──deny matches──▶ DENY ──permit matches──▶ ALLOW      (last match wins)
//
// The YAML keeps permit and deny as two lists, so the order between them is
// lost; deny entries are applied first and permit entries after them, which is
// exactly the usual manager.conf idiom `deny=0.0.0.0/0.0.0.0` + `permit=...`.
// Pure: addresses are parsed with ipaddr.js, nothing touches the network.

import ipaddr from 'ipaddr.js';

export type AclSense = 'permit' | 'deny';

export interface AclRule {
  readonly sense: AclSense;
  readonly family: 'ipv4' | 'ipv6';
  /** Network bytes, already masked (ast_append_ha() stores addr & mask). */
  readonly addr: readonly number[];
  readonly mask: readonly number[];
  /** The entry as written, for logs and docs. */
  readonly text: string;
}

export type AclParse = { ok: true; rule: AclRule } | { ok: false; error: string };

/**
 * One entry: `addr`, `addr/dotted-mask`, `addr/bits`, IPv6 `addr/bits`; a
 * leading `!` inverts the sense, as in ast_append_ha().
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
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const maskText = slash < 0 ? undefined : text.slice(slash + 1);
  const addr = parseIp(addrText);
  if (!addr) return { ok: false, error: `${JSON.stringify(entry)}: ${JSON.stringify(addrText)} is not an IPv4 or IPv6 address` };
  const family = addr.kind();
  const width = family === 'ipv4' ? 4 : 16;
  let mask: number[];
  if (maskText === undefined) {
    mask = new Array<number>(width).fill(255);
  } else if (/^[0-9]{1,3}$/.test(maskText)) {
    const bits = Number(maskText);
    if (bits > width * 8) return { ok: false, error: `${JSON.stringify(entry)}: prefix length ${bits} is too long for ${family === 'ipv4' ? 'IPv4' : 'IPv6'}` };
    mask = prefixMask(bits, width);
  } else {
    const m = parseIp(maskText);
    if (!m || m.kind() !== family) return { ok: false, error: `${JSON.stringify(entry)}: ${JSON.stringify(maskText)} is not an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} netmask or prefix length` };
    mask = m.toByteArray();
  }
  const bytes = addr.toByteArray();
  return { ok: true, rule: { sense: s, family, addr: bytes.map((b, i) => b & mask[i]!), mask, text: entry.trim() } };
}

/** A compiled list; allows() is ast_apply_ha() for one address. */
export class Acl {
  readonly rules: readonly AclRule[];

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
    const ip = parseIp(remote);
    if (!ip) return false;
    // IPv4 rules apply to IPv4 and IPv4-mapped IPv6 addresses; IPv6 rules only
    // to real IPv6 addresses (ast_apply_ha()).
    let v4: number[] | undefined;
    let v6: number[] | undefined;
    if (ip.kind() === 'ipv4') v4 = ip.toByteArray();
    else if ((ip as ipaddr.IPv6).isIPv4MappedAddress()) v4 = (ip as ipaddr.IPv6).toIPv4Address().toByteArray();
    else v6 = ip.toByteArray();
    let allow = true;
    for (const rule of this.rules) {
      const bytes = rule.family === 'ipv4' ? v4 : v6;
      if (bytes && matches(bytes, rule)) allow = rule.sense === 'permit';
    }
    return allow;
  }
}

function matches(bytes: readonly number[], rule: AclRule): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i]! & rule.mask[i]!) !== rule.addr[i]) return false;
  }
  return true;
}

function prefixMask(bits: number, width: number): number[] {
  const out = new Array<number>(width).fill(0);
  for (let i = 0; i < width; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
  }
  return out;
}

/** Strict parse: dotted-quad IPv4 (no `10.1` shorthands) or IPv6 without a zone id. */
function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(':') && !text.includes('%') && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}
