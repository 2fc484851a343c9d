import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from './stats';

describe('LatencyRecorder', () => {
  it('reports nearest-rank percentiles and the max of what was recorded', () => {
    const r = new LatencyRecorder();
    for (let i = 100; i >= 1; i--) r.record(i);
    expect(r.summary()).toEqual({ count: 100, mean: 50.5, p50: 50, p90: 90, p99: 99, max: 100 });
  });

  it('merges recorders and ignores non-finite samples', () => {
    const a = new LatencyRecorder();
    const b = new LatencyRecorder();
    for (let i = 0; i < 3000; i++) a.record(1);
    b.record(9);
    b.record(Number.NaN);
    a.merge(b);
    expect(a.count).toBe(3001);
    expect(a.percentile(100)).toBe(9);
    expect(new LatencyRecorder().summary().p99).toBe(0);
  });
});
