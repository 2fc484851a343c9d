import { setImmediate as yieldToLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { ExportKind } from '../contracts/api/transfer';
import type { AuditEntry } from './access';
import type { PgDb, Store } from './pg-client';
import { isoStored } from './time';

/** Rows handed over at a time: the event loop (MQTT, ingest) runs between chunks. */
const CHUNK = 2_000;

export interface ExportRange {
  /** Inclusive start and exclusive end, as instants. */
  from: Date;
  to: Date;
  communityId: string;
}

export interface ExportSource {
  /** Column keys in the order of every row. */
  columns: readonly string[];
  /** Time columns (ISO strings, as SQLite stores them and as the PostgreSQL source renders its timestamptz), shown in the compound's time zone by the writer. */
  timeColumns: ReadonlySet<string>;
  chunks: AsyncGenerator<unknown[][]>;
}

const COMMUNITY_OF_HOUSEHOLD = 'SELECT b.communityId FROM Household h JOIN Unit u ON u.id = h.unitId JOIN Building b ON b.id = u.buildingId WHERE h.id = ';

/**
 * Read-only queries for the exports, each on its OWN read-only connection: an open iterator keeps its connection
 * busy, and the ingest writer's connection must stay free. WAL gives the export one consistent snapshot while
 * devices keep writing; rows stream in chunks, ordered by time, so memory stays flat however long the range.
 */
const QUERIES: Record<ExportKind, { columns: string[]; time: string[]; sql: string }> = {
  access: {
    columns: ['at', 'deviceId', 'deviceName', 'direction', 'credentialType', 'decision', 'reason', 'household', 'resident', 'passId', 'offline', 'receivedAt'],
    time: ['at', 'receivedAt'],
    sql: `SELECT e.at, e.deviceId, d.name, e.direction, e.credentialType, e.decision, e.reason, h.label, r.name, e.passId, e.offline, e.receivedAt
          FROM AccessEvent e JOIN Device d ON d.id = e.deviceId
          LEFT JOIN Household h ON h.id = e.householdId LEFT JOIN Resident r ON r.id = e.residentId
          WHERE e.at >= @from AND e.at < @to AND d.communityId = @communityId
          ORDER BY e.at, e.rowid`,
  },
  alerts: {
    columns: ['alertId', 'type', 'severity', 'status', 'place', 'household', 'firstAt', 'clearedAt', 'historyAt', 'action', 'actor', 'note'],
    time: ['firstAt', 'clearedAt', 'historyAt'],
    sql: `SELECT a.id, a.type, a.severity, a.status, json_extract(a.place, '$.label'), h.label, a.firstAt, a.clearedAt, x.at, x.action, x.actor, x.note
          FROM Alert a LEFT JOIN AlertHistory x ON x.alertId = a.id
          LEFT JOIN Device d ON d.id = a.deviceId LEFT JOIN Household h ON h.id = a.householdId
          WHERE a.firstAt >= @from AND a.firstAt < @to
            AND COALESCE(d.communityId, (${COMMUNITY_OF_HOUSEHOLD}a.householdId), @communityId) = @communityId
          ORDER BY a.firstAt, a.id, x.id`,
  },
  audit: {
    columns: ['at', 'actor', 'action', 'entity', 'entityId', 'detail'],
    time: ['at'],
    sql: 'SELECT at, actor, action, entity, entityId, detail FROM AuditLog WHERE at >= @from AND at < @to ORDER BY id',
  },
};

/**
 * The same exports on PostgreSQL: the same columns in the same order, identifiers quoted, the place label read with
 * PostgreSQL's JSON operator, `offline` as 0/1 as SQLite gives it, the id as the tie-breaker (there is no rowid).
 */
const PG_SQL: Record<ExportKind, string> = {
  access: `SELECT e."at", e."deviceId", d."name", e."direction", e."credentialType", e."decision", e."reason", h."label", r."name", e."passId", e."offline"::int, e."receivedAt"
           FROM "AccessEvent" e JOIN "Device" d ON d."id" = e."deviceId"
           LEFT JOIN "Household" h ON h."id" = e."householdId" LEFT JOIN "Resident" r ON r."id" = e."residentId"
           WHERE e."at" >= $1 AND e."at" < $2 AND d."communityId" = $3
           ORDER BY e."at", e."id"`,
  alerts: `SELECT a."id", a."type", a."severity", a."status", a."place"::json ->> 'label', h."label", a."firstAt", a."clearedAt", x."at", x."action", x."actor", x."note"
           FROM "Alert" a LEFT JOIN "AlertHistory" x ON x."alertId" = a."id"
           LEFT JOIN "Device" d ON d."id" = a."deviceId" LEFT JOIN "Household" h ON h."id" = a."householdId"
           WHERE a."firstAt" >= $1 AND a."firstAt" < $2
             AND COALESCE(d."communityId", (SELECT b."communityId" FROM "Household" hh JOIN "Unit" u ON u."id" = hh."unitId" JOIN "Building" b ON b."id" = u."buildingId" WHERE hh."id" = a."householdId"), $3) = $3
           ORDER BY a."firstAt", a."id", x."id"`,
  audit: `SELECT "at", "actor", "action", "entity", "entityId", "detail" FROM "AuditLog" WHERE "at" >= $1 AND "at" < $2 ORDER BY "id"`,
};

/** A time column's value as the writer reads it: node-postgres gives timestamptz as a Date, SQLite the ISO text. */
const isoOf = (v: unknown) => (v instanceof Date ? v.toISOString() : v);

/**
 * PostgreSQL: a connection of the pool for this export alone, one REPEATABLE READ READ ONLY transaction (one
 * consistent snapshot while devices keep writing, as WAL gives SQLite) and a server-side cursor fetched CHUNK rows
 * at a time: the server holds the result, the process one chunk. The connection is taken on the first read and
 * given back when the rows end or the reader stops early.
 */
async function* pgChunks(db: PgDb, kind: ExportKind, range: ExportRange): AsyncGenerator<unknown[][]> {
  const times = QUERIES[kind].columns.flatMap((c, i) => (QUERIES[kind].time.includes(c) ? [i] : []));
  const c = await db.pool.connect();
  let open = false;
  try {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    open = true;
    // The audit log is gateway-wide: its statement takes no compound.
    const params = kind === 'audit' ? [range.from, range.to] : [range.from, range.to, range.communityId];
    await c.query(`DECLARE linli_export NO SCROLL CURSOR FOR ${PG_SQL[kind]}`, params);
    for (;;) {
      const rows = (await c.query<unknown[]>({ text: `FETCH ${CHUNK} FROM linli_export`, rowMode: 'array' })).rows;
      for (const row of rows) for (const i of times) row[i] = isoOf(row[i]);
      if (rows.length > 0) yield rows;
      if (rows.length < CHUNK) break;
    }
  } finally {
    // The transaction ends with the cursor in it (ROLLBACK: it wrote nothing).
    if (open) await c.query('ROLLBACK').catch(() => undefined);
    c.release();
  }
}

/** The rows of one export, in chunks, from the gateway's store (SQLite: its own read-only connection; PostgreSQL: a cursor). */
export function exportSource(store: Store, kind: ExportKind, range: ExportRange): ExportSource {
  const q = QUERIES[kind];
  return { columns: q.columns, timeColumns: new Set(q.time), chunks: store.kind === 'sqlite' ? sqliteChunks(store.path, kind, range) : pgChunks(store, kind, range) };
}

async function* sqliteChunks(path: string, kind: ExportKind, range: ExportRange): AsyncGenerator<unknown[][]> {
  // Opened on the first read, so an export never started holds no connection.
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const it = db.prepare(QUERIES[kind].sql).raw(true).iterate({ from: isoStored(range.from), to: isoStored(range.to), communityId: range.communityId });
  try {
    for (;;) {
      const chunk: unknown[][] = [];
      while (chunk.length < CHUNK) {
        const r = it.next();
        if (r.done) break;
        if (Array.isArray(r.value)) chunk.push(r.value);
      }
      if (chunk.length > 0) yield chunk;
      if (chunk.length < CHUNK) break;
      await yieldToLoop();
    }
  } finally {
    // Also when the reader stops early (client gone): the statement is released before the connection closes.
    it.return?.();
    db.close();
  }
}

/** The compound's time zone (the only one when `communityId` is not given), or null when there is no such compound. */
export async function communityZone(store: Store, communityId: string | undefined): Promise<{ id: string; timezone: string } | null | 'ambiguous'> {
  const rows = await store.prisma.community.findMany({ where: communityId === undefined ? {} : { id: communityId }, select: { id: true, timezone: true }, take: 2 });
  if (rows.length > 1) return 'ambiguous';
  return rows[0] ?? null;
}

/** One audit row (who exported what; a refused import): on SQLite on the raw connection, on PostgreSQL on the pool. */
export async function appendAudit(store: Store, a: AuditEntry): Promise<void> {
  const row = [isoStored(new Date()), a.actor, a.action, a.entity, a.entityId, JSON.stringify(a.detail ?? {})];
  if (store.kind === 'sqlite') store.raw.prepare('INSERT INTO AuditLog (at, actor, action, entity, entityId, detail) VALUES (?, ?, ?, ?, ?, ?)').run(...row);
  else await store.pool.query('INSERT INTO "AuditLog" ("at", "actor", "action", "entity", "entityId", "detail") VALUES ($1, $2, $3, $4, $5, $6)', row);
}
