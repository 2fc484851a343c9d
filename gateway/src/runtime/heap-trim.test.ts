import { Writable } from 'node:stream';
import { getHeapStatistics } from 'node:v8';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type HeapTrimSettings, shouldTrim, startHeapTrimmer, trimHeap } from './heap-trim';

const MB = 2 ** 20;
const settings: HeapTrimSettings = { checkIntervalMs: 10_000, quietUtilization: 0.1, growthBytes: 32 * MB, minIntervalMs: 60_000 };

/** Grows the committed heap by about `mb` MB of small objects (a burst's worth of garbage), then lets them die. */
function burst(mb: number): void {
  let keep: { id: number; name: string; tags: number[] }[] | null = [];
  for (let i = 0; i < mb * 8_000; i++) keep.push({ id: i, name: `device-${i}`, tags: [i, i + 1] });
  keep = null;
}

describe('shouldTrim', () => {
  const state = { baselineBytes: 100 * MB, lastTrimAt: -Infinity };
  const quiet = { utilization: 0.02, committedBytes: 200 * MB, now: 1_000_000 };

  it('trims a quiet gateway whose heap grew past the threshold', () => {
    expect(shouldTrim(quiet, state, settings)).toBe(true);
  });
  it('leaves a busy gateway to V8', () => {
    expect(shouldTrim({ ...quiet, utilization: 0.5 }, state, settings)).toBe(false);
  });
  it('does not trim for growth below the threshold', () => {
    expect(shouldTrim({ ...quiet, committedBytes: 120 * MB }, state, settings)).toBe(false);
  });
  it('waits the minimum interval after the last trim', () => {
    expect(shouldTrim(quiet, { ...state, lastTrimAt: quiet.now - 30_000 }, settings)).toBe(false);
    expect(shouldTrim(quiet, { ...state, lastTrimAt: quiet.now - 61_000 }, settings)).toBe(true);
  });
  it('never trims when switched off (HEAP_TRIM_GROWTH_MB=0)', () => {
    expect(shouldTrim(quiet, state, { ...settings, growthBytes: 0 })).toBe(false);
  });
});

describe('trimHeap', () => {
  it('gives the committed heap a burst left behind back, keeping what is live', async () => {
    const live = Array.from({ length: 50_000 }, (_, i) => ({ still: i }));
    burst(120);
    const r = await trimHeap();
    expect(r.rounds).toBeGreaterThanOrEqual(1);
    expect(r.beforeBytes - r.afterBytes).toBeGreaterThan(32 * MB);
    expect(getHeapStatistics().total_heap_size).toBeLessThan(r.beforeBytes - 32 * MB);
    expect(r.liveBytes).toBeLessThanOrEqual(r.afterBytes);
    expect(live[49_999]?.still).toBe(49_999);
  });
});

describe('startHeapTrimmer', () => {
  it('trims once the heap has grown and the loop is quiet, logs it, and then waits for new growth', async () => {
    const lines: { msg: string; beforeMb?: number; afterMb?: number; rounds?: number }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    const results: number[] = [];
    const trimmer = startHeapTrimmer(
      { checkIntervalMs: 200, quietUtilization: 0.9, growthBytes: 24 * MB, minIntervalMs: 0 },
      { log: pino(sink), onTrim: (r) => results.push(r.beforeBytes - r.afterBytes) },
    );
    try {
      burst(80);
      await expect.poll(() => trimmer.trims, { timeout: 15_000, interval: 100 }).toBe(1);
      const trimmed = lines.find((l) => l.msg === 'heap trimmed');
      expect(trimmed?.afterMb).toBeLessThan(trimmed?.beforeMb ?? 0);
      expect(results[0]).toBeGreaterThan(16 * MB);
      // No new growth: no second trim, however quiet the loop stays.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(trimmer.trims).toBe(1);
    } finally {
      trimmer.stop();
    }
  });
});
