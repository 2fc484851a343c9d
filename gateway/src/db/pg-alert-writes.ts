import type pg from 'pg';
import type { Alert } from '../contracts/api/alerts';
import { type AlertWrites, COLUMNS, type DeliveryRow, type HistoryRow } from './alert-row';
import { pgTransaction } from './pg-tx';

type Column = (typeof COLUMNS)[number];

/** The alert's row as PostgreSQL takes it: times as ISO instants (timestamptz), `latched` a real boolean. */
function rowOf(a: Alert): Record<Column, string | number | boolean | null> {
  return {
    type: a.type,
    severity: a.severity,
    status: a.status,
    latched: a.latched,
    priority: a.priority,
    deviceId: a.deviceId,
    householdId: a.householdId,
    place: JSON.stringify(a.place),
    tags: JSON.stringify(a.tags),
    detail: JSON.stringify(a.detail),
    count: a.count,
    firstAt: a.firstAt,
    lastAt: a.lastAt,
    cancelRequestedAt: a.cancelRequestedAt,
    ackedBy: a.ackedBy,
    ackedAt: a.ackedAt,
    ackNote: a.ackNote,
    onSiteBy: a.onSiteBy,
    onSiteAt: a.onSiteAt,
    clearedBy: a.clearedBy,
    clearedAt: a.clearedAt,
    clearNote: a.clearNote,
    assignedTo: a.assignedTo,
    escalationLevel: a.escalationLevel,
    nextDeadlineAt: a.nextDeadlineAt,
    deadlineKind: a.deadlineKind,
  };
}

const values = (a: Alert) => {
  const row = rowOf(a);
  return COLUMNS.map((c) => row[c]);
};

const N = COLUMNS.length;
const INSERT_ALERT = `INSERT INTO "Alert" ("id", "dedupKey", ${COLUMNS.map((c) => `"${c}"`).join(', ')})
  VALUES ($1, $2, ${COLUMNS.map((_, i) => `$${i + 3}`).join(', ')})`;
// The conditional update: only the state the caller computed from is changed (READ COMMITTED re-checks the condition
// on the row's newest version when another transaction changed it meanwhile, so a stale expectation matches nothing).
const UPDATE_ALERT = `UPDATE "Alert" SET ${COLUMNS.map((c, i) => `"${c}" = $${i + 2}`).join(', ')}
  WHERE "id" = $1 AND "status" = $${N + 2} AND "escalationLevel" = $${N + 3}`;
const MARK_DONE = 'DELETE FROM "AlertOutbox" WHERE "id" = ANY($1::int[])';
const INSERT_HISTORY = `INSERT INTO "AlertHistory" ("alertId", "at", "action", "actor", "note", "detail", "snapshot", "source")
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING "id"`;
const INSERT_AUDIT = 'INSERT INTO "AuditLog" ("at", "actor", "action", "entity", "entityId", "detail") VALUES ($1, $2, $3, \'Alert\', $4, $5)';
const INSERT_DELIVERIES = `INSERT INTO "NotificationDelivery" ("id", "alertId", "level", "target", "body", "status", "attempts", "nextTryAt", "createdAt")
  SELECT d.id, $1, d.level, d.target, d.body, 'pending', 0, $2, $2 FROM unnest($3::text[], $4::int[], $5::text[], $6::text[]) AS d(id, level, target, body)`;

/** The outbox entries it judged, the history row with its snapshot, the audit entry, the deliveries. */
async function rest(c: pg.PoolClient, a: Alert, h: HistoryRow, audit: string, outbox: readonly DeliveryRow[], done: readonly number[]): Promise<number> {
  if (done.length > 0) await c.query(MARK_DONE, [done]);
  const r = await c.query<{ id: number }>(INSERT_HISTORY, [a.id, h.at, h.action, h.actor, h.note, h.detail, JSON.stringify(a), h.source]);
  const id = r.rows[0]?.id;
  if (id === undefined) throw new Error('AlertHistory insert returned no id');
  await c.query(INSERT_AUDIT, [h.at, h.actor, `alert.${h.action}`, a.id, audit]);
  if (outbox.length > 0) {
    await c.query(INSERT_DELIVERIES, [a.id, h.at, outbox.map((o) => o.id), outbox.map((o) => o.level), outbox.map((o) => o.target), outbox.map((o) => o.body)]);
  }
  return id;
}

/**
 * The alert write path on PostgreSQL (docs/storage.md, "Alerts on PostgreSQL"): the same rows as on SQLite
 * (db/alert-writes.ts) in one transaction on a connection of the pool. Lock waits are PostgreSQL's own (they do
 * not block the event loop), so there is no busy retry here; a failed change is retried by the lifecycle.
 */
export function pgAlertWrites(pool: pg.Pool): AlertWrites {
  return {
    insert: (a, dedupKey, h, audit, outbox, done) =>
      pgTransaction(pool, async (c) => {
        await c.query(INSERT_ALERT, [a.id, dedupKey, ...values(a)]);
        return { commit: true, value: await rest(c, a, h, audit, outbox, done) };
      }),
    update: (a, expect, h, audit, outbox, done) =>
      pgTransaction(pool, async (c) => {
        const r = await c.query(UPDATE_ALERT, [a.id, ...values(a), expect.status, expect.escalationLevel]);
        if (r.rowCount !== 1) return { commit: false, value: null };
        return { commit: true, value: await rest(c, a, h, audit, outbox, done) };
      }),
    async done(ids) {
      if (ids.length > 0) await pool.query(MARK_DONE, [ids]);
    },
  };
}
