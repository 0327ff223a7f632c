// Small builders for the JSON Schema fragments of the config file (ajv): typed
// leaves with their description, closed objects, string lists, and a secret
// reference (literal, { env } or { file }). The per-section schema files use them.

export type Schema = Record<string, unknown>;

export const int = (description: string, min: number, extra: Schema = {}): Schema => ({ type: 'integer', minimum: min, description, ...extra });
export const bool = (description: string, extra: Schema = {}): Schema => ({ type: 'boolean', description, ...extra });
export const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
export const obj = (description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema =>
  ({ type: 'object', additionalProperties: false, description, properties, ...extra });
export const strList = (description: string): Schema => ({ type: 'array', items: { type: 'string' }, description });
export const strOrList = (description: string): Schema =>
  ({ expect: 'a string or a list of strings', description, anyOf: [{ type: 'string' }, { type: 'null' }, { type: 'array', items: { type: 'string' } }] });

/** A secret: a literal string, { env: NAME } or { file: path } (relative to the config file). */
export const secretRef = (description: string): Schema => ({
  expect: 'a string, { env: NAME } or { file: path }',
  description,
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'object', additionalProperties: false, required: ['env'], properties: { env: { type: 'string', minLength: 1 } } },
    { type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string', minLength: 1 } } },
  ],
});
