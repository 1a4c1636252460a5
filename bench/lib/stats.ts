/** Small statistics helpers for latency samples. */

/** A growable array of numbers without per-sample allocation. */
export class Samples {
  private data = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  /** Percentiles (0-100) of the samples, nearest-rank; NaN when empty. */
  percentiles(ps: number[]): number[] {
    if (this.length === 0) return ps.map(() => NaN);
    const sorted = this.data.slice(0, this.length).sort();
    return ps.map((p) => sorted[Math.min(this.length - 1, Math.max(0, Math.ceil((p / 100) * this.length) - 1))]!);
  }

  max(): number {
    let m = -Infinity;
    for (let i = 0; i < this.length; i++) if (this.data[i]! > m) m = this.data[i]!;
    return this.length ? m : NaN;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
