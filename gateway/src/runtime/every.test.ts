import { describe, expect, it } from 'vitest';
import { every } from './every';

describe('every: a background loop', () => {
  it('runs at once, again when woken (not waiting out the hour), and stop() waits for the pass under way', async () => {
    const passes: number[] = [];
    let release: (() => void) | null = null;
    let started: (() => void) | null = null;
    const next = () => new Promise<void>((r) => (started = r));
    let firstStarted = next();
    const loop = every(3_600_000, async () => {
      passes.push(passes.length + 1);
      started?.();
      if (passes.length === 2) await new Promise<void>((r) => (release = r));
    });
    await firstStarted;
    expect(passes).toEqual([1]);
    firstStarted = next();
    loop.wake();
    await firstStarted;
    expect(passes).toEqual([1, 2]);
    // The second pass is still running: stop() resolves only after it ends, and no third pass starts.
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    (release as (() => void) | null)?.();
    await stopping;
    expect(passes).toEqual([1, 2]);
  });

  it('keeps going after a pass that throws', async () => {
    let n = 0;
    let third: (() => void) | null = null;
    const done = new Promise<void>((r) => (third = r));
    const loop = every(1, async () => {
      n++;
      if (n === 3) third?.();
      if (n < 3) throw new Error('boom');
    });
    await done;
    await loop.stop();
    expect(n).toBeGreaterThanOrEqual(3);
  });
});
