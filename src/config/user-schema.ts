// The `users:` section: one proxy user per key, with its classes, ACL, event
// filters, action/command/originate rules, certificate binding and tenant
// scope. Its types, its defaults and its JSON Schema fragment (schema.ts
// assembles the whole file's schema; users.ts checks and resolves it after).

import { bool, int, obj, secretRef, str, strList, strOrList, type Schema } from './schema-helpers.js';

/** Event filter as written in users.*.eventfilter (S20): legacy "[!]regex" or the advanced form. */
export type FilterSpec = string | { readonly matchcriteria: string; readonly filter: string };

export interface CertificateBinding {
  /** Exact subject as `CN=crm,O=Example` (attribute order as in the certificate). */
  readonly subject?: string;
  /** SHA-256 fingerprint, upper-case `AB:CD:...`. */
  readonly fingerprint256?: string;
}

/** users.<name>.scope: tenant scoping (docs/tenants.md). Patterns use `*` and `?`. */
export interface ScopeConfig {
  /** Channel name patterns (case-insensitive, as Asterisk compares channel names). @default [] */
  readonly channels: readonly string[];
  /** Dialplan context patterns (case-sensitive). @default [] */
  readonly contexts: readonly string[];
  /** Account code patterns (case-sensitive); the first literal one is forced on Originate. @default [] */
  readonly accountcodes: readonly string[];
  /** Queue name patterns (case-insensitive). @default [] */
  readonly queues: readonly string[];
  /** Device patterns: Device, Peer, Endpoint, Interface, Hint... (case-insensitive). @default [] */
  readonly devices: readonly string[];
  /** Events that name no channel, bridge, queue, device or context. @default 'deny' */
  readonly other: 'deny' | 'allow';
  /** Actions allowed although their output cannot be scoped (e.g. CoreStatus). @default [] */
  readonly unscopedactions: readonly string[];
}

/** One proxy user, resolved. Missing keys mean least privilege. */
export interface UserConfig {
  readonly name: string;
  /** A `$scrypt$...` hash or a plain secret (resolved from a literal, { env } or { file }); undefined = cannot log in. */
  readonly secret: string | undefined;
  /** manager.conf read= syntax, normalised to a comma list ('' = none). */
  readonly read: string;
  /** manager.conf write= syntax, normalised to a comma list ('' = none). */
  readonly write: string;
  /** ACL entries (`addr/mask` or CIDR, `!` negates), one per element. */
  readonly permit: readonly string[];
  readonly deny: readonly string[];
  readonly eventfilter: readonly FilterSpec[];
  readonly allowmultiplelogin: boolean;
  /** 0 = unlimited. */
  readonly maxsessions: number;
  /** ms, >= 100. */
  readonly writetimeout: number;
  readonly displayconnects: boolean;
  readonly actions: { readonly allow: readonly string[] | undefined; readonly deny: readonly string[] };
  readonly commands: { readonly allow: readonly string[] | undefined; readonly deny: readonly string[] };
  readonly originate: { readonly contexts: readonly string[] | undefined; readonly applications: readonly string[] | undefined };
  readonly certificate: CertificateBinding | undefined;
  /** Upstream names this user may reach; undefined = all. */
  readonly upstreams: readonly string[] | undefined;
  readonly serverheader: boolean;
  /** Write an `eventDelivered` audit record for every event delivered to this user's sessions. @default false */
  readonly logevents: boolean;
  /**
   * `deny`: without `system`, Originate/Setvar/Getvar/Status requests holding `${`, `$[` or a
   * system-only function call are refused (stricter than Asterisk); `allow`: Asterisk's own checks only. @default 'deny'
   */
  readonly expressions: 'allow' | 'deny';
  /** Tenant scope; undefined = unscoped (sees and acts on everything its classes allow). */
  readonly scope?: ScopeConfig | undefined;
}

export const USER_DEFAULTS = { maxsessions: 0, serverheader: false, logevents: false, expressions: 'deny' } as const;
export const SCOPE_DEFAULTS = { other: 'deny' } as const;

export const USERS_SCHEMA: Schema = {
  type: 'object', description: 'Proxy users, by name (names are case-insensitive, as in manager.conf).',
  default: {},
  propertyNames: { pattern: '^[!-~]{1,79}$' },
  additionalProperties: obj('One user ([name] section of manager.conf).', {
    secret: secretRef('A `$scrypt$...` hash from `amigate hash-secret` (plain Login only), or a plain secret (also allows MD5 Challenge login).'),
    read: strOrList('Read classes (read=), e.g. `system,call`; missing = none.'),
    write: strOrList('Write classes (write=), e.g. `call,originate`; missing = none.'),
    permit: strOrList('ACL permit entries (permit=): `addr/mask` or CIDR.'),
    deny: strOrList('ACL deny entries (deny=): `addr/mask` or CIDR; applied before the permit entries.'),
    eventfilter: {
      type: 'array', description: 'Event filters (eventfilter=): a string is the legacy "[!]regex" form, an object the advanced form.',
      items: {
        expect: 'a string or { matchcriteria, filter }',
        anyOf: [
          { type: 'string' },
          { type: 'object', additionalProperties: false, required: ['matchcriteria'], properties: { matchcriteria: { type: 'string' }, filter: { type: 'string' } } },
        ],
      },
    },
    allowmultiplelogin: bool('May this user have several sessions (allowmultiplelogin); default general.allowmultiplelogin.'),
    maxsessions: int('Maximum sessions of this user; 0 = unlimited.', 0, { default: USER_DEFAULTS.maxsessions }),
    writetimeout: int('ms this user may take to drain output (writetimeout); default general.writetimeout.', 100),
    displayconnects: bool('Log this user\'s connects (displayconnects); default general.displayconnects.'),
    actions: obj('Action allow and deny lists (case-insensitive names).', {
      allow: strList('When set, only these actions (plus Ping, Logoff, Events, WaitEvent, ListCommands, Challenge, Login).'),
      deny: strList('Never these actions.'),
    }),
    commands: obj('Regular expressions over the CLI text of Action: Command.', {
      allow: strList('When set, the command must match one of these.'),
      deny: strList('The command must match none of these.'),
    }),
    originate: obj('Where Originate may send calls.', {
      contexts: strList('Allowed Context values (and Local/...@context channels).'),
      applications: strList('Allowed Application values (case-insensitive).'),
    }),
    certificate: obj('Bind the user to a TLS client certificate (mTLS listener).', {
      subject: str('Exact subject, e.g. `CN=crm.example`.', { minLength: 1 }),
      fingerprint256: str('SHA-256 fingerprint `AB:CD:...`.', { pattern: '^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$' }),
    }, { minProperties: 1 }),
    upstreams: strList('Upstream names this user may reach; default all.'),
    serverheader: bool('Tag events with `Server: <upstream name>`.', { default: USER_DEFAULTS.serverheader }),
    logevents: bool('Audit every event delivered to this user\'s sessions (name, privilege, session; not the body).', { default: USER_DEFAULTS.logevents }),
    expressions: {
      enum: ['allow', 'deny'],
      description: 'deny: without system, refuse `${`, `$[` and system-only function calls in Originate, Setvar, Getvar and Status (stricter than Asterisk); allow: Asterisk\'s own checks only.',
      default: USER_DEFAULTS.expressions,
    },
    scope: obj('Tenant scope (docs/tenants.md): the user sees and acts on only its own channels, queues, devices and contexts.', {
      channels: { ...strList('Channel name patterns (`*`, `?`; case-insensitive): a channel whose name matches at creation makes its call the tenant\'s.'), default: [] },
      contexts: { ...strList('Dialplan context patterns (case-sensitive): a channel created in one makes its call the tenant\'s; Originate and transfers must target one.'), default: [] },
      accountcodes: { ...strList('Account code patterns (case-sensitive): a channel with one at creation makes its call the tenant\'s; the first literal is forced on Originate.'), default: [] },
      queues: { ...strList('Queue name patterns (case-insensitive).'), default: [] },
      devices: { ...strList('Device patterns (case-insensitive) for DeviceStateChange, ExtensionStatus, peer and endpoint events.'), default: [] },
      other: { enum: ['deny', 'allow'], description: 'Events that name no channel, bridge, queue, device or context (Reload, Registry, ...).', default: SCOPE_DEFAULTS.other },
      unscopedactions: { ...strList('Actions allowed although their output cannot be scoped (Command, CoreStatus, ...); default none.'), default: [] },
    }),
  }),
};
