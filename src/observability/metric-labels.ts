// The one rule for label values that are not config names: a value outside
// its fixed set becomes `other`, so no client or upstream can grow a label set.

export const OTHER = 'other';

export function bounded<T extends string>(value: string, allowed: readonly T[]): T | typeof OTHER {
  return (allowed as readonly string[]).includes(value) ? value as T : OTHER;
}
