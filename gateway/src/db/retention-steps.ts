import type { Db } from './client';
import { UNCONFIRMED } from './replication-floor';
import type { RetentionClass, RetentionPolicy } from './retention';
import { isoStored } from './time';

/*
 * The steps of a retention purge (retention.ts runs them in this order), one per class of record. Each prepares its
 * statements and returns a batch: one small transaction's worth of deletes, saying whether more may be left.
 */

/** What every step reads; purgeExpired builds it once per run. */
export interface PurgeContext {
  readonly raw: Db['raw'];
  /** Rows per transaction. */
  readonly batch: number;
  readonly now: Date;
  readonly policy: RetentionPolicy;
  /** The cell replicates to a hub: rows the hub has not confirmed are kept (db/replication-floor.ts). */
  readonly keepUnconfirmed: boolean;
}

/** One transaction's worth of a step: rows deleted, and whether more may be left. */
export type PurgeBatch = () => { deleted: number; more: boolean };

export interface PurgeStep {
  readonly cls: RetentionClass;
  prepare(ctx: PurgeContext): PurgeBatch;
}

/** Expired sessions are kept this long after their end for the security trail, then removed. */
const SESSION_TRAIL_DAYS = 30;
const DAY_MS = 86_400_000;

const cutoff = (ctx: PurgeContext, days: number) => isoStored(new Date(ctx.now.getTime() - days * DAY_MS));

/**
 * A step that walks `table` by its integer key from the oldest row upwards and deletes rows older than `before`
 * unless `keep` says not; it reports no more to do at the first row still inside its period.
 */
function walkByKey(ctx: PurgeContext, w: { table: string; key: string; time: string; before: string; keep?: string | undefined }): PurgeBatch {
  const { table, key, time, before, keep } = w;
  const { raw, batch } = ctx;
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

/** A step of one DELETE per batch whose statement picks at most `@limit` rows older than `@before`. */
function limitedDelete(ctx: PurgeContext, sql: string, before: string): PurgeBatch {
  const del = ctx.raw.prepare(sql);
  return () => {
    const n = del.run({ before, limit: ctx.batch }).changes;
    return { deleted: n, more: n === ctx.batch };
  };
}

/** Cleared alerts with their history and notification records, one alert whole or not at all. */
function clearedAlerts(ctx: PurgeContext): PurgeBatch {
  const { raw } = ctx;
  const before = cutoff(ctx, ctx.policy.alertDays);
  const oldAlerts = raw.prepare(
    `SELECT "id" FROM "Alert" a WHERE "status" = 'cleared' AND "clearedAt" < ?${ctx.keepUnconfirmed ? ` AND NOT ${UNCONFIRMED.alert('a')}` : ''} LIMIT ?`,
  );
  const delDeliveries = raw.prepare('DELETE FROM "NotificationDelivery" WHERE "alertId" = ?');
  const delHistory = raw.prepare('DELETE FROM "AlertHistory" WHERE "alertId" = ?');
  const delAlert = raw.prepare('DELETE FROM "Alert" WHERE "id" = ?');
  const alertBatch = Math.max(1, Math.floor(ctx.batch / 10));
  return () => {
    const ids = oldAlerts.all(before, alertBatch) as { id: string }[];
    for (const { id } of ids) {
      delDeliveries.run(id);
      delHistory.run(id);
      delAlert.run(id);
    }
    return { deleted: ids.length, more: ids.length === alertBatch };
  };
}

/** The steps in the order a purge runs them. */
export const PURGE_STEPS: readonly PurgeStep[] = [
  {
    // Access decisions: indexed by time.
    cls: 'access_events',
    prepare: (ctx) =>
      limitedDelete(
        ctx,
        `DELETE FROM "AccessEvent" WHERE "id" IN (SELECT "id" FROM "AccessEvent" WHERE "at" < @before${ctx.keepUnconfirmed ? ` AND NOT (${UNCONFIRMED.accessEvent})` : ''} ORDER BY "at" LIMIT @limit)`,
        cutoff(ctx, ctx.policy.accessDays),
      ),
  },
  {
    cls: 'device_events',
    prepare: (ctx) =>
      walkByKey(ctx, {
        table: 'DeviceEvent',
        key: 'seq',
        time: 'receivedAt',
        before: cutoff(ctx, ctx.policy.deviceEventDays),
        keep: `"seq" IN (SELECT "eventSeq" FROM "AlertOutbox")${ctx.keepUnconfirmed ? ` OR ${UNCONFIRMED.deviceEvent}` : ''}`,
      }),
  },
  { cls: 'streetlight', prepare: (ctx) => walkByKey(ctx, { table: 'StreetlightReading', key: 'id', time: 'at', before: cutoff(ctx, ctx.policy.streetlightDays) }) },
  {
    cls: 'audit',
    prepare: (ctx) =>
      walkByKey(ctx, { table: 'AuditLog', key: 'id', time: 'at', before: cutoff(ctx, ctx.policy.auditDays), keep: ctx.keepUnconfirmed ? UNCONFIRMED.auditLog : undefined }),
  },
  { cls: 'alerts', prepare: clearedAlerts },
  {
    // Visitor passes that ended (expired or revoked) before the period.
    cls: 'passes',
    prepare: (ctx) =>
      limitedDelete(
        ctx,
        `DELETE FROM "VisitorPass" WHERE "id" IN (SELECT "id" FROM "VisitorPass" WHERE "validUntil" < @before OR ("status" = 'revoked' AND "revokedAt" < @before) LIMIT @limit)`,
        cutoff(ctx, ctx.policy.passDays),
      ),
  },
  {
    // Walk-in requests the guard asked a household about (the visitor's name, a masked phone): the passes' period.
    cls: 'passes',
    prepare: (ctx) =>
      limitedDelete(
        ctx,
        `DELETE FROM "WalkInRequest" WHERE "id" IN (SELECT "id" FROM "WalkInRequest" WHERE "createdAt" < @before LIMIT @limit)`,
        cutoff(ctx, ctx.policy.passDays),
      ),
  },
  {
    cls: 'sessions',
    prepare: (ctx) =>
      limitedDelete(
        ctx,
        `DELETE FROM "Session" WHERE "tokenHash" IN (SELECT "tokenHash" FROM "Session" WHERE "expiresAt" < @before OR "revokedAt" < @before LIMIT @limit)`,
        cutoff(ctx, SESSION_TRAIL_DAYS),
      ),
  },
];
