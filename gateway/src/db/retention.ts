import type { Db } from './client';
import { UNCONFIRMED } from './replication-floor';
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

/** Expired sessions are kept this long after their end for the security trail, then removed. */
const SESSION_TRAIL_DAYS = 30;
const DAY_MS = 86_400_000;

const cutoff = (now: Date, days: number) => isoStored(new Date(now.getTime() - days * DAY_MS));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isBusy = (err: unknown) => typeof err === 'object' && err !== null && 'code' in err && (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED');

/**
 * A purge step that walks `table` by its integer key from the oldest row upwards and deletes rows older than `before`
 * unless `keep` says not; it reports no more to do at the first row still inside its period.
 */
function walkByKey(raw: Db['raw'], batch: number, w: { table: string; key: string; time: string; before: string; keep?: string | undefined }) {
  const { table, key, time, before, keep } = w;
  const select = raw.prepare(`SELECT "${key}" AS k, "${time}" AS t FROM "${table}" WHERE "${key}" > ? ORDER BY "${key}" LIMIT ?`);
  const del = raw.prepare(`DELETE FROM "${table}" WHERE "${key}" = ?${keep ? ` AND NOT (${keep})` : ''}`);
  let cursor = -1;
  return () => {
    const rows = select.all(cursor, batch) as { k: number; t: string }[];
    let deleted = 0;
    let frontier = false;
    for (const row of rows) {
      if (row.t >= before) {
        frontier = true;
        break;
      }
      deleted += del.run(row.k).changes;
      cursor = row.k;
    }
    return { deleted, more: !frontier && rows.length === batch };
  };
}

/**
 * Deletes what has outlived its retention, oldest first, in small transactions on the raw connection with a pause
 * between them, so the ingest writer (the same file, its own connection) is never held up for more than one batch.
 * Tables whose rows arrive in time order are walked by their ascending key from the oldest row, and the walk stops at
 * the first row still inside its period: no statement scans a table. A device event still waiting in the alert
 * outbox is never deleted, nor is an alert that is not cleared.
 */
export async function purgeExpired(db: Db, policy: RetentionPolicy, now: Date, opts: PurgeOptions = {}): Promise<PurgeResult> {
  const raw = db.raw;
  const batch = opts.batch ?? 500;
  const pauseMs = opts.pauseMs ?? 5;
  const stopped = opts.stopped ?? (() => false);
  const busyWaitMs = opts.busyWaitMs ?? 30_000;
  const counts: PurgeCounts = { access_events: 0, device_events: 0, alerts: 0, audit: 0, streetlight: 0, passes: 0, sessions: 0 };
  const failed: PurgeResult['failed'] = [];

  /** Runs batches of `step` (each returns rows deleted and whether more may be left) until done or stopped. */
  async function drain(cls: RetentionClass, step: () => { deleted: number; more: boolean }) {
    let busySince: number | null = null;
    for (;;) {
      if (stopped()) return;
      let r: { deleted: number; more: boolean };
      try {
        r = raw.transaction(step)();
        busySince = null;
      } catch (err) {
        busySince ??= Date.now();
        if (!isBusy(err) || Date.now() - busySince > busyWaitMs) {
          // One class failing (e.g. a floor trigger refusing because the clock jumped) leaves the others to run.
          failed.push({ class: cls, message: err instanceof Error ? err.message : String(err) });
          return;
        }
        await sleep(100);
        continue;
      }
      counts[cls] += r.deleted;
      if (!r.more) return;
      await sleep(pauseMs);
    }
  }

  const byKey = (table: string, key: string, time: string, before: string, keep?: string) => walkByKey(raw, batch, { table, key, time, before, keep });

  // Access decisions: indexed by time.
  const accessBefore = cutoff(now, policy.accessDays);
  const keepUnconfirmed = opts.keepUnconfirmed ?? false;
  const delAccess = raw.prepare(
    `DELETE FROM "AccessEvent" WHERE "id" IN (SELECT "id" FROM "AccessEvent" WHERE "at" < ?${keepUnconfirmed ? ` AND NOT (${UNCONFIRMED.accessEvent})` : ''} ORDER BY "at" LIMIT ?)`,
  );
  await drain('access_events', () => {
    const n = delAccess.run(accessBefore, batch).changes;
    return { deleted: n, more: n === batch };
  });

  await drain(
    'device_events',
    byKey('DeviceEvent', 'seq', 'receivedAt', cutoff(now, policy.deviceEventDays), `"seq" IN (SELECT "eventSeq" FROM "AlertOutbox")${keepUnconfirmed ? ` OR ${UNCONFIRMED.deviceEvent}` : ''}`),
  );
  await drain('streetlight', byKey('StreetlightReading', 'id', 'at', cutoff(now, policy.streetlightDays)));
  await drain('audit', byKey('AuditLog', 'id', 'at', cutoff(now, policy.auditDays), keepUnconfirmed ? UNCONFIRMED.auditLog : undefined));

  // Cleared alerts with their history and notification records, one alert whole or not at all.
  const alertsBefore = cutoff(now, policy.alertDays);
  const oldAlerts = raw.prepare(
    `SELECT "id" FROM "Alert" a WHERE "status" = 'cleared' AND "clearedAt" < ?${keepUnconfirmed ? ` AND NOT ${UNCONFIRMED.alert('a')}` : ''} LIMIT ?`,
  );
  const delDeliveries = raw.prepare('DELETE FROM "NotificationDelivery" WHERE "alertId" = ?');
  const delHistory = raw.prepare('DELETE FROM "AlertHistory" WHERE "alertId" = ?');
  const delAlert = raw.prepare('DELETE FROM "Alert" WHERE "id" = ?');
  const alertBatch = Math.max(1, Math.floor(batch / 10));
  await drain('alerts', () => {
    const ids = oldAlerts.all(alertsBefore, alertBatch) as { id: string }[];
    for (const { id } of ids) {
      delDeliveries.run(id);
      delHistory.run(id);
      delAlert.run(id);
    }
    return { deleted: ids.length, more: ids.length === alertBatch };
  });

  // Visitor passes that ended (expired or revoked) before the period.
  const passesBefore = cutoff(now, policy.passDays);
  const delPasses = raw.prepare(
    `DELETE FROM "VisitorPass" WHERE "id" IN (SELECT "id" FROM "VisitorPass" WHERE "validUntil" < @before OR ("status" = 'revoked' AND "revokedAt" < @before) LIMIT @limit)`,
  );
  await drain('passes', () => {
    const n = delPasses.run({ before: passesBefore, limit: batch }).changes;
    return { deleted: n, more: n === batch };
  });
  // Walk-in requests the guard asked a household about (the visitor's name, a masked phone): the passes' period.
  const delWalkIns = raw.prepare(`DELETE FROM "WalkInRequest" WHERE "id" IN (SELECT "id" FROM "WalkInRequest" WHERE "createdAt" < @before LIMIT @limit)`);
  await drain('passes', () => {
    const n = delWalkIns.run({ before: passesBefore, limit: batch }).changes;
    return { deleted: n, more: n === batch };
  });

  const sessionsBefore = cutoff(now, SESSION_TRAIL_DAYS);
  const delSessions = raw.prepare(
    `DELETE FROM "Session" WHERE "tokenHash" IN (SELECT "tokenHash" FROM "Session" WHERE "expiresAt" < @before OR "revokedAt" < @before LIMIT @limit)`,
  );
  await drain('sessions', () => {
    const n = delSessions.run({ before: sessionsBefore, limit: batch }).changes;
    return { deleted: n, more: n === batch };
  });

  return { deleted: counts, failed };
}

/** One audit row per purge that deleted anything: the record of what the retention policy removed, and when. */
export function auditPurge(db: Db, counts: PurgeCounts, policy: RetentionPolicy, now: Date): void {
  db.raw
    .prepare('INSERT INTO "AuditLog" ("at", "actor", "action", "entity", "entityId", "detail") VALUES (?, ?, ?, ?, ?, ?)')
    .run(isoStored(now), 'system', 'retention.purge', 'retention', isoStored(now).slice(0, 10), JSON.stringify({ deleted: counts, policy }));
}
