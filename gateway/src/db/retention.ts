import type { RawDb } from './client';
import type { Store } from './pg-client';
import { isPgLockWait, pgAttempts } from './retention-pg';
import { PURGE_STEPS, type PurgeContext, type StepSpec, sqliteBatch } from './retention-steps';
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

export type RetentionClass = 'access_events' | 'device_events' | 'alerts' | 'audit' | 'streetlight' | 'passes' | 'sessions' | 'hub_ledgers';

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
  /** PostgreSQL: the longest one statement of a batch waits for a row or table lock (`SET LOCAL lock_timeout`). */
  lockTimeoutMs?: number;
  /** The cell replicates to a hub (HUB_NATS_URL): rows the hub has not confirmed are kept (db/replication-floor.ts). */
  keepUnconfirmed?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isSqliteBusy = (err: unknown) => typeof err === 'object' && err !== null && 'code' in err && (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED');
/** Worth another try after a pause: the database was locked (SQLite) or a lock wait timed out (PostgreSQL). */
const isBusy = (err: unknown) => isSqliteBusy(err) || isPgLockWait(err);

/** One attempt at one batch, in its own transaction: rows deleted, and whether more may be left. */
type Attempt = () => Promise<{ deleted: number; more: boolean }>;

/** The SQLite engine: the batch runs synchronously in one transaction on the raw connection. */
function sqliteAttempts(raw: RawDb, batch: number, spec: StepSpec): Attempt {
  const tx = raw.transaction(sqliteBatch(raw, batch, spec));
  return () => Promise.resolve(tx());
}

/** One purge run's pacing and its tally. */
interface PurgeRun {
  readonly pauseMs: number;
  readonly stopped: () => boolean;
  readonly busyWaitMs: number;
  readonly counts: PurgeCounts;
  readonly failed: PurgeResult['failed'];
}

/** Runs batches of a step until done or stopped; a lock held too long, or any other error, ends this class only. */
async function drain(run: PurgeRun, cls: RetentionClass, attempt: Attempt): Promise<void> {
  let busySince: number | null = null;
  for (;;) {
    if (run.stopped()) return;
    let r: { deleted: number; more: boolean };
    try {
      r = await attempt();
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
 * Deletes what has outlived its retention, oldest first, in small transactions with a pause between them, so the
 * ingest writer is never held up for more than one batch: on SQLite on the raw connection (the same file as the
 * writer's, its own connection), on PostgreSQL on a pooled connection with each lock wait bounded (retention-pg.ts).
 * One step per class of record (retention-steps.ts). Tables whose rows arrive in time order are walked by their
 * ascending key from the oldest row, and the walk stops at the first row still inside its period: no statement scans
 * a table. A device event still waiting in the alert outbox is never deleted, nor is an alert that is not cleared.
 */
export async function purgeExpired(store: Store, policy: RetentionPolicy, now: Date, opts: PurgeOptions = {}): Promise<PurgeResult> {
  const ctx: PurgeContext = { batch: opts.batch ?? 500, now, policy, keepUnconfirmed: opts.keepUnconfirmed ?? false };
  const run: PurgeRun = {
    pauseMs: opts.pauseMs ?? 5,
    stopped: opts.stopped ?? (() => false),
    busyWaitMs: opts.busyWaitMs ?? 30_000,
    counts: { access_events: 0, device_events: 0, alerts: 0, audit: 0, streetlight: 0, passes: 0, sessions: 0, hub_ledgers: 0 },
    failed: [],
  };
  const lockTimeoutMs = opts.lockTimeoutMs ?? 2_000;
  for (const step of PURGE_STEPS) {
    const spec = step.spec(ctx);
    await drain(run, step.cls, store.kind === 'sqlite' ? sqliteAttempts(store.raw, ctx.batch, spec) : pgAttempts(store.pool, ctx.batch, spec, lockTimeoutMs));
  }
  return { deleted: run.counts, failed: run.failed };
}

/** One audit row per purge that deleted anything: the record of what the retention policy removed, and when. */
export async function auditPurge(store: Store, counts: PurgeCounts, policy: RetentionPolicy, now: Date): Promise<void> {
  const row = [isoStored(now), 'system', 'retention.purge', 'retention', isoStored(now).slice(0, 10), JSON.stringify({ deleted: counts, policy })];
  const sql = 'INSERT INTO "AuditLog" ("at", "actor", "action", "entity", "entityId", "detail") VALUES ';
  if (store.kind === 'sqlite') store.raw.prepare(`${sql}(?, ?, ?, ?, ?, ?)`).run(...row);
  else await store.pool.query(`${sql}($1, $2, $3, $4, $5, $6)`, row);
}
