// One source, one key: the address a per-source limit or count is kept under
// (the login lockout in login-throttle.ts, the pre-authentication slots in
// downstream/preauth-slots.ts). IPv4-mapped IPv6 addresses count as their IPv4
// address, and an IPv6 source counts as its /64, since one client usually
// holds a whole /64 and could otherwise step round any per-address limit.

import ipaddr from 'ipaddr.js';

/** `::ffff:10.1.2.3` -> `10.1.2.3`; IPv6 -> its /64; anything else as given. */
export function addressKey(ip: string): string {
  try {
    const a = ipaddr.parse(ip);
    if (a.kind() === 'ipv4') return a.toString();
    const v6 = a as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
    const p = v6.parts;
    return `${p.slice(0, 4).map((x) => x.toString(16)).join(':')}::/64`;
  } catch {
    return ip;
  }
}
