/** Options shared by every group-commit writer (device events, access events). */
export interface GroupCommitOptions {
  /** Longest a lone item waits for companions before its commit starts. */
  maxDelayMs: number;
  maxBatch: number;
  /** Items waiting in memory at most; beyond it `write` rejects with BackpressureError until the DB catches up. */
  maxPending: number;
  onCommit?: (size: number, seconds: number) => void;
  onError?: (err: unknown, attempt: number) => void;
}

export class BackpressureError extends Error {
  readonly code = 'BACKPRESSURE';
  constructor(pending: number) {
    super(`write queue full (${pending} items waiting for the database)`);
  }
}

export interface GroupCommit<T, R> {
  /**
   * Queues an item; the promise resolves after its COMMIT. An `urgent` item (an alarm press, an unexplained door
   * opening) goes ahead of every non-urgent item of other streams still waiting (see `streamOf`) and is committed at the next turn of the event loop in a
   * transaction of urgent items only, instead of waiting for companions: the alarm lane of docs/architecture.md.
   * Urgent items keep their order among themselves.
   */
  write(item: T, urgent?: boolean): Promise<R>;
  pending(): number;
  /** True while a write that is not urgent would be refused (the queue is full, or the writer closed). */
  refusing(): boolean;
  /** True while commits keep failing (reported by /readyz as degraded); one busy retry is not degraded. */
  degraded(): boolean;
  /**
   * Commits whatever is queued (shutdown): in-flight writes finish before the database closes. Refuses new writes
   * from then on, unless `keepOpen` (events committed now may still cause writes, e.g. an access incident).
   */
  drain(timeoutMs: number, keepOpen?: boolean): Promise<boolean>;
}

interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
}

/**
 * Group commit: every item waits for its own COMMIT (WAL, synchronous=FULL), but concurrent items share one
 * transaction, so fsyncs are amortised. `commit` is a better-sqlite3 transaction over the whole batch returning one
 * result per item. A failed commit (disk full, locked) is retried with backoff; callers keep waiting, so nothing
 * handed over is dropped and writing resumes by itself.
 */
export function createGroupCommit<T, R>(
  commit: (batch: T[]) => R[],
  opts: GroupCommitOptions,
  /**
   * The stream an item belongs to (a device): an urgent item takes the items of its own stream still waiting along
   * with it, so it overtakes other streams' traffic but never its own (a door's "closed" stays before its next
   * "open"). Without it an urgent item overtakes everything.
   */
  streamOf?: (item: T) => string,
): GroupCommit<T, R> {
  let queue: Pending<T, R>[] = [];
  /** How many items at the front of `queue` are urgent. */
  let urgentAhead = 0;
  let timer: NodeJS.Timeout | null = null;
  let flushing = false;
  let failures = 0;
  let closed = false;

  function schedule(delay: number) {
    if (timer || flushing) return;
    timer = setTimeout(flush, delay);
  }

  function flush() {
    timer = null;
    if (queue.length === 0) return;
    flushing = true;
    // Urgent items commit alone, in a small transaction of their own (one fsync), so an alarm never waits for a
    // thousand-row batch; bulk items follow at their usual pace.
    const size = urgentAhead > 0 ? Math.min(urgentAhead, opts.maxBatch) : opts.maxBatch;
    const batch = queue.length <= size ? queue : queue.slice(0, size);
    queue = batch === queue ? [] : queue.slice(size);
    const urgentInBatch = Math.min(urgentAhead, batch.length);
    urgentAhead -= urgentInBatch;
    const started = process.hrtime.bigint();
    try {
      const results = commit(batch.map((p) => p.item));
      failures = 0;
      opts.onCommit?.(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
      batch.forEach((p, i) => p.resolve(results[i] as R));
    } catch (err) {
      failures++;
      opts.onError?.(err, failures);
      // Put the batch back in front: nothing that was handed to us is dropped, and its urgent items stay ahead of
      // any urgent item that arrives during the outage (a press before its cancel).
      queue = batch.concat(queue);
      urgentAhead += urgentInBatch;
    }
    flushing = false;
    if (queue.length > 0) schedule(failures > 0 ? Math.min(2_000, 25 * 2 ** Math.min(failures, 6)) : 0);
  }

  return {
    write(item: T, urgent = false): Promise<R> {
      if (closed) return Promise.reject(new Error('writer closed'));
      // An urgent item is never refused for a full queue: backpressure is for bulk traffic.
      if (!urgent && queue.length >= opts.maxPending) return Promise.reject(new BackpressureError(queue.length));
      return new Promise<R>((resolve) => {
        if (urgent) {
          // Its own stream's waiting items come along, in their order, ahead of it (one pass over the bulk part).
          const stream = streamOf?.(item);
          const own: Pending<T, R>[] = [];
          const rest: Pending<T, R>[] = [];
          for (const p of queue.slice(urgentAhead)) (stream !== undefined && streamOf?.(p.item) === stream ? own : rest).push(p);
          queue = [...queue.slice(0, urgentAhead), ...own, { item, resolve }, ...rest];
          urgentAhead += own.length + 1;
        } else queue.push({ item, resolve });
        if ((urgent || queue.length >= opts.maxBatch) && failures === 0) {
          if (timer) clearTimeout(timer);
          timer = null;
          if (!flushing) setImmediate(flush);
        } else schedule(opts.maxDelayMs);
      });
    },
    pending: () => queue.length,
    refusing: () => closed || queue.length >= opts.maxPending,
    degraded: () => failures >= 3,
    async drain(timeoutMs: number, keepOpen = false): Promise<boolean> {
      closed = !keepOpen;
      const deadline = Date.now() + timeoutMs;
      while (queue.length > 0 && Date.now() < deadline) {
        if (timer) clearTimeout(timer);
        timer = null;
        flush();
        if (queue.length > 0) await new Promise((r) => setTimeout(r, 50));
      }
      return queue.length === 0;
    },
  };
}
