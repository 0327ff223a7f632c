// Certificate subjects as text, for `users.<name>.certificate.subject`.
//
// The listener turns a peer certificate's subject into `CN=crm,O=Example`, and
// a user's binding is compared with it. Without escaping, a CN of
// `crm,O=Example` printed exactly like CN=crm plus O=Example, so a certificate
// whose CN an attacker could choose matched another user's binding. Values are
// escaped as RFC 4514 section 2.4 says (`\,` `\+` `\"` `\\` `\<` `\>` `\;`, a
// leading `#` or space, a trailing space, NUL as `\00`), and the configured
// subject goes through the same normalisation before the two are compared, so
// `CN=crm\2CO=Example` and `cn=crm\,O=Example` both name that one CN.
//
//   peer subject { CN: 'crm,O=Example', O: 'Example' }
//     -> formatSubject -> CN=crm\,O=Example,O=Example
//   config "cn = crm\2cO=Example, O=Example"
//     -> normalizeSubject -> CN=crm\,O=Example,O=Example   (equal: bound)

import type { PeerCertificate } from 'node:tls';

/** RFC 4514 2.4: escape a value (one attribute's string). */
export function escapeRdnValue(value: string): string {
  let out = value.replace(/[\\"+,;<>]/g, (c) => '\\' + c).replace(/\0/g, '\\00');
  if (out.startsWith(' ') || out.startsWith('#')) out = '\\' + out;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = out.slice(0, -1) + '\\ ';
  return out;
}

/**
 * `CN=crm,O=Example` from Node's subject object (attribute types in the order
 * Node lists them; a type that occurs twice, such as two OUs, is an array and
 * prints as `OU=a,OU=b`). Undefined when there is no subject.
 */
export function formatSubject(subject: PeerCertificate['subject'] | undefined): string | undefined {
  if (!subject) return undefined;
  const parts: string[] = [];
  for (const [type, v] of Object.entries(subject)) {
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${type.toUpperCase()}=${escapeRdnValue(String(one))}`);
  }
  return parts.join(',');
}

/**
 * A subject as written in the config, in formatSubject()'s form: attribute
 * types upper-cased, blanks around `=`, `,` and `+` dropped (RFC 4514 allows
 * none, RFC 2253 readers often write them), escapes (`\,` or hex `\2C`)
 * decoded and re-escaped. Undefined when the text is not a valid subject.
 */
export function normalizeSubject(text: string): string | undefined {
  const rdns: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && text[i] === ' ') i++;
    const eq = text.indexOf('=', i);
    if (eq < 0) return undefined;
    const type = text.slice(i, eq).trim();
    if (!/^[A-Za-z][A-Za-z0-9-]*$|^[0-9]+(\.[0-9]+)*$/.test(type)) return undefined;
    i = eq + 1;
    while (i < n && text[i] === ' ') i++;
    let value = '';
    let trailing = 0; // unescaped blanks at the end, dropped
    for (; i < n; i++) {
      const c = text[i]!;
      if (c === '\\') {
        const hex = text.slice(i + 1, i + 3);
        if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
          // Hex pairs are UTF-8 bytes; collect a run of them.
          const bytes: number[] = [];
          while (text[i] === '\\' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
            bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
            i += 3;
          }
          i--;
          value += Buffer.from(bytes).toString('utf8');
        } else if (i + 1 < n) {
          value += text[++i];
        } else {
          return undefined;
        }
        trailing = 0;
      } else if (c === ',' || c === '+') {
        break;
      } else {
        value += c;
        trailing = c === ' ' ? trailing + 1 : 0;
      }
    }
    if (trailing > 0) value = value.slice(0, -trailing);
    rdns.push(`${type.toUpperCase()}=${escapeRdnValue(value)}`);
    if (i < n) i++; // the separator
  }
  return rdns.length > 0 ? rdns.join(',') : undefined;
}
