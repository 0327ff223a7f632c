// manager.conf `permit=` / `deny=` values as main/acl.c ast_append_ha() reads
// them, and how an ordered rule list is written in amigate's config.
//
// Asterisk (ast_apply_ha, S11): start at ALLOW, walk the rules in file order,
// the LAST matching rule wins. IPv4 rules never match IPv6 peers and IPv6
// rules never match IPv4 (or IPv4-mapped) peers.
// amigate walks its `deny` list, then its `permit` list, the same way
// (policy/acl.ts, which parses and matches every entry here too). So:
//
//   deny  0.0.0.0/0           all denies before all permits (the usual idiom):
//   permit 10.0.0.0/8    ->   deny: [0.0.0.0/0]  permit: [10.0.0.0/8]
//
//   permit 10.0.0.0/8         a deny after a permit it overlaps: one ordered
//   deny   10.1.0.0/16   ->   list, each deny written as a `!` permit entry:
//                             permit: [10.0.0.0/8, "!10.1.0.0/16"]
//
// Both are the same walk as Asterisk's, rule for rule, so the import is exact.

import { Acl, parseAclEntry, type AclRule as PolicyRule } from '../../policy/acl.js';

export type Sense = 'permit' | 'deny';

export interface AclRule {
  /** What the rule does once a leading '!' is applied. */
  sense: Sense;
  /** The rule as amigate gets it: address and mask, without '!' or brackets, an IPv4-mapped address as IPv4. */
  text: string;
  family: 4 | 6;
  /** The rule as policy/acl.ts matches it. */
  rule: PolicyRule;
  line: number;
}

export interface AclParse {
  rules: AclRule[];
  problems: string[];
  /** Entries Asterisk takes but amigate cannot match (a non-contiguous netmask such as 255.0.0.255). */
  unsupported: string[];
}

/**
 * One `permit = ...` or `deny = ...` value: a comma list of addr[/mask];
 * a leading '!' inverts the sense. At the first invalid entry Asterisk logs
 * and drops it and everything after it on that line.
 */
export function parseAclValue(sense: Sense, value: string, line: number): AclParse {
  const out: AclParse = { rules: [], problems: [], unsupported: [] };
  const items = value.split(',');
  for (let i = 0; i < items.length; i++) {
    const raw = items[i]!;
    const item = raw.trim();
    if (item !== raw) out.problems.push(`"${raw}": blanks around a comma-separated entry; Asterisk may reject the entry, amigate reads it trimmed`);
    const parsed = parseAclEntry(item, sense);
    if (!parsed.ok && /not contiguous/.test(parsed.error)) {
      // ast_append_ha() masks bitwise and takes it; dropping it could let more in.
      out.unsupported.push(`${sense} ${item}`);
      continue;
    }
    if (!parsed.ok) {
      const rest = items.length - i - 1;
      const why = parsed.error.replace(/^"[^"]*": /, '');
      out.problems.push(`${sense} "${item}": ${why}; Asterisk ignores it${rest > 0 ? ` and the ${rest} entr${rest === 1 ? 'y' : 'ies'} after it` : ''}, and so does this import`);
      break;
    }
    const r = parsed.rule;
    out.rules.push({ sense: r.sense, text: r.canonical, family: r.family === 'ipv4' ? 4 : 6, rule: r, line });
  }
  return out;
}

export interface AclLists {
  deny: string[];
  permit: string[];
  /** True when the rules had to be written as one ordered permit list (a deny follows a permit). */
  ordered: boolean;
}

/**
 * amigate's deny/permit lists for an ordered rule list, equivalent for every
 * address. Two plain lists when no deny follows a permit it overlaps;
 * otherwise everything goes into `permit`, in order, with `!` on the denies.
 */
export function aclLists(rules: readonly AclRule[]): AclLists {
  // Two lists differ from the walk only for an address that a permit matches
  // and a LATER deny matches too; prefixes overlap only when one contains the other.
  const ordered = rules.some((d, j) => d.sense === 'deny' && rules.slice(0, j).some((p) => p.sense === 'permit' && overlaps(p.rule, d.rule)));
  if (ordered) return { deny: [], permit: rules.map((r) => (r.sense === 'deny' ? `!${r.text}` : r.text)), ordered };
  return {
    deny: rules.filter((r) => r.sense === 'deny').map((r) => r.text),
    permit: rules.filter((r) => r.sense === 'permit').map((r) => r.text),
    ordered,
  };
}

function overlaps(a: PolicyRule, b: PolicyRule): boolean {
  return a.family === b.family && a.addr.match(b.addr, Math.min(a.bits, b.bits));
}

/** Asterisk's verdict for one address: the rules walked in file order, last match wins. */
export function asteriskAllows(rules: readonly AclRule[], address: string): boolean {
  return new Acl(rules.map((r) => r.rule)).allows(address);
}
