import type pg from 'pg';
import { boundLockWaits, pgTransaction } from './pg-tx';
import { type StepSpec, alertBatch, oldAlertsSql } from './retention-steps';

/*
 * The PostgreSQL engine of the retention steps (retention-steps.ts describes them once): each batch is one short
 * transaction on a pooled connection, its lock waits bounded by `SET LOCAL lock_timeout`, so a purge never queues
 * behind (or in front of) the ingest writer's group commit for long. The legal floors are enforced by the database's
 * own triggers (prisma/postgres/migrations/*_rules.sql), against the server's clock, as SQLite's triggers do.
 */

/** One batch on PostgreSQL, inside the transaction drainPg opened; `advance` runs once it has committed. */
type PgBatch = (c: pg.PoolClient) => Promise<{ deleted: number; more: boolean; advance?: () => void }>;

/** `@name` parameters (the steps' shared statement text) as PostgreSQL's numbered ones, in the order `names` gives. */
export function numbered(sql: string, names: readonly string[]): string {
  return sql.replace(/@(\w+)/g, (m, name: string) => {
    const i = names.indexOf(name);
    return i < 0 ? m : `$${i + 1}`;
  });
}

function walkByKey(batch: number, w: Extract<StepSpec, { how: 'walk' }>): PgBatch {
  const { table, key, time, before, keep } = w;
  // The time comparison is the server's: rows carry timestamptz, not the text SQLite compares.
  const select = `SELECT "${key}" AS k, "${time}" < $2 AS old FROM "${table}" WHERE "${key}" > $1 ORDER BY "${key}" LIMIT $3`;
  const del = `DELETE FROM "${table}" WHERE "${key}" = ANY($1::int[])${keep ? ` AND NOT (${keep})` : ''}`;
  let cursor = -1;
  return async (c) => {
    const rows = (await c.query<{ k: number; old: boolean }>(select, [cursor, before, batch])).rows;
    const expired: number[] = [];
    for (const row of rows) {
      if (!row.old) break;
      expired.push(row.k);
    }
    const deleted = expired.length > 0 ? ((await c.query(del, [expired])).rowCount ?? 0) : 0;
    const last = expired.at(-1);
    return { deleted, more: expired.length === rows.length && rows.length === batch, advance: () => (cursor = last ?? cursor) };
  };
}

function limitedDelete(batch: number, sql: string, before: string): PgBatch {
  const text = numbered(sql, ['before', 'limit']);
  return async (c) => {
    const n = (await c.query(text, [before, batch])).rowCount ?? 0;
    return { deleted: n, more: n === batch };
  };
}

function clearedAlerts(batch: number, a: Extract<StepSpec, { how: 'alerts' }>): PgBatch {
  const select = numbered(oldAlertsSql(a.keepUnconfirmed), ['before', 'limit']);
  const limit = alertBatch(batch);
  return async (c) => {
    const ids = (await c.query<{ id: string }>(select, [a.before, limit])).rows.map((r) => r.id);
    if (ids.length > 0) {
      // History before its alert: the history's trigger checks that its alert is cleared and old enough.
      await c.query('DELETE FROM "NotificationDelivery" WHERE "alertId" = ANY($1::text[])', [ids]);
      await c.query('DELETE FROM "AlertHistory" WHERE "alertId" = ANY($1::text[])', [ids]);
      await c.query('DELETE FROM "Alert" WHERE "id" = ANY($1::text[])', [ids]);
    }
    return { deleted: ids.length, more: ids.length === limit };
  };
}

function pgBatch(batch: number, spec: StepSpec): PgBatch {
  if (spec.how === 'walk') return walkByKey(batch, spec);
  if (spec.how === 'limited') return limitedDelete(batch, spec.sql, spec.before);
  return clearedAlerts(batch, spec);
}

/**
 * A step as attempts of one transaction each: BEGIN, a bounded lock wait, the batch, COMMIT (or ROLLBACK and the
 * error, which retention.ts judges: a lock timeout is retried, anything else fails the class).
 */
export function pgAttempts(pool: pg.Pool, batch: number, spec: StepSpec, lockTimeoutMs: number): () => Promise<{ deleted: number; more: boolean }> {
  const step = pgBatch(batch, spec);
  return async () => {
    const r = await pgTransaction(pool, async (c) => {
      await boundLockWaits(c, lockTimeoutMs);
      return { commit: true, value: await step(c) };
    });
    r.advance?.();
    return { deleted: r.deleted, more: r.more };
  };
}

/** A lock PostgreSQL did not grant within lock_timeout (55P03), or a deadlock it broke (40P01): worth another try. */
export const isPgLockWait = (err: unknown) => typeof err === 'object' && err !== null && 'code' in err && (err.code === '55P03' || err.code === '40P01');
