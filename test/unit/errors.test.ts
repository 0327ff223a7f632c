// The error catalogue is closed and documented (style.md rule 4, after fastify's
// test/internals/errors.test.js): every AmigateError subclass has a unique stable
// code, its name is its class name, and docs/errors.md has exactly one
// `## AMIGATE_ERR_…` section per code: none missing, none stale.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as errors from '../../src/errors.js';
import { AmigateError } from '../../src/errors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const CODE = /^AMIGATE_ERR_[A-Z_]+$/;

type Ctor = new (...args: unknown[]) => AmigateError;
const subclasses: Array<[string, Ctor]> = Object.entries(errors as Record<string, unknown>)
  .filter(([, v]) => typeof v === 'function' && v !== AmigateError && (v as Ctor).prototype instanceof AmigateError)
  .map(([k, v]) => [k, v as Ctor]);

/** Constructors differ; try the usual shapes. Returns undefined if none fits. */
function instantiate(C: Ctor): AmigateError | undefined {
  for (const args of [['a test message'], ['a test file', []], [], ['a test message', {}]]) {
    try {
      const e = new C(...args);
      if (e instanceof AmigateError) return e;
    } catch { /* next shape */ }
  }
  return undefined;
}

/** The AMIGATE_ERR_* literals in a class's source: the one it passes to super(). */
function codesInSource(C: Ctor): string[] {
  return [...C.toString().matchAll(/AMIGATE_ERR_[A-Z_]+/g)].map((m) => m[0]);
}

const catalogue = new Map<string, string>(); // code -> class name
for (const [name, C] of subclasses) {
  const e = instantiate(C);
  const code = e?.code ?? codesInSource(C)[0];
  if (code !== undefined) catalogue.set(code, catalogue.has(code) ? `${catalogue.get(code)} and ${name}` : name);
}

t.test('the base class', async (t) => {
  const e = new AmigateError('AMIGATE_ERR_X', 'msg', { cause: 'why' });
  t.equal(e.code, 'AMIGATE_ERR_X');
  t.equal(e.name, 'AmigateError');
  t.equal(e.message, 'msg');
  t.equal(e.cause, 'why');
  t.ok(e instanceof Error);
});

t.test('every exported AmigateError subclass', async (t) => {
  t.ok(subclasses.length >= 10, `${subclasses.length} subclasses`);
  const seen = new Map<string, string>();
  for (const [name, C] of subclasses) {
    t.test(name, async (t) => {
      t.equal(C.name, name, 'exported under its class name');
      const literals = codesInSource(C);
      t.equal(literals.length, 1, `one code literal in the class (${literals.join(', ')})`);
      const e = instantiate(C);
      if (e === undefined) {
        t.comment(`${name}: constructor needs arguments this test cannot guess; checked from source only`);
      } else {
        t.equal(e.name, name, 'name equals the class name');
        t.equal(e.code, literals[0], 'code is the literal passed to super()');
        t.ok(e instanceof Error && e instanceof AmigateError);
        t.type(e.message, 'string');
      }
      const code = e?.code ?? literals[0] ?? '';
      t.match(code, CODE, 'code matches ^AMIGATE_ERR_[A-Z_]+$');
      t.notOk(seen.has(code), `code ${code} is unique${seen.has(code) ? ' (also ' + seen.get(code) + ')' : ''}`);
      seen.set(code, name);
    });
  }
});

t.test('every AMIGATE_ERR_* string in src/errors.ts belongs to a class', async (t) => {
  const src = readFileSync(join(root, 'src/errors.ts'), 'utf8');
  const inFile = new Set([...src.matchAll(/'(AMIGATE_ERR_[A-Z_]+)'/g)].map((m) => m[1]!));
  t.same([...inFile].filter((c) => !catalogue.has(c)).sort(), [], 'no code without an exported subclass');
});

t.test('docs/errors.md documents every code, once, and nothing else', async (t) => {
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const headings = [...doc.matchAll(/^## (\S+)\s*$/gm)].map((m) => m[1]!);
  const documented = new Set(headings);
  t.same(headings.filter((h, i) => headings.indexOf(h) !== i), [], 'no code documented twice');
  t.same([...catalogue.keys()].filter((c) => !documented.has(c)).sort(), [], 'every code has a `## CODE` section');
  t.same(headings.filter((h) => !catalogue.has(h)).sort(), [], 'no stale or misspelled section');
  for (const h of headings) {
    const body = doc.slice(doc.indexOf(`## ${h}`) + h.length + 3).split(/^## /m)[0]!.trim();
    t.ok(body.length > 40, `${h} has a description`);
    t.match(body, new RegExp(`\\b${catalogue.get(h)?.split(' ')[0] ?? 'x'}\\b`), `${h} names its class`);
  }
});
