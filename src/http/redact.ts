// Secrets out of logged URLs and form bodies: a Login's `secret=` and an MD5
// login's `key=` may arrive in a GET query, and a request target or form body
// may be logged (audit record, access log). Names are compared after
// decoding and in any case, so `SECRET=`, `Secret=` and `s%65cret=` are caught.

import { decodeComponent } from './params.js';

/** The replacement text, as the logger's censor writes it. */
export const REDACTED = '[REDACTED]';

const SENSITIVE = new Set(['secret', 'key']);

/** `a=1&secret=x` -> `a=1&secret=[REDACTED]`; other pieces unchanged, byte for byte. */
export function redactForm(text: string): string {
  if (text.length === 0) return text;
  let changed = false;
  const pieces = text.split('&').map((piece) => {
    const eq = piece.indexOf('=');
    const name = decodeComponent(eq < 0 ? piece : piece.slice(0, eq)).trim().toLowerCase();
    if (!SENSITIVE.has(name)) return piece;
    changed = true;
    return (eq < 0 ? piece : piece.slice(0, eq)) + '=' + REDACTED;
  });
  return changed ? pieces.join('&') : text;
}

/** A request target with the query redacted (the path is kept). */
export function redactTarget(target: string): string {
  const q = target.indexOf('?');
  if (q < 0) return target;
  const hash = target.indexOf('#', q);
  const query = hash < 0 ? target.slice(q + 1) : target.slice(q + 1, hash);
  return target.slice(0, q + 1) + redactForm(query) + (hash < 0 ? '' : target.slice(hash));
}
