// Slots for connections that have not logged in yet, proxy-wide and per source
// address. Asterisk's authlimit (S1/S7) caps the first; amigate adds
// general.authlimitperip, so one address cannot hold every slot and lock every
// other client out before the banner. A slot is taken when the TCP connection
// is accepted (before a TLS handshake, which could otherwise be used to open
// many connections past the count) and released once: at login, or when the
// connection closes, whichever comes first. Addresses are grouped as the
// login lockout groups them (auth/address-key.ts: IPv6 per /64).

import { addressKey } from '../auth/address-key.js';

export interface PreAuthLimits {
  /** Unauthenticated connections at once, proxy-wide (general.authlimit). */
  readonly authlimit: number;
  /** ... from one source address (general.authlimitperip). */
  readonly authlimitperip: number;
}

export type PreAuthRefusal = 'authlimit' | 'authlimitperip';

export interface PreAuthSlot {
  /** Give the slot back; later calls do nothing. */
  release(): void;
}

export class PreAuthSlots {
  private total = 0;
  private readonly perAddress = new Map<string, number>();

  /** `limits` is read at every take(), so a reload's new limits apply at once. */
  constructor(private readonly limits: () => PreAuthLimits) {}

  /** A slot for a new connection from `ip`, or why there is none (the per-address limit is named first). */
  take(ip: string): PreAuthSlot | PreAuthRefusal {
    const key = addressKey(ip);
    const mine = this.perAddress.get(key) ?? 0;
    const l = this.limits();
    if (mine >= l.authlimitperip) return 'authlimitperip';
    if (this.total >= l.authlimit) return 'authlimit';
    this.total++;
    this.perAddress.set(key, mine + 1);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.total--;
        const n = (this.perAddress.get(key) ?? 1) - 1;
        if (n <= 0) this.perAddress.delete(key); else this.perAddress.set(key, n);
      },
    };
  }

  /** Slots taken now, in all and from `ip`'s address group (for stats and tests). */
  get size(): number { return this.total; }
  heldBy(ip: string): number { return this.perAddress.get(addressKey(ip)) ?? 0; }
}
