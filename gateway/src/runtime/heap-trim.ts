import { Session } from 'node:inspector';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { Logger } from '../log';

/**
 * Gives back the heap a burst left behind, once the gateway is quiet again.
 *
 * V8 sizes its heap for throughput: a reconnect storm (10,000 logins within seconds) leaves it at two to three times
 * what is live, and it stays there, because 10,000 held connections' keepalives allocate too steadily for V8's own
 * memory reducer, which waits for an idle isolate (docs/benchmarks.md: 330 MB of heap committed, 120 MB live). So
 * when the event loop has been nearly idle for a whole check interval and the committed heap has grown by
 * `growthBytes` since the last trim, the gateway runs memory-reducing full collections: the inspector's
 * `HeapProfiler.collectGarbage`, in-process with no debugger port opened — the collection a heap snapshot starts
 * with, which compacts and shrinks the young generation (`gc()` does neither). V8 moves at most ~12 MB of live
 * objects per such collection, so a heap fragmented by a storm needs a second round; rounds go on while one still
 * gives back `minRoundBytes`.
 *
 * Each round pauses the event loop (0.2–0.4 s with 10,000 connections), so trimming happens only when the loop is
 * quiet and at most once per `minIntervalMs`; under load V8's own collector is left alone.
 */
export interface HeapTrimSettings {
  /** How often the heap and the event loop are looked at. */
  checkIntervalMs: number;
  /** Event-loop utilisation (0–1) over the last interval below which the gateway counts as quiet. */
  quietUtilization: number;
  /** Committed heap growth since the last trim (or start) that makes a trim worth its pause; 0 switches trimming off. */
  growthBytes: number;
  /** At most one trim per this long. */
  minIntervalMs: number;
}

export interface HeapTrimState {
  /** Committed heap right after the last trim, or at start. */
  baselineBytes: number;
  /** When the last trim ran (ms, monotonic), or -Infinity. */
  lastTrimAt: number;
}

/** Pure decision: trim now? (Committed heap, not used heap: the garbage in it is what we want back.) */
export function shouldTrim(sample: { utilization: number; committedBytes: number; now: number }, state: HeapTrimState, s: HeapTrimSettings): boolean {
  if (s.growthBytes <= 0) return false;
  if (sample.utilization >= s.quietUtilization) return false;
  if (sample.now - state.lastTrimAt < s.minIntervalMs) return false;
  return sample.committedBytes - state.baselineBytes >= s.growthBytes;
}

const MB = 2 ** 20;

/** One memory-reducing full collection, now; its pause in ms. */
async function collectAllGarbage(): Promise<number> {
  const session = new Session();
  session.connect();
  const t0 = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      session.post('HeapProfiler.collectGarbage', (err) => (err ? reject(err) : resolve()));
    });
    return performance.now() - t0;
  } finally {
    session.disconnect();
  }
}

export interface HeapTrimResult {
  /** Committed heap before and after, and what is live after. */
  beforeBytes: number;
  afterBytes: number;
  liveBytes: number;
  rounds: number;
  /** The longest single pause, and all pauses together. */
  maxPauseMs: number;
  totalPauseMs: number;
}

/** Memory-reducing collections, `gapMs` apart, until a round gives back less than `minRoundBytes` (at most `maxRounds`). */
export async function trimHeap(opts: { maxRounds?: number; minRoundBytes?: number; gapMs?: number } = {}): Promise<HeapTrimResult> {
  const { maxRounds = 4, minRoundBytes = 4 * MB, gapMs = 500 } = opts;
  const beforeBytes = getHeapStatistics().total_heap_size;
  let committed = beforeBytes;
  let rounds = 0;
  let maxPauseMs = 0;
  let totalPauseMs = 0;
  while (rounds < maxRounds) {
    if (rounds > 0) await new Promise((r) => setTimeout(r, gapMs));
    const pause = await collectAllGarbage();
    rounds++;
    maxPauseMs = Math.max(maxPauseMs, pause);
    totalPauseMs += pause;
    const now = getHeapStatistics().total_heap_size;
    const freed = committed - now;
    committed = now;
    if (freed < minRoundBytes) break;
  }
  const after = getHeapStatistics();
  return { beforeBytes, afterBytes: after.total_heap_size, liveBytes: after.used_heap_size, rounds, maxPauseMs, totalPauseMs };
}

export interface HeapTrimmer {
  /** Trims run so far. */
  readonly trims: number;
  stop(): void;
}

export function startHeapTrimmer(settings: HeapTrimSettings, deps: { log: Logger; onTrim?: (r: HeapTrimResult) => void }): HeapTrimmer {
  const state: HeapTrimState = { baselineBytes: getHeapStatistics().total_heap_size, lastTrimAt: -Infinity };
  let trims = 0;
  let running = false;
  let lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const elu = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(elu, lastElu).utilization;
    lastElu = elu;
    if (running || !shouldTrim({ utilization, committedBytes: getHeapStatistics().total_heap_size, now: performance.now() }, state, settings)) return;
    running = true;
    trimHeap()
      .then((r) => {
        trims++;
        state.baselineBytes = r.afterBytes;
        state.lastTrimAt = performance.now();
        deps.log.info(
          {
            beforeMb: Math.round(r.beforeBytes / MB),
            afterMb: Math.round(r.afterBytes / MB),
            liveMb: Math.round(r.liveBytes / MB),
            rounds: r.rounds,
            maxPauseMs: Math.round(r.maxPauseMs),
            utilization: Number(utilization.toFixed(2)),
          },
          'heap trimmed',
        );
        deps.onTrim?.(r);
      })
      .catch((err: unknown) => {
        // A Node built without the inspector cannot do it at all: say so once and leave the heap to V8.
        clearInterval(timer);
        deps.log.warn({ err }, 'heap trimming unavailable; V8 keeps the heap it grows');
      })
      .finally(() => {
        running = false;
      });
  }, settings.checkIntervalMs);
  timer.unref();
  return {
    get trims() {
      return trims;
    },
    stop: () => clearInterval(timer),
  };
}
