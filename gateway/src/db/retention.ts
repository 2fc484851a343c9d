import type { Db } from './client';
import { PURGE_STEPS, type PurgeBatch, type PurgeContext } from './retention-steps';
import { isoStored } from './time';

/** Days each class of record is kept (config RETENTION_*_DAYS; the legal floors are checked there and by triggers). */
export interface RetentionPolicy {
  accessDays: number;
  deviceEventDays: number;
  alertDays: number;
  auditDays: number;
  streetlightDays: number;
  passDays: number;
}

export type RetentionClass = 'access_events' | 'device_events' | 'alerts' | 'audit' | 'streetlight' | 'passes' | 'sessions';

export type PurgeCounts = Record<RetentionClass, number>;

export interface PurgeResult {
  deleted: PurgeCounts;
  /** Classes whose purge stopped early (a lock held too long, a floor the clock disagrees with); the next run resumes. */
  failed: { class: RetentionClass; message: string }[];
}

export interface PurgeOptions {
  /** Rows per transaction: each batch holds the write lock for a few milliseconds at most. */
  batch?: number;
  /** Pause between batches, so ingest's group commit always gets the lock in between. */
  pauseMs?: number;
  /** Checked between batches: a shutdown stops the purge after the batch in progress. */
  stopped?: () => boolean;
  /** How long a locked database is waited for (asynchronously) before this run gives up; the next run continues. */
  busyWaitMs?: number;
  /** The cell replicates to a hub (HUB_NATS_URL): rows the hub has not confirmed are kept (db/replication-floor.ts). */
  keepUnconfirmed?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isBusy = (err: unknown) => typeof err === 'object' && err !== null && 'code' in err && (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED');

/** One purge run's pacing and its tally. */
interface PurgeRun {
  readonly pauseMs: number;
  readonly stopped: () => boolean;
  readonly busyWaitMs: number;
  readonly counts: PurgeCounts;
  readonly failed: PurgeResult['failed'];
}

/** Runs batches of `step` (each returns rows deleted and whether more may be left) until done or stopped. */
async function drain(raw: Db['raw'], run: PurgeRun, cls: RetentionClass, step: PurgeBatch): Promise<void> {
  let busySince: number | null = null;
  for (;;) {
    if (run.stopped()) return;
    let r: { deleted: number; more: boolean };
    try {
      r = raw.transaction(step)();
      busySince = null;
    } catch (err) {
      busySince ??= Date.now();
      if (!isBusy(err) || Date.now() - busySince > run.busyWaitMs) {
        // One class failing (e.g. a floor trigger refusing because the clock jumped) leaves the others to run.
        run.failed.push({ class: cls, message: err instanceof Error ? err.message : String(err) });
        return;
      }
      await sleep(100);
      continue;
    }
    run.counts[cls] += r.deleted;
    if (!r.more) return;
    await sleep(run.pauseMs);
  }
}

/**
 * Deletes what has outlived its retention, oldest first, in small transactions on the raw connection with a pause
 * between them, so the ingest writer (the same file, its own connection) is never held up for more than one batch.
 * One step per class of record (retention-steps.ts). Tables whose rows arrive in time order are walked by their
 * ascending key from the oldest row, and the walk stops at the first row still inside its period: no statement scans
 * a table. A device event still waiting in the alert outbox is never deleted, nor is an alert that is not cleared.
 */
export async function purgeExpired(db: Db, policy: RetentionPolicy, now: Date, opts: PurgeOptions = {}): Promise<PurgeResult> {
  const ctx: PurgeContext = { raw: db.raw, batch: opts.batch ?? 500, now, policy, keepUnconfirmed: opts.keepUnconfirmed ?? false };
  const run: PurgeRun = {
    pauseMs: opts.pauseMs ?? 5,
    stopped: opts.stopped ?? (() => false),
    busyWaitMs: opts.busyWaitMs ?? 30_000,
    counts: { access_events: 0, device_events: 0, alerts: 0, audit: 0, streetlight: 0, passes: 0, sessions: 0 },
    failed: [],
  };
  for (const step of PURGE_STEPS) await drain(db.raw, run, step.cls, step.prepare(ctx));
  return { deleted: run.counts, failed: run.failed };
}

/** One audit row per purge that deleted anything: the record of what the retention policy removed, and when. */
export function auditPurge(db: Db, counts: PurgeCounts, policy: RetentionPolicy, now: Date): void {
  db.raw
    .prepare('INSERT INTO "AuditLog" ("at", "actor", "action", "entity", "entityId", "detail") VALUES (?, ?, ?, ?, ?, ?)')
    .run(isoStored(now), 'system', 'retention.purge', 'retention', isoStored(now).slice(0, 10), JSON.stringify({ deleted: counts, policy }));
}
