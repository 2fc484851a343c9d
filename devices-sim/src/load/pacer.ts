import type { RealTime } from '../clock';

/**
 * Fixed-rate issuing that does not drift. Each tick computes how many messages should have been issued since the
 * start (elapsed × rate) and issues the difference, so a late timer (GC pause, busy event loop) is caught up in the
 * next batch instead of being lost: the count after T seconds is rate × T whatever the tick jitter.
 */
export interface PacerOptions {
  /** Messages per second, total. */
  rate: number;
  durationMs: number;
  /** Real ms between ticks; each tick issues a batch. */
  tickMs?: number;
  time?: RealTime;
  /** Issues `n` messages now. */
  issue: (n: number) => void;
}

export function dueBy(elapsedMs: number, rate: number, durationMs: number): number {
  return Math.floor((Math.min(elapsedMs, durationMs) * rate) / 1000);
}

const systemTime: RealTime = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Resolves with the number issued once `durationMs` has elapsed (exactly rate × duration, floored). */
export function runPaced(opts: PacerOptions): Promise<number> {
  const time = opts.time ?? systemTime;
  const tickMs = opts.tickMs ?? 10;
  const start = time.now();
  let issued = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const elapsed = time.now() - start;
      const due = dueBy(elapsed, opts.rate, opts.durationMs);
      if (due > issued) {
        opts.issue(due - issued);
        issued = due;
      }
      if (elapsed >= opts.durationMs) return resolve(issued);
      // Aim at the next tick boundary measured from the start, not from now, so ticks do not slide either.
      const next = (Math.floor(elapsed / tickMs) + 1) * tickMs;
      time.setTimeout(tick, Math.max(0, Math.min(next, opts.durationMs) - elapsed));
    };
    tick();
  });
}
