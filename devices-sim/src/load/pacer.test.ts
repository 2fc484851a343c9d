import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RealTime } from '../clock';
import { dueBy, runPaced } from './pacer';

const fakeTime: RealTime = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

describe('load pacer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('issues exactly rate × duration messages, in per-tick batches', async () => {
    const batches: number[] = [];
    const done = runPaced({ rate: 1_000, durationMs: 5_000, tickMs: 10, time: fakeTime, issue: (n) => batches.push(n) });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await done).toBe(5_000);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(5_000);
    expect(Math.max(...batches)).toBeLessThanOrEqual(10);
  });

  it('catches up after a stalled event loop instead of drifting', async () => {
    let total = 0;
    let stalled = false;
    const done = runPaced({
      rate: 400,
      durationMs: 3_000,
      tickMs: 10,
      time: fakeTime,
      issue: (n) => {
        total += n;
        // One tick that blocks for 700 ms, like a long GC pause.
        if (!stalled && Date.now() > 1_000) {
          stalled = true;
          vi.setSystemTime(Date.now() + 700);
        }
      },
    });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await done).toBe(1_200);
    expect(total).toBe(1_200);
  });

  it('counts a fractional rate without rounding up', () => {
    expect(dueBy(1_000, 2.5, 10_000)).toBe(2);
    expect(dueBy(12_000, 2.5, 10_000)).toBe(25);
  });
});
