import t from 'tap';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_SCHEMA, DEFAULTS } from '../../../src/config/schema.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
type S = Record<string, unknown>;

/** Every option's key path (`listeners[].tls.certfile`, `users.<name>.read`) with its schema. */
function walk(schema: S, path: string, out: Array<[string, S]>): void {
  const props = schema['properties'] as Record<string, S> | undefined;
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      const p = path ? `${path}.${k}` : k;
      out.push([p, v]);
      walk(v, p, out);
    }
  }
  if (schema['type'] === 'array' && schema['items'] && (schema['items'] as S)['properties']) walk(schema['items'] as S, `${path}[]`, out);
  const ap = schema['additionalProperties'];
  if (ap && typeof ap === 'object') {
    out.push([`${path}.<name>`, ap as S]);
    walk(ap as S, `${path}.<name>`, out);
  }
}

const keys: Array<[string, S]> = [];
walk(CONFIG_SCHEMA, '', keys);

t.test('every option has a description', async (t) => {
  t.ok(keys.length > 60, `${keys.length} options`);
  for (const [p, s] of keys) t.ok(typeof s['description'] === 'string' && (s['description'] as string).length > 5, p);
});

t.test('schema defaults come from DEFAULTS', async (t) => {
  const general = (CONFIG_SCHEMA['properties'] as Record<string, S>)['general']!['properties'] as Record<string, S>;
  for (const [k, v] of Object.entries(DEFAULTS.general)) {
    if (typeof v !== 'object') t.equal(general[k]!['default'], v, `general.${k}`);
  }
});

t.test('docs/config.md documents every key, and nothing that is not a key', async (t) => {
  const doc = await readFile(resolve(root, 'docs/config.md'), 'utf8');
  for (const [p] of keys) t.ok(doc.includes('`' + p + '`'), `docs/config.md mentions \`${p}\``);
  const known = new Set(keys.map(([p]) => p));
  const documented = [...doc.matchAll(/^\| `([a-z][^`]*)` \|/gm)].map((m) => m[1]!);
  t.ok(documented.length >= keys.length - 5);
  for (const d of documented) t.ok(known.has(d), `documented key ${d} exists`);
});
