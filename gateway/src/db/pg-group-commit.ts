import { BackpressureError, type GroupCommit, type GroupCommitOptions } from './group-commit';

/**
 * The longest a writer's statement waits for a row or table lock. SQLite's writers never wait (busy_timeout=0): a
 * lock fails the commit, which is retried with backoff and counts towards degraded(). On PostgreSQL a lock wait does
 * not block the event loop, so a short one is allowed; beyond it the commit fails with 55P03 and is retried the same way.
 */
export const WRITER_LOCK_TIMEOUT_MS = 1_000;

interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
}

/** The pause before the next attempt after `failures` failed commits in a row (as db/group-commit.ts). */
const backoff = (failures: number) => Math.min(2_000, 25 * 2 ** Math.min(failures, 6));

/**
 * Group commit on PostgreSQL (docs/storage.md, "Ingest and access on PostgreSQL"): the same contract as the SQLite
 * one (db/group-commit.ts) — every item waits for its own COMMIT, concurrent items share one transaction, urgent items
 * go first in a transaction of their own, a failed commit is retried with backoff and nothing handed over is dropped —
 * but `commit` is asynchronous (node-postgres), so the items that arrive while a transaction is in flight wait for it
 * and form the next batch. At most one transaction is in flight: batches commit in the order they were formed, so a
 * device's events keep their order, and an urgent item waits for at most the one bulk transaction already under way.
 */
export function createPgGroupCommit<T, R>(
  commit: (batch: T[]) => Promise<R[]>,
  opts: GroupCommitOptions,
  /** The stream an item belongs to: an urgent item takes its own stream's waiting items along (db/group-commit.ts). */
  streamOf?: (item: T) => string,
): GroupCommit<T, R> {
  let queue: Pending<T, R>[] = [];
  /** How many items at the front of `queue` are urgent. */
  let urgentAhead = 0;
  let timer: NodeJS.Timeout | null = null;
  /** The transaction in flight, if any. */
  let inFlight: Promise<void> | null = null;
  let failures = 0;
  let closed = false;

  function schedule(delay: number) {
    if (timer || inFlight) return;
    timer = setTimeout(() => void flush(), delay);
  }

  function flushNow() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!inFlight) setImmediate(() => void flush());
  }

  async function commitOnce(): Promise<void> {
    // The urgent items alone if any are waiting (a small transaction of their own), else up to maxBatch.
    const batch = queue.slice(0, urgentAhead > 0 ? Math.min(urgentAhead, opts.maxBatch) : opts.maxBatch);
    queue = queue.slice(batch.length);
    const urgent = Math.min(urgentAhead, batch.length);
    urgentAhead -= urgent;
    const started = process.hrtime.bigint();
    let results: R[];
    try {
      results = await commit(batch.map((p) => p.item));
    } catch (err) {
      failures++;
      report(() => opts.onError?.(err, failures));
      // Back in front, urgent items still ahead of any urgent item that arrived meanwhile (a press before its cancel).
      queue = batch.concat(queue);
      urgentAhead += urgent;
      return;
    }
    failures = 0;
    report(() => opts.onCommit?.(batch.length, Number(process.hrtime.bigint() - started) / 1e9));
    batch.forEach((p, i) => p.resolve(results[i] as R));
  }

  function flush(): Promise<void> {
    timer = null;
    if (inFlight) return inFlight;
    if (queue.length === 0) return Promise.resolve();
    inFlight = commitOnce().finally(() => {
      inFlight = null;
      // What arrived during the transaction goes next, at once; after a failure, after the backoff.
      if (queue.length > 0) schedule(failures > 0 ? backoff(failures) : 0);
    });
    return inFlight;
  }

  return {
    write(item: T, urgent = false): Promise<R> {
      if (closed) return Promise.reject(new Error('writer closed'));
      // An urgent item is never refused for a full queue: backpressure is for bulk traffic.
      if (!urgent && queue.length >= opts.maxPending) return Promise.reject(new BackpressureError(queue.length));
      return new Promise<R>((resolve) => {
        if (urgent) ({ queue, urgentAhead } = withUrgent(queue, urgentAhead, { item, resolve }, streamOf));
        else queue.push({ item, resolve });
        if ((urgent || queue.length >= opts.maxBatch) && failures === 0) flushNow();
        else schedule(opts.maxDelayMs);
      });
    },
    pending: () => queue.length,
    refusing: () => closed || queue.length >= opts.maxPending,
    degraded: () => failures >= 3,
    async drain(timeoutMs: number, keepOpen = false): Promise<boolean> {
      closed = !keepOpen;
      const deadline = Date.now() + timeoutMs;
      while ((queue.length > 0 || inFlight) && Date.now() < deadline) {
        if (timer) clearTimeout(timer);
        timer = null;
        const before = failures;
        // A transaction stuck on a server that does not answer must not hold the shutdown past its deadline.
        await within(flush(), deadline - Date.now());
        if (failures > before && queue.length > 0) await new Promise((r) => setTimeout(r, 50));
      }
      return queue.length === 0 && !inFlight;
    },
  };
}

/** The queue with an urgent item placed after the urgent ones, its own stream's waiting items along ahead of it. */
function withUrgent<T, R>(queue: Pending<T, R>[], urgentAhead: number, entry: Pending<T, R>, streamOf?: (item: T) => string) {
  const stream = streamOf?.(entry.item);
  const own: Pending<T, R>[] = [];
  const rest: Pending<T, R>[] = [];
  for (const p of queue.slice(urgentAhead)) (stream !== undefined && streamOf?.(p.item) === stream ? own : rest).push(p);
  return { queue: [...queue.slice(0, urgentAhead), ...own, entry, ...rest], urgentAhead: urgentAhead + own.length + 1 };
}

/** Waits for `p`, or `ms` at most. */
async function within(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, ms))))]);
  clearTimeout(timer);
}

/** A metrics or log callback must not break the writer. */
function report(fn: () => void) {
  try {
    fn();
  } catch {
    // The callback's own failure is not the commit's.
  }
}
