import type { RawDb } from './client';
import { isoStored } from './time';

export interface WriteHealth {
  ok: boolean;
  /** Why the last heartbeat did not commit: locked, disk_full, readonly, or SQLite's error code. null when ok. */
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

function reasonOf(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'unknown';
  const base = Object.keys(REASONS).find((k) => code === k || code.startsWith(`${k}_`));
  return base !== undefined ? (REASONS[base] ?? code) : code;
}

/**
 * Readiness that tells the truth: a one-row write (DbHeartbeat) committed every `intervalMs` on the raw connection
 * (busy_timeout=0, so a lock fails it at once instead of freezing the event loop). The database is "ok" only while
 * the last heartbeat committed; a read that still works says nothing about whether an alarm can be stored.
 */
export function startDbHeartbeat(raw: RawDb, opts: { intervalMs: number; onResult?: (h: WriteHealth) => void }) {
  const write = raw.prepare('INSERT INTO DbHeartbeat (id, at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET at = excluded.at');
  let health: WriteHealth = { ok: false, reason: 'no heartbeat yet', lastOkAt: null };
  const beat = () => {
    const at = new Date();
    try {
      write.run(isoStored(at));
      health = { ok: true, reason: null, lastOkAt: at };
    } catch (err) {
      health = { ok: false, reason: reasonOf(err), lastOkAt: health.lastOkAt };
    }
    opts.onResult?.(health);
  };
  beat();
  const timer = setInterval(beat, opts.intervalMs);
  timer.unref();
  return {
    health: (): WriteHealth => health,
    stop: () => clearInterval(timer),
  };
}
