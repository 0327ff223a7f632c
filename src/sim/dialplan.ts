// The captured Asterisk's dialplan, kept as the extensions.conf lines that
// GetConfig returned in capture 10 (one source for both GetConfig and the
// call model). Matching follows pbx.c: exact extensions before patterns;
// `_X.` is one digit followed by one or more characters.

/** extensions.conf [test], exactly as captured. */
export const TEST_CONTEXT_LINES: readonly string[] = [
  'exten=100,1,Answer()',
  'same=n,Set(TESTVAR=hello)',
  'same=n,UserEvent(TestEvent,Foo: bar)',
  'same=n,Wait(2)',
  'same=n,Hangup()',
  'exten=200,1,Answer()',
  'same=n,Set(TESTVAR=longcall)',
  'same=n,UserEvent(TestEvent,Foo: long)',
  'same=n,Wait(15)',
  'same=n,Hangup()',
  'exten=300,1,Answer()',
  'same=n,Set(TESTVAR=queuecaller)',
  'same=n,Queue(testq,r,,,12)',
  'same=n,Hangup()',
  'exten=600,1,Ringing()',
  'same=n,Wait(30)',
  'same=n,Hangup()',
  'exten=_X.,1,Answer()',
  'same=n,Set(TESTVAR=generic)',
  'same=n,UserEvent(TestEvent,Foo: bar)',
  'same=n,Wait(2)',
  'same=n,Hangup()',
  'exten=s,1,Answer()',
  'same=n,Set(TESTVAR=s)',
  'same=n,UserEvent(TestEvent,Foo: bar)',
  'same=n,Wait(2)',
  'same=n,Hangup()',
];

export interface DialplanStep { readonly app: string; readonly data: string }

type Context = Map<string, DialplanStep[]>;

function parse(lines: readonly string[]): Context {
  const ctx: Context = new Map();
  let current: DialplanStep[] | undefined;
  for (const line of lines) {
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    const rest = line.slice(eq + 1);
    const parts = rest.split(',');
    const appText = key === 'exten' ? parts.slice(2).join(',') : parts.slice(1).join(',');
    if (key === 'exten') {
      current = [];
      ctx.set(parts[0]!, current);
    }
    const open = appText.indexOf('(');
    const step = open < 0 ? { app: appText, data: '' } : { app: appText.slice(0, open), data: appText.slice(open + 1, appText.lastIndexOf(')')) };
    current!.push(step);
  }
  return ctx;
}

/**
 * Two hosted-PBX tenants on one Asterisk (docs/tenants.md, issue 15): each has
 * an internal context like [test]'s generic extension, and acme dials out
 * through the shared trunk (`Dial(PJSIP/trunk)` creates the trunk leg in the
 * caller's call, as app_dial does). Not part of GetConfig's extensions.conf.
 */
export const TENANT_CONTEXT_LINES: Readonly<Record<string, readonly string[]>> = {
  'acme-internal': ['exten=_X.,1,Answer()', 'same=n,Set(TESTVAR=acme)', 'same=n,UserEvent(TestEvent,Foo: acme)', 'same=n,Wait(2)', 'same=n,Hangup()'],
  'acme-queues': ['exten=_X.,1,Answer()', 'same=n,Wait(2)', 'same=n,Hangup()'],
  'acme-outbound': ['exten=_X.,1,Dial(PJSIP/trunk,30)', 'same=n,Hangup()'],
  'globex-internal': ['exten=_X.,1,Answer()', 'same=n,Set(TESTVAR=globex)', 'same=n,UserEvent(TestEvent,Foo: globex)', 'same=n,Wait(2)', 'same=n,Hangup()'],
};

const CONTEXTS = new Map<string, Context>([
  ['test', parse(TEST_CONTEXT_LINES)],
  ...Object.entries(TENANT_CONTEXT_LINES).map(([name, lines]) => [name, parse(lines)] as [string, Context]),
]);

/** The extension's steps (priority n is index n - 1), or undefined when the context or extension does not exist. */
export function findExtension(context: string, exten: string): readonly DialplanStep[] | undefined {
  const ctx = CONTEXTS.get(context);
  if (ctx === undefined) return undefined;
  const exact = ctx.get(exten);
  if (exact !== undefined) return exact;
  for (const [pattern, steps] of ctx) {
    if (pattern.startsWith('_') && matchesPattern(pattern.slice(1), exten)) return steps;
  }
  return undefined;
}

/** ast_exists_extension() for a priority. */
export function extensionExists(context: string, exten: string, priority = 1): boolean {
  const steps = findExtension(context, exten);
  return steps !== undefined && priority >= 1 && priority <= steps.length;
}

/** pbx.c pattern letters: X Z N, [...] sets, '.' (one or more), '!' (zero or more). */
function matchesPattern(pattern: string, exten: string): boolean {
  let e = 0;
  for (let p = 0; p < pattern.length; p++) {
    const c = pattern[p]!;
    if (c === '.') return e < exten.length;
    if (c === '!') return true;
    if (e >= exten.length) return false;
    const x = exten[e]!;
    if (c === 'X' || c === 'x') { if (x < '0' || x > '9') return false; }
    else if (c === 'Z' || c === 'z') { if (x < '1' || x > '9') return false; }
    else if (c === 'N' || c === 'n') { if (x < '2' || x > '9') return false; }
    else if (c === '[') {
      const end = pattern.indexOf(']', p);
      if (end < 0) return false;
      if (!inSet(pattern.slice(p + 1, end), x)) return false;
      p = end;
    } else if (c !== x) return false;
    e++;
  }
  return e === exten.length;
}

function inSet(set: string, ch: string): boolean {
  for (let i = 0; i < set.length; i++) {
    if (set[i + 1] === '-' && i + 2 < set.length) {
      if (ch >= set[i]! && ch <= set[i + 2]!) return true;
      i += 2;
    } else if (set[i] === ch) return true;
  }
  return false;
}
