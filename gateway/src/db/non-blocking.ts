import type { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

type Factory = PrismaBetterSQLite3;
type Connection = Awaited<ReturnType<Factory['connect']>>;
type Tx = Awaited<ReturnType<Connection['startTransaction']>>;
type Query = Parameters<Connection['queryRaw']>[0];

const BUSY = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY', 'SQLITE_LOCKED']);

/** A DriverAdapterError for a lock held by another connection (what better-sqlite3 reports with busy_timeout=0). */
export function isBusyError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !('cause' in err)) return false;
  const cause: unknown = err.cause;
  return typeof cause === 'object' && cause !== null && 'originalCode' in cause && typeof cause.originalCode === 'string' && BUSY.has(cause.originalCode);
}

export interface NonBlockingOptions {
  /** Longest a query keeps retrying before the busy error goes to its caller (HTTP: 503 with Retry-After). */
  maxWaitMs: number;
  onBusy?: () => void;
}

/**
 * Prisma's better-sqlite3 connection with busy_timeout=0 never waits for a lock on the event loop (a synchronous
 * wait froze MQTT and HTTP alike for up to busy_timeout). A statement that finds the database locked is retried
 * here instead, asynchronously with backoff, for at most `maxWaitMs`; the event loop keeps running meanwhile.
 */
export function nonBlocking(inner: Factory, opts: NonBlockingOptions): Pick<Factory, 'provider' | 'adapterName' | 'connect'> {
  async function retry<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + opts.maxWaitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isBusyError(err) || Date.now() >= deadline) throw err;
        opts.onBusy?.();
        await new Promise((r) => setTimeout(r, Math.min(100, 2 ** attempt, Math.max(1, deadline - Date.now()))));
      }
    }
  }
  const tx = (t: Tx): Tx => ({
    provider: t.provider,
    adapterName: t.adapterName,
    options: t.options,
    queryRaw: (q: Query) => retry(() => t.queryRaw(q)),
    executeRaw: (q: Query) => retry(() => t.executeRaw(q)),
    commit: () => t.commit(),
    rollback: () => t.rollback(),
  });
  const connection = (c: Connection): Connection => ({
    provider: c.provider,
    adapterName: c.adapterName,
    queryRaw: (q: Query) => retry(() => c.queryRaw(q)),
    executeRaw: (q: Query) => retry(() => c.executeRaw(q)),
    executeScript: (s: string) => retry(() => c.executeScript(s)),
    startTransaction: async (level) => tx(await retry(() => c.startTransaction(level))),
    dispose: () => c.dispose(),
  });
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => connection(await inner.connect()),
  };
}
