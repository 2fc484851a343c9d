/**
 * Latency recorder. Keeps every sample (8 bytes each: ten million acknowledgements fit in 80 MB) so percentiles are
 * exact rather than bucketed; a benchmark that compares two brokers should not argue about histogram resolution.
 */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export class LatencyRecorder {
  private samples = new Float64Array(1024);
  private n = 0;
  private sorted: Float64Array | null = null;
  private total = 0;

  get count(): number {
    return this.n;
  }

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.n === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.n++] = ms;
    this.total += ms;
    this.sorted = null;
  }

  /** Adds another recorder's samples (one recorder per connection, merged for the report). */
  merge(other: LatencyRecorder): void {
    for (let i = 0; i < other.n; i++) this.record(other.samples[i] ?? 0);
  }

  /** Nearest-rank percentile, p in [0, 100]; 0 when empty. */
  percentile(p: number): number {
    if (this.n === 0) return 0;
    const s = this.sortedSamples();
    const rank = Math.min(this.n, Math.max(1, Math.ceil((p / 100) * this.n)));
    return s[rank - 1] ?? 0;
  }

  summary(): LatencySummary {
    const round = (v: number): number => Math.round(v * 100) / 100;
    return {
      count: this.n,
      mean: round(this.n === 0 ? 0 : this.total / this.n),
      p50: round(this.percentile(50)),
      p90: round(this.percentile(90)),
      p99: round(this.percentile(99)),
      max: round(this.percentile(100)),
    };
  }

  reset(): void {
    this.n = 0;
    this.total = 0;
    this.sorted = null;
  }

  private sortedSamples(): Float64Array {
    this.sorted ??= this.samples.slice(0, this.n).sort();
    return this.sorted;
  }
}
