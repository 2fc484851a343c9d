import type { RawDb } from './client';

/** One device message as it is made durable. Times are ISO strings in the format Prisma reads back. */
export interface EventRow {
  deviceId: string;
  eventId: string;
  channel: string;
  payload: string;
  deviceTime: string;
  receivedAt: string;
}

export type WriteResult = 'stored' | 'duplicate';

export class BackpressureError extends Error {
  readonly code = 'BACKPRESSURE';
  constructor(pending: number) {
    super(`ingest queue full (${pending} events waiting for the database)`);
  }
}

export interface EventWriterOptions {
  /** Longest a lone event waits for companions before its commit starts. */
  maxDelayMs: number;
  maxBatch: number;
  /** Events waiting in memory at most; beyond it publishes are refused (not acknowledged) until the DB catches up. */
  maxPending: number;
  onCommit?: (size: number, seconds: number) => void;
  onError?: (err: unknown, attempt: number) => void;
}

interface Pending {
  row: EventRow;
  resolve: (r: WriteResult) => void;
}

/**
 * Group commit: every event waits for its own COMMIT (WAL, synchronous=FULL), but concurrent events from all devices
 * share one transaction, so fsyncs are amortised. Uses the raw better-sqlite3 connection: measured against Prisma
 * createMany in docs/benchmarks.md. A failed commit (disk full, locked) is retried with backoff; callers keep waiting,
 * so acknowledgements stop instead of events being dropped, and ingest resumes by itself.
 */
export function createEventWriter(raw: RawDb, opts: EventWriterOptions) {
  const insert = raw.prepare(
    'INSERT OR IGNORE INTO DeviceEvent (deviceId, eventId, channel, payload, deviceTime, receivedAt) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const touch = raw.prepare('UPDATE Device SET lastSeenAt = ? WHERE id = ?');
  const commitBatch = raw.transaction((batch: Pending[]) => {
    const results: WriteResult[] = [];
    const seen = new Map<string, string>();
    for (const p of batch) {
      const r = p.row;
      const info = insert.run(r.deviceId, r.eventId, r.channel, r.payload, r.deviceTime, r.receivedAt);
      results.push(info.changes === 1 ? 'stored' : 'duplicate');
      seen.set(r.deviceId, r.receivedAt);
    }
    for (const [deviceId, at] of seen) touch.run(at, deviceId);
    return results;
  });

  let queue: Pending[] = [];
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
    const batch = queue.length <= opts.maxBatch ? queue : queue.slice(0, opts.maxBatch);
    queue = batch === queue ? [] : queue.slice(opts.maxBatch);
    const started = process.hrtime.bigint();
    try {
      const results = commitBatch(batch);
      failures = 0;
      opts.onCommit?.(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
      batch.forEach((p, i) => p.resolve(results[i] ?? 'stored'));
    } catch (err) {
      failures++;
      opts.onError?.(err, failures);
      // Put the batch back in front: nothing that was handed to us is dropped.
      queue = batch.concat(queue);
    }
    flushing = false;
    if (queue.length > 0) schedule(failures > 0 ? Math.min(2_000, 25 * 2 ** Math.min(failures, 6)) : 0);
  }

  return {
    write(row: EventRow): Promise<WriteResult> {
      if (closed) return Promise.reject(new Error('event writer closed'));
      if (queue.length >= opts.maxPending) return Promise.reject(new BackpressureError(queue.length));
      return new Promise<WriteResult>((resolve) => {
        queue.push({ row, resolve });
        if (queue.length >= opts.maxBatch && failures === 0) {
          if (timer) clearTimeout(timer);
          timer = null;
          if (!flushing) setImmediate(flush);
        } else schedule(opts.maxDelayMs);
      });
    },
    pending: () => queue.length,
    /** True while commits keep failing (reported by /readyz as degraded); one busy retry is not degraded. */
    degraded: () => failures >= 3,
    /** Commits whatever is queued (shutdown): in-flight writes finish before the database closes. */
    async drain(timeoutMs: number): Promise<boolean> {
      closed = true;
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

export type EventWriter = ReturnType<typeof createEventWriter>;
