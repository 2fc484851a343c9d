// One repository per replicated table (docs/scale-out.md): how the cell reads each table's committed rows in seq order
// after a point, counts what is still to replicate, and, when replication of a table first starts on a database,
// enters the rows committed before. db/replication.ts composes them with the resend points and the generation.
//
// Sequences: DeviceEvent.seq, AlertHistory.id and AuditLog.id are the tables' own AUTOINCREMENT keys; access
// decisions, staff sessions and device presence transitions have no ordered key of their own, so triggers write a
// ReplicationLog row in the same transaction as each change (prisma/migrations/…_replication_generation_log and
// …_replication_audit_sessions_presence), only once the table's ReplicationCursor row exists.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AlertAction } from '../contracts/api/alerts';
import {
  ReplicatedAccessEvent,
  type ReplicatedAlertChange,
  ReplicatedAlertSnapshot,
  type ReplicatedAuditEntry,
  type ReplicatedDeviceEvent,
  type ReplicatedPresenceChange,
  ReplicatedSessionEvent,
  type ReplicatedTable,
} from '../contracts/replication';
import type { RawDb } from './client';

/** Rows that never leave the cell: proof-of-life chatter (presence transitions replicate as device_presence). */
export const NOT_REPLICATED_CHANNELS = ['heartbeat'] as const;

/** Tables whose seq is a ReplicationLog seq: their log rows go once the hub confirms them. */
export const LOGGED_TABLES: ReadonlySet<ReplicatedTable> = new Set<ReplicatedTable>(['access_event', 'session_event', 'device_presence']);

export interface StoredRow<R> {
  seq: number;
  row: R;
}

export interface RowTypes {
  device_event: ReplicatedDeviceEvent;
  access_event: ReplicatedAccessEvent;
  alert_change: ReplicatedAlertChange;
  audit_log: ReplicatedAuditEntry;
  session_event: ReplicatedSessionEvent;
  device_presence: ReplicatedPresenceChange;
}

export interface TableSource<T extends ReplicatedTable> {
  /** Up to `limit` committed rows after `seq`, oldest first. */
  read(seq: number, limit: number): StoredRow<RowTypes[T]>[];
  /** Rows after `seq` still to replicate, capped at a million (a metric must never scan a year of history). */
  count(seq: number): number;
  /** When the oldest row after `seq` was committed (null: none). */
  oldestAt(seq: number): Date | null;
  /** Called in the transaction that creates the table's cursor row: rows committed before replication began. */
  enterExisting(): void;
}

const Time = z.union([z.string(), z.number()]);
const Flag = z.union([z.number(), z.bigint()]).transform((v) => Number(v) !== 0);
const Seq = z.number().int();
const Count = z.object({ n: z.number().int() });
const Oldest = z.object({ t: Time });

/**
 * SQLite holds Prisma's ISO 8601 text; an integer (epoch ms) is read the same way, and SQLite's own
 * `CURRENT_TIMESTAMP` text ("2026-12-02 03:00:00", UTC without a zone) as UTC. Always UTC with an offset out.
 */
export function isoOf(v: string | number): string {
  const zoned = typeof v === 'number' || /(Z|[+-]\d\d:?\d\d)$/.test(v) ? v : `${v.replace(' ', 'T')}Z`;
  return new Date(zoned).toISOString().replace('Z', '+00:00');
}

/** The alert after a change, or null for a history row from before snapshots were kept ('{}'), never a throw. */
function snapshotOf(text: string) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const p = ReplicatedAlertSnapshot.safeParse(json);
  return p.success ? p.data : null;
}

interface Queries {
  /** Parameters: seq, ...args, limit. */
  rows: string;
  /** Parameters: seq, ...args; selects one column per remaining row. */
  after: string;
  /** Parameters: seq, ...args; the oldest remaining row's time as `t`. */
  oldest: string;
  args?: readonly unknown[];
  enter?: string;
}

function source<T extends ReplicatedTable>(raw: RawDb, q: Queries, map: (row: unknown) => StoredRow<RowTypes[T]>): TableSource<T> {
  const rows = raw.prepare(q.rows);
  const count = raw.prepare(`SELECT count(*) AS n FROM (${q.after} LIMIT 1000000)`);
  const oldest = raw.prepare(q.oldest);
  const enter = q.enter === undefined ? null : raw.prepare(q.enter);
  const args = q.args ?? [];
  return {
    read: (seq, limit) => rows.all(seq, ...args, limit).map(map),
    count: (seq) => Count.parse(count.get(seq, ...args)).n,
    oldestAt: (seq) => {
      const o = oldest.get(seq, ...args);
      return o === undefined ? null : new Date(isoOf(Oldest.parse(o).t));
    },
    enterExisting: () => void enter?.run(),
  };
}

const LogRow = z.object({ seq: Seq, rowId: z.string(), op: z.string(), at: Time, data: z.string().nullable() });

/** A ReplicationLog-backed table whose rows carry everything in the log itself (op, at, data). */
function loggedSource<T extends ReplicatedTable>(raw: RawDb, stream: T, map: (row: z.infer<typeof LogRow>) => RowTypes[T], enter?: string): TableSource<T> {
  return source<T>(
    raw,
    {
      rows: `SELECT seq, rowId, op, at, data FROM ReplicationLog WHERE stream = '${stream}' AND seq > ? ORDER BY seq LIMIT ?`,
      after: `SELECT 1 FROM ReplicationLog WHERE stream = '${stream}' AND seq > ?`,
      oldest: `SELECT at AS t FROM ReplicationLog WHERE stream = '${stream}' AND seq > ? ORDER BY seq LIMIT 1`,
      ...(enter !== undefined ? { enter } : {}),
    },
    (r) => {
      const row = LogRow.parse(r);
      return { seq: row.seq, row: map(row) };
    },
  );
}

const EventRow = z.object({
  seq: Seq,
  deviceId: z.string(),
  eventId: z.string(),
  channel: z.string(),
  payload: z.string(),
  deviceTime: Time,
  receivedAt: Time,
  reusedEventId: Flag,
});

function deviceEvents(raw: RawDb): TableSource<'device_event'> {
  const skip = NOT_REPLICATED_CHANNELS.map(() => '?').join(',');
  return source<'device_event'>(
    raw,
    {
      rows: `SELECT seq, deviceId, eventId, channel, payload, deviceTime, receivedAt, reusedEventId FROM DeviceEvent
             WHERE seq > ? AND channel NOT IN (${skip}) ORDER BY seq LIMIT ?`,
      after: `SELECT 1 FROM DeviceEvent WHERE seq > ? AND channel NOT IN (${skip})`,
      oldest: `SELECT receivedAt AS t FROM DeviceEvent WHERE seq > ? AND channel NOT IN (${skip}) ORDER BY seq LIMIT 1`,
      args: NOT_REPLICATED_CHANNELS,
    },
    (raw) => {
      const r = EventRow.parse(raw);
      return {
        seq: r.seq,
        row: { deviceId: r.deviceId, eventId: r.eventId, channel: r.channel, payload: r.payload, deviceTime: isoOf(r.deviceTime), receivedAt: isoOf(r.receivedAt), reusedEventId: r.reusedEventId },
      };
    },
  );
}

/** An AccessEvent row as SQLite gives it: the contract's fields, with its seq, raw times and a 0/1 flag. */
const AccessRow = ReplicatedAccessEvent.omit({ at: true, receivedAt: true, offline: true }).extend({ seq: Seq, at: Time, receivedAt: Time, offline: Flag });

function accessEvents(raw: RawDb): TableSource<'access_event'> {
  const join = `FROM ReplicationLog l JOIN AccessEvent e ON e.id = l.rowId WHERE l.stream = 'access_event' AND l.seq > ?`;
  return source<'access_event'>(
    raw,
    {
      // A decision erased (retention) before it left has no row to join: the hub's prev chain steps over its seq.
      rows: `SELECT l.seq AS seq, e.id, e.deviceId, e.requestId, e.at, e.receivedAt, e.direction, e.credentialType, e.decision, e.reason,
                    e.residentId, e.passId, e.householdId, e.offline ${join} ORDER BY l.seq LIMIT ?`,
      after: `SELECT 1 FROM ReplicationLog WHERE stream = 'access_event' AND seq > ?`,
      oldest: `SELECT e.receivedAt AS t ${join} ORDER BY l.seq LIMIT 1`,
      enter: `INSERT INTO ReplicationLog (stream, rowId) SELECT 'access_event', id FROM AccessEvent ORDER BY receivedAt, id`,
    },
    (raw) => {
      const { seq, at, receivedAt, ...rest } = AccessRow.parse(raw);
      return { seq, row: { ...rest, at: isoOf(at), receivedAt: isoOf(receivedAt) } };
    },
  );
}

const HistoryRow = z.object({
  seq: Seq,
  alertId: z.string(),
  at: Time,
  action: AlertAction,
  actor: z.string(),
  note: z.string().nullable(),
  detail: z.string().nullable(),
  snapshot: z.string(),
  source: z.string().nullable(),
});

function alertChanges(raw: RawDb): TableSource<'alert_change'> {
  return source<'alert_change'>(
    raw,
    {
      rows: 'SELECT id AS seq, alertId, at, action, actor, note, detail, snapshot, source FROM AlertHistory WHERE id > ? ORDER BY id LIMIT ?',
      after: 'SELECT 1 FROM AlertHistory WHERE id > ?',
      oldest: 'SELECT at AS t FROM AlertHistory WHERE id > ? ORDER BY id LIMIT 1',
    },
    (raw) => {
      const { seq, at, snapshot, ...rest } = HistoryRow.parse(raw);
      return { seq, row: { ...rest, at: isoOf(at), snapshot: snapshotOf(snapshot) } };
    },
  );
}

const AuditRow = z.object({ seq: Seq, at: Time, actor: z.string(), action: z.string(), entity: z.string(), entityId: z.string(), detail: z.string() });

/** The audit log is append-only with an AUTOINCREMENT id: its own sequence, like AlertHistory. */
function auditLog(raw: RawDb): TableSource<'audit_log'> {
  return source<'audit_log'>(
    raw,
    {
      rows: 'SELECT id AS seq, at, actor, action, entity, entityId, detail FROM AuditLog WHERE id > ? ORDER BY id LIMIT ?',
      after: 'SELECT 1 FROM AuditLog WHERE id > ?',
      oldest: 'SELECT at AS t FROM AuditLog WHERE id > ? ORDER BY id LIMIT 1',
    },
    (raw) => {
      const { seq, at, ...rest } = AuditRow.parse(raw);
      return { seq, row: { ...rest, at: isoOf(at) } };
    },
  );
}

/** What the session triggers keep beside the event: the user and role at that moment (never the token). */
const SessionData = ReplicatedSessionEvent.pick({ userId: true, username: true, role: true });
const SessionOp = ReplicatedSessionEvent.shape.kind;

/** One-way: pairs a logout with its login at the hub; neither the token nor its stored hash leaves the cell. */
export const sessionRef = (tokenHash: string) => createHash('sha256').update(`linli-session-ref:${tokenHash}`).digest('hex').slice(0, 32);

/** The session columns the triggers record (the username read from User at that moment). */
const sessionData = `json_object('userId', s."userId", 'role', s."role", 'username', (SELECT u."username" FROM "User" u WHERE u."id" = s."userId"))`;

function sessionEvents(raw: RawDb): TableSource<'session_event'> {
  // Sessions that existed before replication began: their logins and, for the ended ones, their logouts, in time order.
  const enter = `INSERT INTO ReplicationLog (stream, rowId, op, at, data)
    SELECT 'session_event', tokenHash, op, at, data FROM (
      SELECT s."tokenHash" AS tokenHash, 'login' AS op, s."createdAt" AS at, ${sessionData} AS data, 0 AS o FROM "Session" s WHERE s."role" <> 'resident'
      UNION ALL
      SELECT s."tokenHash", 'logout', s."revokedAt", ${sessionData}, 1 FROM "Session" s WHERE s."role" <> 'resident' AND s."revokedAt" IS NOT NULL
    ) ORDER BY at, o`;
  return loggedSource(
    raw,
    'session_event',
    (r) => ({ sessionRef: sessionRef(r.rowId), kind: SessionOp.parse(r.op), at: isoOf(r.at), ...SessionData.parse(JSON.parse(r.data ?? 'null')) }),
    enter,
  );
}

/** Presence transitions start when replication does: a device's state before that is not a transition. */
function presenceChanges(raw: RawDb): TableSource<'device_presence'> {
  return loggedSource(raw, 'device_presence', (r) => ({ deviceId: r.rowId, online: z.enum(['online', 'offline']).parse(r.op) === 'online', at: isoOf(r.at) }));
}

export type TableSources = { [T in ReplicatedTable]: TableSource<T> };

export function tableSources(raw: RawDb): TableSources {
  return {
    device_event: deviceEvents(raw),
    access_event: accessEvents(raw),
    alert_change: alertChanges(raw),
    audit_log: auditLog(raw),
    session_event: sessionEvents(raw),
    device_presence: presenceChanges(raw),
  };
}
