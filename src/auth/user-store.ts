// The proxy's users, compiled once from the frozen Config: class masks, ACL,
// action policy. Lookups only. Names are case-insensitive, as manager.c
// get_manager_by_name_locked() compares them with strcasecmp().
//
// A record never carries its secret as a property (a logged or serialised
// record cannot leak it): only its kind is visible; authenticator.ts reads the
// value through secretOf().

import type { Config, CertificateBinding, FilterSpec, UserConfig } from '../config/schema.js';
import { parsePermString } from '../protocol/privileges.js';
import { Acl } from '../policy/acl.js';
import { compileActionPolicy, type ActionPolicy, type PolicySubject } from '../policy/action-policy.js';
import { isSecretHash } from './secret-hash.js';

export type SecretKind = 'hash' | 'plain';

export interface UserRecord extends PolicySubject {
  /** As written in the config file. */
  readonly name: string;
  /** undefined: the user has no secret and can never log in. */
  readonly secret: { readonly kind: SecretKind } | undefined;
  /** Read class mask (read=), for event delivery (S17). */
  readonly read: number;
  /** Write class mask (write=), for actions (S12). */
  readonly write: number;
  readonly acl: Acl;
  readonly eventfilter: readonly FilterSpec[];
  readonly allowMultipleLogin: boolean;
  /** 0 = unlimited; allowMultipleLogin false means 1 whatever this says. */
  readonly maxSessions: number;
  readonly writeTimeoutMs: number;
  readonly displayConnects: boolean;
  readonly policy: ActionPolicy;
  /** mTLS binding; undefined = any (or no) client certificate. */
  readonly certificate: CertificateBinding | undefined;
  /** Upstream names; undefined = all. */
  readonly upstreams: readonly string[] | undefined;
  readonly serverHeader: boolean;
  /** users.<name>.logevents: audit each event delivered to this user's sessions. */
  readonly logEvents: boolean;
}

const secrets = new WeakMap<UserRecord, string>();

/** The secret of a record: a `$scrypt$` hash, or the plain secret as a byte string. For authenticator.ts and the HTTP Digest check (session/services/login.ts digestSecret()) only. */
export function secretOf(user: UserRecord): string | undefined {
  return secrets.get(user);
}

/** Compile one user. Throws (TypeError/SyntaxError) on input the loader would have refused. */
export function compileUser(u: UserConfig): UserRecord {
  const rec: UserRecord = Object.freeze({
    name: u.name,
    secret: u.secret === undefined ? undefined : Object.freeze({ kind: isSecretHash(u.secret) ? 'hash' as const : 'plain' as const }),
    read: parsePermString(u.read),
    write: parsePermString(u.write),
    acl: Acl.compile(u.deny, u.permit),
    eventfilter: u.eventfilter,
    allowMultipleLogin: u.allowmultiplelogin,
    maxSessions: u.maxsessions,
    writeTimeoutMs: u.writetimeout,
    displayConnects: u.displayconnects,
    policy: Object.freeze(compileActionPolicy(u)),
    certificate: u.certificate,
    upstreams: u.upstreams,
    serverHeader: u.serverheader,
    logEvents: u.logevents ?? false,
  });
  // Plain secrets are kept as the bytes a client sends (UTF-8, one char per
  // byte like every AMI line), so non-ASCII secrets compare and MD5 correctly.
  if (u.secret !== undefined) secrets.set(rec, isSecretHash(u.secret) ? u.secret : Buffer.from(u.secret, 'utf8').toString('latin1'));
  return rec;
}

export class UserStore {
  private readonly byName = new Map<string, UserRecord>();

  constructor(config: Pick<Config, 'users'>) {
    for (const u of Object.values(config.users)) this.byName.set(u.name.toLowerCase(), compileUser(u));
  }

  /** Case-insensitive lookup. */
  get(name: string): UserRecord | undefined {
    return this.byName.get(name.toLowerCase());
  }

  get size(): number { return this.byName.size; }

  [Symbol.iterator](): IterableIterator<UserRecord> { return this.byName.values(); }
}
