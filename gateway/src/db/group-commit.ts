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
   * opening) goes ahead of every non-urgent item of other streams still waiting (see `streamOf`) and is committed in
   * a transaction of urgent items only, instead of waiting for companions: the alarm lane of docs/architecture.md.
   * The first urgent item of a turn of the event loop commits before `write` returns; later ones of the same turn
   * commit together at the next turn. Urgent items keep their order among themselves.
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
  const lane: Lane<T, R> = { queue: [], urgentAhead: 0, failures: 0, flushing: false };
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  /** An urgent item was committed in this turn of the event loop already (commitUrgentNow). */
  let urgentTurn = false;

  function schedule(delay: number) {
    if (timer || lane.flushing) return;
    timer = setTimeout(flush, delay);
  }

  function flush() {
    timer = null;
    if (lane.queue.length === 0) return;
    commitFront(lane, commit, opts);
    if (lane.queue.length > 0) schedule(backoff());
  }

  /** After a failed commit, the wait before the next attempt (25 ms doubling to 2 s); 0 while commits succeed. */
  const backoff = () => (lane.failures > 0 ? Math.min(2_000, 25 * 2 ** Math.min(lane.failures, 6)) : 0);

  /**
   * The first urgent item of a turn of the event loop commits right away, inside the call that hands it over (the
   * broker's publish hook), instead of at the next turn: under load the rest of that turn — every other socket's
   * messages read in the same poll phase — took tens to hundreds of milliseconds (docs/benchmarks.md, session 8).
   * Further urgent items of the same turn (a burst of presses) share one commit at the next turn, as before, so a
   * burst costs two fsyncs, not one per press.
   */
  function commitUrgentNow(): boolean {
    if (urgentTurn || lane.flushing || lane.failures > 0) return false;
    urgentTurn = true;
    setImmediate(() => (urgentTurn = false));
    commitFront(lane, commit, opts);
    if (lane.queue.length === 0) return true;
    if (timer) clearTimeout(timer);
    timer = null;
    if (lane.failures > 0) {
      schedule(backoff());
      return true;
    }
    // The bulk items whose wait the urgent commit cut short follow at the next turn, as they did before.
    setImmediate(flush);
    return true;
  }

  return {
    write(item: T, urgent = false): Promise<R> {
      if (closed) return Promise.reject(new Error('writer closed'));
      // An urgent item is never refused for a full queue: backpressure is for bulk traffic.
      if (!urgent && lane.queue.length >= opts.maxPending) return Promise.reject(new BackpressureError(lane.queue.length));
      return new Promise<R>((resolve) => {
        if (urgent) {
          Object.assign(lane, withUrgent(lane.queue, lane.urgentAhead, { item, resolve }, streamOf));
          if (commitUrgentNow()) return;
        } else lane.queue.push({ item, resolve });
        if ((urgent || lane.queue.length >= opts.maxBatch) && lane.failures === 0) {
          if (timer) clearTimeout(timer);
          timer = null;
          if (!lane.flushing) setImmediate(flush);
        } else schedule(opts.maxDelayMs);
      });
    },
    pending: () => lane.queue.length,
    refusing: () => closed || lane.queue.length >= opts.maxPending,
    degraded: () => lane.failures >= 3,
    async drain(timeoutMs: number, keepOpen = false): Promise<boolean> {
      closed = !keepOpen;
      const deadline = Date.now() + timeoutMs;
      while (lane.queue.length > 0 && Date.now() < deadline) {
        if (timer) clearTimeout(timer);
        timer = null;
        flush();
        if (lane.queue.length > 0) await new Promise((r) => setTimeout(r, 50));
      }
      return lane.queue.length === 0;
    },
  };
}

/**
 * The queue of a group-commit writer: items waiting, how many at its front are urgent, failed commits in a row.
 */
interface Lane<T, R> {
  queue: Pending<T, R>[];
  urgentAhead: number;
  failures: number;
  /** A commit is running (it is synchronous: only re-entrant calls from inside it could see this). */
  flushing: boolean;
}

/** Commits the front of the queue: the urgent items waiting if there are any (alone), else a bulk batch. */
function commitFront<T, R>(lane: Lane<T, R>, commit: (batch: T[]) => R[], opts: GroupCommitOptions): void {
  lane.flushing = true;
  // Urgent items commit alone, in a small transaction of their own (one fsync), so an alarm never waits for a
  // thousand-row batch; bulk items follow at their usual pace.
  const size = lane.urgentAhead > 0 ? Math.min(lane.urgentAhead, opts.maxBatch) : opts.maxBatch;
  const batch = lane.queue.length <= size ? lane.queue : lane.queue.slice(0, size);
  lane.queue = batch === lane.queue ? [] : lane.queue.slice(size);
  const urgentInBatch = Math.min(lane.urgentAhead, batch.length);
  lane.urgentAhead -= urgentInBatch;
  const started = process.hrtime.bigint();
  try {
    const results = commit(batch.map((p) => p.item));
    lane.failures = 0;
    opts.onCommit?.(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
    batch.forEach((p, i) => p.resolve(results[i] as R));
  } catch (err) {
    lane.failures++;
    opts.onError?.(err, lane.failures);
    // Put the batch back in front: nothing that was handed to us is dropped, and its urgent items stay ahead of
    // any urgent item that arrives during the outage (a press before its cancel).
    lane.queue = batch.concat(lane.queue);
    lane.urgentAhead += urgentInBatch;
  }
  lane.flushing = false;
}

/**
 * The queue with an urgent item added behind the urgent items already waiting: its own stream's waiting items come
 * along, in their order, ahead of it (one pass over the bulk part); `urgentAhead` counts them all.
 */
function withUrgent<T, R>(queue: Pending<T, R>[], urgentAhead: number, p: Pending<T, R>, streamOf?: (item: T) => string): { queue: Pending<T, R>[]; urgentAhead: number } {
  const stream = streamOf?.(p.item);
  const own: Pending<T, R>[] = [];
  const rest: Pending<T, R>[] = [];
  for (const q of queue.slice(urgentAhead)) (stream !== undefined && streamOf?.(q.item) === stream ? own : rest).push(q);
  return { queue: [...queue.slice(0, urgentAhead), ...own, p, ...rest], urgentAhead: urgentAhead + own.length + 1 };
}
