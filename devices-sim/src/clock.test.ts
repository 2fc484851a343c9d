import { describe, expect, it } from 'vitest';
import { AcceleratedClock, ManualClock, type RealTime } from './clock';
import { formatTs, localHour, parseDuration } from './time';

/** A real-time source the test moves by hand, with timers that fire when it passes them. */
function handTime(): RealTime & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let ids = 0;
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.push({ at: now + ms, fn, id: ++ids });
      return ids;
    },
    clearTimeout: (h) => {
      timers = timers.filter((t) => t.id !== h);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.fn();
      }
      now = end;
    },
  };
}

describe('AcceleratedClock', () => {
  it('runs sim time at start + real elapsed × speed, with one timer for the whole agenda', () => {
    const real = handTime();
    const clock = new AcceleratedClock({ start: Date.parse('2025-03-01T06:00:00+08:00'), speed: 60, real });
    const fired: string[] = [];
    clock.after(3_600_000, () => fired.push('hour'));
    clock.after(60_000, () => fired.push('minute'));
    clock.after(60_000, () => fired.push('minute, second in line'));
    real.advance(1_000);
    expect(fired).toEqual(['minute', 'minute, second in line']);
    expect(localHour(clock.nowMs())).toBeCloseTo(6 + 1 / 60);
    real.advance(59_000);
    expect(fired).toEqual(['minute', 'minute, second in line', 'hour']);
    expect(clock.pending).toBe(0);
  });

  it('drops cancelled entries', () => {
    const real = handTime();
    const clock = new AcceleratedClock({ start: 0, speed: 1, real });
    let ran = false;
    const cancel = clock.after(10, () => (ran = true));
    cancel();
    real.advance(20);
    expect(ran).toBe(false);
  });
});

describe('ManualClock', () => {
  it('lets async continuations schedule before the next entry runs', async () => {
    const clock = new ManualClock({ start: 0 });
    const order: string[] = [];
    void (async () => {
      await clock.sleep(10);
      order.push('a@10');
      await clock.sleep(10);
      order.push('a@20');
    })();
    clock.after(15, () => order.push('b@15'));
    await clock.runUntilIdle();
    expect(order).toEqual(['a@10', 'b@15', 'a@20']);
    expect(clock.nowMs()).toBe(20);
  });
});

describe('time helpers', () => {
  it('formats local time with the +08:00 offset and reads durations', () => {
    expect(formatTs(Date.parse('2025-03-01T00:00:00Z'))).toBe('2025-03-01T08:00:00.000+08:00');
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('soon')).toBeNull();
  });
});
