// Validation of the parsed file against CONFIG_SCHEMA (ajv, defaults filled in
// place) and the translation of ajv's errors into config problems: one message
// per failed key in the project's own words, an anyOf reported once, each with
// its line and key path.

import { Ajv, type ErrorObject } from 'ajv';
import type { ConfigProblem } from '../errors.js';
import { CONFIG_SCHEMA } from './schema.js';
import { keyPath, parsePointer, type Path } from './key-path.js';
import type { Json } from './section-context.js';

let validator: ReturnType<Ajv['compile']> | undefined;

/** Validate (and fill in defaults); ajv's errors, none when valid. */
export function validate(data: unknown): ErrorObject[] {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true, allowUnionTypes: true });
    // Annotation only: the wording used when an anyOf fails (see schemaProblems()).
    ajv.addKeyword('expect');
    validator = ajv.compile(CONFIG_SCHEMA);
  }
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

export function schemaProblems(errors: ErrorObject[], file: string, lineOf: (path: Path, keyOf?: string) => number | undefined): ConfigProblem[] {
  // An anyOf that failed reports once, in its own words; its branches' errors are noise.
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath + '/');
  const out: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (anyOfs.some((prefix) => e.schemaPath.startsWith(prefix))) continue;
    if (e.propertyName !== undefined && e.keyword !== 'propertyNames') continue;
    const path = parsePointer(e.instancePath);
    let keyOf: string | undefined;
    let message: string;
    switch (e.keyword) {
      case 'additionalProperties':
        keyOf = String(e.params['additionalProperty']);
        message = `unknown key (allowed: ${Object.keys((e.parentSchema as Json)?.['properties'] as Json ?? {}).join(', ')})`;
        break;
      case 'required':
        keyOf = String(e.params['missingProperty']);
        message = 'is required';
        break;
      case 'propertyNames':
        keyOf = String(e.params['propertyName']);
        message = 'user names are 1 to 79 printable ASCII characters without blanks';
        break;
      case 'anyOf':
        message = `must be ${String((e.parentSchema as Json)['expect'] ?? 'of another type')}`;
        break;
      case 'enum':
        message = `must be one of: ${(e.params['allowedValues'] as unknown[]).join(', ')}`;
        break;
      case 'minItems':
        message = `must have at least ${String(e.params['limit'])} entr${e.params['limit'] === 1 ? 'y' : 'ies'}`;
        break;
      default:
        message = e.message ?? e.keyword;
    }
    const p: ConfigProblem = { file, line: lineOf(path, keyOf), key: keyPath(keyOf === undefined ? path : [...path, keyOf]), message };
    const id = `${p.key}\0${p.message}`;
    if (!seen.has(id)) { seen.add(id); out.push(p); }
  }
  return out;
}
