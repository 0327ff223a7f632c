// The bench's output: Markdown lines printed as they come and kept for the
// results file, plus the small number helpers every scenario uses.

export const out: string[] = [];

export function print(line = ''): void {
  console.log(line);
  out.push(line);
}

export function ratio(x: number, base: number): string {
  return Number.isFinite(x) && Number.isFinite(base) && base > 0 ? (x / base).toFixed(2) : '-';
}

/** Median of the finite values (mean of the two middle ones for an even count); NaN when none. */
export function median(xs: readonly number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `met` / `missed` for a goal. */
export function verdict(ok: boolean): string {
  return ok ? 'met' : '**missed**';
}
