import type { Alert } from '../contracts/api/alerts';
import { type AlertWrites, COLUMNS, type DeliveryRow, type HistoryRow } from './alert-row';
import type { RawDb } from './client';
import { pgAlertWrites } from './pg-alert-writes';
import type { Store } from './pg-client';

export type { AlertWrites, DeliveryRow, HistoryRow } from './alert-row';

/** Times in the text format Prisma's adapter writes and reads (ISO 8601, explicit +00:00). */
const stored = (iso: string | null) => (iso === null ? null : new Date(iso).toISOString().replace('Z', '+00:00'));

function params(a: Alert) {
  return {
    id: a.id,
    type: a.type,
    severity: a.severity,
    status: a.status,
    latched: a.latched ? 1 : 0,
    priority: a.priority,
    deviceId: a.deviceId,
    householdId: a.householdId,
    place: JSON.stringify(a.place),
    tags: JSON.stringify(a.tags),
    detail: JSON.stringify(a.detail),
    count: a.count,
    firstAt: stored(a.firstAt),
    lastAt: stored(a.lastAt),
    cancelRequestedAt: stored(a.cancelRequestedAt),
    ackedBy: a.ackedBy,
    ackedAt: stored(a.ackedAt),
    ackNote: a.ackNote,
    onSiteBy: a.onSiteBy,
    onSiteAt: stored(a.onSiteAt),
    clearedBy: a.clearedBy,
    clearedAt: stored(a.clearedAt),
    clearNote: a.clearNote,
    assignedTo: a.assignedTo,
    escalationLevel: a.escalationLevel,
    nextDeadlineAt: stored(a.nextDeadlineAt),
    deadlineKind: a.deadlineKind,
  };
}

/** The alert write path on SQLite (the raw connection, synchronous transactions) or PostgreSQL (db/pg-alert-writes.ts). */
export function alertWrites(store: Store): AlertWrites {
  return store.kind === 'sqlite' ? sqliteAlertWrites(store.raw) : pgAlertWrites(store.pool);
}

/**
 * The alert write path on the raw better-sqlite3 connection: the alert row, its history row (with the snapshot the
 * live stream replays), the audit entry and the outbox rows in one synchronous transaction. Measured against Prisma's
 * batch transaction (docs/benchmarks.md): ~0.3 ms instead of ~8 ms, which is most of an alarm's way to the screen.
 * Being synchronous on the ingest writer's own connection, it never interleaves with a group commit.
 */
function sqliteAlertWrites(raw: RawDb): AlertWrites {
  const insertAlert = raw.prepare(`INSERT INTO Alert (id, dedupKey, ${COLUMNS.join(', ')}) VALUES (@id, @dedupKey, ${COLUMNS.map((c) => `@${c}`).join(', ')})`);
  const updateAlert = raw.prepare(`UPDATE Alert SET ${COLUMNS.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id AND status = @expectStatus AND escalationLevel = @expectLevel`);
  const insertHistory = raw.prepare('INSERT INTO AlertHistory (alertId, at, action, actor, note, detail, snapshot, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const insertAudit = raw.prepare('INSERT INTO AuditLog (at, actor, action, entity, entityId, detail) VALUES (?, ?, ?, ?, ?, ?)');
  const markDone = raw.prepare('DELETE FROM AlertOutbox WHERE id = ?');
  const insertDelivery = raw.prepare("INSERT INTO NotificationDelivery (id, alertId, level, target, body, status, attempts, nextTryAt, createdAt) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)");

  const rest = (a: Alert, h: HistoryRow, audit: string, outbox: readonly DeliveryRow[], done: readonly number[]): number => {
    const at = stored(h.at.toISOString());
    // The alert outbox entries this change judged are done in the same transaction (exactly once, across crashes).
    for (const id of done) markDone.run(id);
    const id = Number(insertHistory.run(a.id, at, h.action, h.actor, h.note, h.detail, JSON.stringify(a), h.source).lastInsertRowid);
    insertAudit.run(at, h.actor, `alert.${h.action}`, 'Alert', a.id, audit);
    for (const o of outbox) insertDelivery.run(o.id, a.id, o.level, o.target, o.body, at, at);
    return id;
  };

  const insertTx = raw.transaction((a: Alert, dedupKey: string, h: HistoryRow, audit: string, outbox: readonly DeliveryRow[], done: readonly number[]) => {
    insertAlert.run({ ...params(a), dedupKey });
    return rest(a, h, audit, outbox, done);
  });
  const updateTx = raw.transaction((a: Alert, expect: { status: string; escalationLevel: number }, h: HistoryRow, audit: string, outbox: readonly DeliveryRow[], done: readonly number[]) => {
    const r = updateAlert.run({ ...params(a), expectStatus: expect.status, expectLevel: expect.escalationLevel });
    if (r.changes !== 1) return null;
    return rest(a, h, audit, outbox, done);
  });
  const doneTx = raw.transaction((ids: readonly number[]) => {
    for (const id of ids) markDone.run(id);
  });

  return {
    insert: (a: Alert, dedupKey: string, h: HistoryRow, audit: string, outbox: readonly DeliveryRow[], done: readonly number[]) =>
      retryBusy(() => insertTx(a, dedupKey, h, audit, outbox, done)),
    update: (a: Alert, expect: { status: string; escalationLevel: number }, h: HistoryRow, audit: string, outbox: readonly DeliveryRow[], done: readonly number[]) =>
      retryBusy(() => updateTx(a, expect, h, audit, outbox, done)),
    done: (ids: readonly number[]) => retryBusy(() => doneTx(ids)),
  };
}

/**
 * The raw connection never blocks on a lock (busy_timeout=0: a wait would freeze the event loop). Another connection
 * (Prisma's) may hold the write lock for a few milliseconds across ticks; the write is retried promptly meanwhile.
 */
async function retryBusy<T>(fn: () => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if ((code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') || attempt >= 200) throw err;
      await new Promise((r) => setTimeout(r, Math.min(20, 1 + attempt)));
    }
  }
}
