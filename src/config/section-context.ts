// What the loader lends the per-section checks (upstreams.ts, users.ts, ...):
// its problem and warning reporters (which add file and line), path resolution
// against the config file's folder, and secret resolution. Plus the two error
// texts every section uses.

import type { Path } from './key-path.js';

export type Json = Record<string, unknown>;

export interface SectionContext {
  problem(path: Path, message: string, keyOf?: string): void;
  warn(path: Path, message: string): void;
  /** A path from the file, absolute (relative ones resolve against the file's folder). */
  path(p: string): string;
  /** A literal, { env: NAME } or { file: path } -> the secret text; undefined after recording a problem. */
  secret(value: unknown, path: Path): Promise<string | undefined>;
}

/** `ENOENT` rather than Node's message, which repeats the path. */
export function fsErrText(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : errText(err);
}

export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
