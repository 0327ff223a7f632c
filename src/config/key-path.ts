// Key paths of the config file: the `listeners[0].tls.certfile` form every
// message names, its inverse, JSON Pointers (ajv's instancePath) and whether
// two paths overlap. Pure functions; load.ts and its helpers use them.

export type Path = ReadonlyArray<string | number>;

/** ajv's instancePath (`/listeners/0/tls`) -> ['listeners', 0, 'tls']. */
export function parsePointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => {
    const t = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^(0|[1-9][0-9]*)$/.test(t) ? Number(t) : t;
  });
}

/** `listeners[0].tls.certfile`; the root is `(root)`. */
export function keyPath(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : (out ? '.' : '') + p;
  return out || '(root)';
}

/** `listeners[1].tls.certfile` -> ['listeners', 1, 'tls', 'certfile'] (the inverse of keyPath()). */
export function parseKeyPath(key: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of key.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

/** One key path is the other or inside it. */
export function related(a: string, b: string): boolean {
  const inside = (x: string, y: string) => x === y || x.startsWith(y + '.') || x.startsWith(y + '[') || y === '(root)';
  return inside(a, b) || inside(b, a);
}
