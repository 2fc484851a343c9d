import type { RawDb } from './client';
import { UNCONFIRMED } from './replication-floor';
import type { RetentionClass, RetentionPolicy } from './retention';
import { isoStored } from './time';

/*
 * The steps of a retention purge (retention.ts runs them in this order), one per class of record. Each step is
 * described once (what to delete, in which order, what to keep) and run by one of two engines: the SQLite one below
 * (synchronous statements on the raw connection) and the PostgreSQL one (retention-pg.ts). Each engine turns a step
 * into batches: one small transaction's worth of deletes, saying whether more may be left.
 */

/** What every step reads; purgeExpired builds it once per run. */
export interface PurgeContext {
  /** Rows per transaction. */
  readonly batch: number;
  readonly now: Date;
  readonly policy: RetentionPolicy;
  /** The cell replicates to a hub: rows the hub has not confirmed are kept (db/replication-floor.ts). */
  readonly keepUnconfirmed: boolean;
}

/**
 * What one step deletes. `walk`: a table whose rows arrive in time order, walked by its integer key from the oldest
 * row upwards, deleting rows older than `before` unless `keep` says not, and stopping at the first row still inside
 * its period. `limited`: one DELETE per batch whose statement picks at most `@limit` rows older than `@before`.
 * `alerts`: cleared alerts with their history and notification records, one alert whole or not at all.
 */
export type StepSpec =
  | { readonly how: 'walk'; readonly table: string; readonly key: string; readonly time: string; readonly before: string; readonly keep?: string | undefined }
  | { readonly how: 'limited'; readonly sql: string; readonly before: string }
  | { readonly how: 'alerts'; readonly before: string; readonly keepUnconfirmed: boolean };

export interface PurgeStep {
  readonly cls: RetentionClass;
  spec(ctx: PurgeContext): StepSpec;
}

/** One transaction's worth of a step on SQLite: rows deleted, and whether more may be left. */
export type PurgeBatch = () => { deleted: number; more: boolean };

/** Expired sessions are kept this long after their end for the security trail, then removed. */
const SESSION_TRAIL_DAYS = 30;
/**
 * The cell's ledgers of the hub's commands (HubCommand, DownlinkApplied) exist to refuse or answer a command seen again
 * by its id. A remote open is refused after its expiry anyway (at most HUB_COMMAND_TIMEOUT_MS, 2 minutes), and a
 * downlink command can come again only while the hub's stream holds it (a week): a month covers both with room for
 * clocks and outages. What the commands did stays in AuditLog and AccessEvent for their own periods.
 */
export const HUB_LEDGER_DAYS = 30;
const DAY_MS = 86_400_000;

/** The instant `days` before the run's `now`, as SQLite stores times (PostgreSQL reads the same text as timestamptz). */
const cutoff = (ctx: PurgeContext, days: number) => isoStored(new Date(ctx.now.getTime() - days * DAY_MS));

/** Alerts a batch takes: each brings its history and deliveries, so fewer than `batch`. */
export const alertBatch = (batch: number) => Math.max(1, Math.floor(batch / 10));

/** The cleared alerts past their period, at most `@limit` of them (both engines' statement). */
export const oldAlertsSql = (keepUnconfirmed: boolean) =>
  `SELECT "id" FROM "Alert" a WHERE "status" = 'cleared' AND "clearedAt" < @before${keepUnconfirmed ? ` AND NOT ${UNCONFIRMED.alert('a')}` : ''} LIMIT @limit`;

function walkByKey(raw: RawDb, batch: number, w: Extract<StepSpec, { how: 'walk' }>): PurgeBatch {
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

function limitedDelete(raw: RawDb, batch: number, sql: string, before: string): PurgeBatch {
  const del = raw.prepare(sql);
  return () => {
    const n = del.run({ before, limit: batch }).changes;
    return { deleted: n, more: n === batch };
  };
}

function clearedAlerts(raw: RawDb, batch: number, a: Extract<StepSpec, { how: 'alerts' }>): PurgeBatch {
  const oldAlerts = raw.prepare(oldAlertsSql(a.keepUnconfirmed));
  const delDeliveries = raw.prepare('DELETE FROM "NotificationDelivery" WHERE "alertId" = ?');
  const delHistory = raw.prepare('DELETE FROM "AlertHistory" WHERE "alertId" = ?');
  const delAlert = raw.prepare('DELETE FROM "Alert" WHERE "id" = ?');
  const limit = alertBatch(batch);
  return () => {
    const ids = oldAlerts.all({ before: a.before, limit }) as { id: string }[];
    for (const { id } of ids) {
      delDeliveries.run(id);
      delHistory.run(id);
      delAlert.run(id);
    }
    return { deleted: ids.length, more: ids.length === limit };
  };
}

/** The SQLite engine: a step's statements prepared on the raw connection, one batch per call. */
export function sqliteBatch(raw: RawDb, batch: number, spec: StepSpec): PurgeBatch {
  if (spec.how === 'walk') return walkByKey(raw, batch, spec);
  if (spec.how === 'limited') return limitedDelete(raw, batch, spec.sql, spec.before);
  return clearedAlerts(raw, batch, spec);
}

/** The steps in the order a purge runs them. */
export const PURGE_STEPS: readonly PurgeStep[] = [
  {
    // Access decisions: indexed by time.
    cls: 'access_events',
    spec: (ctx) => ({
      how: 'limited',
      sql: `DELETE FROM "AccessEvent" WHERE "id" IN (SELECT "id" FROM "AccessEvent" WHERE "at" < @before${ctx.keepUnconfirmed ? ` AND NOT (${UNCONFIRMED.accessEvent})` : ''} ORDER BY "at" LIMIT @limit)`,
      before: cutoff(ctx, ctx.policy.accessDays),
    }),
  },
  {
    cls: 'device_events',
    spec: (ctx) => ({
      how: 'walk',
      table: 'DeviceEvent',
      key: 'seq',
      time: 'receivedAt',
      before: cutoff(ctx, ctx.policy.deviceEventDays),
      keep: `"seq" IN (SELECT "eventSeq" FROM "AlertOutbox")${ctx.keepUnconfirmed ? ` OR ${UNCONFIRMED.deviceEvent}` : ''}`,
    }),
  },
  { cls: 'streetlight', spec: (ctx) => ({ how: 'walk', table: 'StreetlightReading', key: 'id', time: 'at', before: cutoff(ctx, ctx.policy.streetlightDays) }) },
  {
    cls: 'audit',
    spec: (ctx) => ({ how: 'walk', table: 'AuditLog', key: 'id', time: 'at', before: cutoff(ctx, ctx.policy.auditDays), keep: ctx.keepUnconfirmed ? UNCONFIRMED.auditLog : undefined }),
  },
  { cls: 'alerts', spec: (ctx) => ({ how: 'alerts', before: cutoff(ctx, ctx.policy.alertDays), keepUnconfirmed: ctx.keepUnconfirmed }) },
  {
    // Visitor passes that ended (expired or revoked) before the period.
    cls: 'passes',
    spec: (ctx) => ({
      how: 'limited',
      sql: `DELETE FROM "VisitorPass" WHERE "id" IN (SELECT "id" FROM "VisitorPass" WHERE "validUntil" < @before OR ("status" = 'revoked' AND "revokedAt" < @before) LIMIT @limit)`,
      before: cutoff(ctx, ctx.policy.passDays),
    }),
  },
  {
    // Walk-in requests the guard asked a household about (the visitor's name, a masked phone): the passes' period.
    cls: 'passes',
    spec: (ctx) => ({
      how: 'limited',
      sql: `DELETE FROM "WalkInRequest" WHERE "id" IN (SELECT "id" FROM "WalkInRequest" WHERE "createdAt" < @before LIMIT @limit)`,
      before: cutoff(ctx, ctx.policy.passDays),
    }),
  },
  {
    // Remote opens the hub sent: indexed by when they came.
    cls: 'hub_ledgers',
    spec: (ctx) => ({
      how: 'limited',
      sql: `DELETE FROM "HubCommand" WHERE "id" IN (SELECT "id" FROM "HubCommand" WHERE "receivedAt" < @before LIMIT @limit)`,
      before: cutoff(ctx, HUB_LEDGER_DAYS),
    }),
  },
  {
    // Downlink commands applied or refused (their outcome, to answer a redelivery).
    cls: 'hub_ledgers',
    spec: (ctx) => ({
      how: 'limited',
      sql: `DELETE FROM "DownlinkApplied" WHERE "commandId" IN (SELECT "commandId" FROM "DownlinkApplied" WHERE "at" < @before LIMIT @limit)`,
      before: cutoff(ctx, HUB_LEDGER_DAYS),
    }),
  },
  {
    cls: 'sessions',
    spec: (ctx) => ({
      how: 'limited',
      sql: `DELETE FROM "Session" WHERE "tokenHash" IN (SELECT "tokenHash" FROM "Session" WHERE "expiresAt" < @before OR "revokedAt" < @before LIMIT @limit)`,
      before: cutoff(ctx, SESSION_TRAIL_DAYS),
    }),
  },
];
