// Latency samples and their summary. Bounded: past `cap` samples, reservoir
// sampling keeps a uniform subset, so a long run cannot exhaust memory.

export class Samples {
  private readonly data: Float64Array;
  private n = 0;
  count = 0;
  max = 0;

  constructor(cap = 1 << 20) { this.data = new Float64Array(cap); }

  add(v: number): void {
    this.count++;
    if (v > this.max) this.max = v;
    if (this.n < this.data.length) { this.data[this.n++] = v; return; }
    const j = Math.floor(Math.random() * this.count);
    if (j < this.data.length) this.data[j] = v;
  }

  summary(): LatencySummary {
    const s = this.data.slice(0, this.n).sort();
    const q = (p: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]!);
    return { count: this.count, p50: q(0.5), p99: q(0.99), max: this.max };
  }
}

export interface LatencySummary { count: number; p50: number; p99: number; max: number }

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
