import type pg from 'pg';
import type { RawDb } from './client';
import type { Store } from './pg-client';
import { isoStored } from './time';

export interface WriteHealth {
  ok: boolean;
  /**
   * Why the last heartbeat did not commit: locked, disk_full, readonly, io_error, denied (no privilege), unreachable (the server
   * cannot be reached), timeout (it did not answer within the interval), or the driver's error code. null when ok.
   */
  reason: string | null;
  /** When a heartbeat last committed. */
  lastOkAt: Date | null;
}

const REASONS: Record<string, string> = {
  SQLITE_BUSY: 'locked',
  SQLITE_LOCKED: 'locked',
  SQLITE_FULL: 'disk_full',
  SQLITE_READONLY: 'readonly',
  SQLITE_IOERR: 'io_error',
};

/** PostgreSQL's SQLSTATEs and node's socket errors, by the same names. */
const PG_REASONS: Record<string, string> = {
  '53100': 'disk_full',
  '25006': 'readonly',
  '58030': 'io_error',
  '55P03': 'locked',
  '40P01': 'locked',
  '42501': 'denied',
  '57P01': 'unreachable',
  '57P03': 'unreachable',
  ECONNREFUSED: 'unreachable',
  ECONNRESET: 'unreachable',
  ENOTFOUND: 'unreachable',
  ETIMEDOUT: 'unreachable',
};

function reasonOf(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'unknown';
  const pg = PG_REASONS[code];
  if (pg !== undefined) return pg;
  // A connection the server closed, or a client the pool could not open: the server is gone either way.
  if (code === 'unknown' && err instanceof Error && /Connection terminated|connection timeout/i.test(err.message)) return 'unreachable';
  const base = Object.keys(REASONS).find((k) => code === k || code.startsWith(`${k}_`));
  return base !== undefined ? (REASONS[base] ?? code) : code;
}

/**
 * Readiness that tells the truth: a one-row write (DbHeartbeat) committed every `intervalMs`. The database is "ok"
 * only while the last heartbeat committed; a read that still works says nothing about whether an alarm can be stored.
 * SQLite: on the raw connection (busy_timeout=0, so a lock fails it at once instead of freezing the event loop).
 * PostgreSQL: through the pool; a beat not answered within the interval counts as failed (timeout), and the next
 * beat waits for it rather than piling up.
 */
export function startDbHeartbeat(store: Store, opts: { intervalMs: number; onResult?: (h: WriteHealth) => void }) {
  let health: WriteHealth = { ok: false, reason: 'no heartbeat yet', lastOkAt: null };
  const settle = (at: Date, err?: unknown) => {
    health = err === undefined ? { ok: true, reason: null, lastOkAt: at } : { ok: false, reason: reasonOf(err), lastOkAt: health.lastOkAt };
    opts.onResult?.(health);
  };
  const beat = store.kind === 'sqlite' ? sqliteBeat(store.raw, settle) : pgBeat(store.pool, opts.intervalMs, settle);
  beat();
  const timer = setInterval(beat, opts.intervalMs);
  timer.unref();
  return {
    health: (): WriteHealth => health,
    stop: () => clearInterval(timer),
  };
}

type Settle = (at: Date, err?: unknown) => void;

function sqliteBeat(raw: RawDb, settle: Settle) {
  const write = raw.prepare('INSERT INTO DbHeartbeat (id, at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET at = excluded.at');
  return () => {
    const at = new Date();
    let failed: { err: unknown } | undefined;
    try {
      write.run(isoStored(at));
    } catch (err) {
      failed = { err };
    }
    if (failed) settle(at, failed.err);
    else settle(at);
  };
}

class HeartbeatTimeout extends Error {
  readonly code = 'timeout';
}

function pgBeat(pool: pg.Pool, intervalMs: number, settle: Settle) {
  let running: Promise<void> | null = null;
  return () => {
    if (running) return;
    const at = new Date();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HeartbeatTimeout(`no answer within ${intervalMs} ms`)), intervalMs);
    });
    const write = pool.query('INSERT INTO "DbHeartbeat" (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at', [at]);
    // Reported once: at the timeout if the server is silent, else when it answers; the next beat waits for the write.
    void Promise.race([write, late]).then(
      () => settle(at),
      (err: unknown) => settle(at, err),
    ).finally(() => clearTimeout(timer));
    running = write.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      running = null;
    });
  };
}
