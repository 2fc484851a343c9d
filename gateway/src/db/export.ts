import { setImmediate as yieldToLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { ExportKind } from '../contracts/api/transfer';
import type { AuditEntry } from './access';
import type { RawDb } from './client';
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
  /** Time columns (ISO strings as stored), shown in the compound's time zone by the writer. */
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

export function exportSource(path: string, kind: ExportKind, range: ExportRange): ExportSource {
  const q = QUERIES[kind];
  async function* chunks(): AsyncGenerator<unknown[][]> {
    // Opened on the first read, so an export never started holds no connection.
    const db = new Database(path, { readonly: true, fileMustExist: true });
    const it = db.prepare(q.sql).raw(true).iterate({ from: isoStored(range.from), to: isoStored(range.to), communityId: range.communityId });
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
  return { columns: q.columns, timeColumns: new Set(q.time), chunks: chunks() };
}

/** The compound's time zone, or null when there is no such compound. */
export function communityZone(path: string, communityId: string | undefined): { id: string; timezone: string } | null | 'ambiguous' {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = communityId === undefined ? db.prepare('SELECT id, timezone FROM Community LIMIT 2').all() : db.prepare('SELECT id, timezone FROM Community WHERE id = ?').all(communityId);
    if (rows.length > 1) return 'ambiguous';
    const r: unknown = rows[0];
    if (typeof r !== 'object' || r === null || !('id' in r) || !('timezone' in r)) return null;
    return { id: String(r.id), timezone: String(r.timezone) };
  } finally {
    db.close();
  }
}

/** One audit row on the raw connection (who exported what; a refused import). */
export function appendAudit(raw: RawDb, a: AuditEntry): void {
  raw.prepare('INSERT INTO AuditLog (at, actor, action, entity, entityId, detail) VALUES (?, ?, ?, ?, ?, ?)').run(isoStored(new Date()), a.actor, a.action, a.entity, a.entityId, JSON.stringify(a.detail ?? {}));
}
