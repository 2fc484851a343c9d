// The cell's side of replication to the hub (gateway/src/replication/): committed rows of each replicated table read
// in seq order after a point, the resend points (ReplicationCursor) that only the hub's committed watermark moves, and
// the database's generation. Sequences: DeviceEvent.seq, ReplicationLog.seq for access decisions (a trigger fills it
// in the insert's transaction), AlertHistory.id for alert changes (each alert write adds one history row with the
// alert's snapshot). All three are AUTOINCREMENT keys on a database with one writer at a time: a reader never sees
// seq n+1 committed before n, and a seq is never handed out twice (until a restore from a backup: the generation).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AlertAction } from '../contracts/api/alerts';
import {
  type Generation,
  REPLICATED_TABLES,
  ReplicatedAccessEvent,
  type ReplicatedAlertChange,
  type ReplicatedDeviceEvent,
  type ReplicatedTable,
  ReplicatedAlertSnapshot,
} from '../contracts/replication';
import type { Db, RawDb } from './client';
import { walSync } from './wal-sync';

/** Rows that never leave the cell: proof-of-life chatter (presence transitions replicate on their own, later). */
export const NOT_REPLICATED_CHANNELS = ['heartbeat'] as const;

const Time = z.union([z.string(), z.number()]);
const Flag = z.union([z.number(), z.bigint()]).transform((v) => Number(v) !== 0);

const EventRow = z.object({
  seq: z.number().int(),
  deviceId: z.string(),
  eventId: z.string(),
  channel: z.string(),
  payload: z.string(),
  deviceTime: Time,
  receivedAt: Time,
  reusedEventId: Flag,
});
/** An AccessEvent row as SQLite gives it: the contract's fields, with its seq, raw times and a 0/1 flag. */
const AccessRow = ReplicatedAccessEvent.omit({ at: true, receivedAt: true, offline: true }).extend({
  seq: z.number().int(),
  at: Time,
  receivedAt: Time,
  offline: Flag,
});
const HistoryRow = z.object({
  seq: z.number().int(),
  alertId: z.string(),
  at: Time,
  action: AlertAction,
  actor: z.string(),
  note: z.string().nullable(),
  detail: z.string().nullable(),
  snapshot: z.string(),
  source: z.string().nullable(),
});

const CursorRow = z.object({
  stream: z.string(),
  confirmedSeq: z.number().int(),
  confirmedAt: z.string().nullable(),
  generation: z.string().nullable(),
  baseSeq: z.number().int().nullable(),
});
const Count = z.object({ n: z.number().int() });
const Oldest = z.object({ t: Time });
const SqliteBusy = z.object({ code: z.enum(['SQLITE_BUSY', 'SQLITE_LOCKED']) });

/** SQLite holds Prisma's ISO 8601 text; an integer (epoch ms) is read the same way. Always UTC with an offset out. */
function isoOf(v: string | number): string {
  return new Date(v).toISOString().replace('Z', '+00:00');
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

export interface StoredRow<R> {
  seq: number;
  row: R;
}

export interface RowTypes {
  device_event: ReplicatedDeviceEvent;
  access_event: ReplicatedAccessEvent;
  alert_change: ReplicatedAlertChange;
}

/** What replication starts from: the database's generation and, per table, where its chain starts and stands. */
export interface ReplicationIdentity {
  generation: Generation;
  /** True when this start minted the generation (first start, or first start after `linli restore`). */
  minted: boolean;
  streams: Record<ReplicatedTable, { base: number; confirmed: number; confirmedAt: Date | null }>;
}

const mintGeneration = (): Generation => randomBytes(8).toString('hex');

/**
 * `linli restore` calls this on the restored copy: the next replication start mints a new generation, so the seqs the
 * backup reuses become new keys at the hub. A backup from before replication existed has nothing to clear.
 */
export function forgetReplicationGeneration(raw: RawDb): void {
  const columns = z.array(z.object({ name: z.string() })).parse(raw.prepare(`PRAGMA table_info("ReplicationCursor")`).all());
  if (!columns.some((c) => c.name === 'generation')) return;
  raw.prepare('UPDATE "ReplicationCursor" SET "generation" = NULL, "baseSeq" = NULL').run();
}

export function replicationRepo(db: Db) {
  const raw = db.raw;
  const skip = NOT_REPLICATED_CHANNELS.map(() => '?').join(',');
  const reads = {
    device_event: raw.prepare(
      `SELECT seq, deviceId, eventId, channel, payload, deviceTime, receivedAt, reusedEventId FROM DeviceEvent
       WHERE seq > ? AND channel NOT IN (${skip}) ORDER BY seq LIMIT ?`,
    ),
    // A decision erased (retention) before it left has no row to join: the hub's prev chain steps over its seq.
    access_event: raw.prepare(
      `SELECT l.seq AS seq, e.id, e.deviceId, e.requestId, e.at, e.receivedAt, e.direction, e.credentialType, e.decision, e.reason,
              e.residentId, e.passId, e.householdId, e.offline
       FROM ReplicationLog l JOIN AccessEvent e ON e.id = l.rowId
       WHERE l.stream = 'access_event' AND l.seq > ? ORDER BY l.seq LIMIT ?`,
    ),
    alert_change: raw.prepare(
      'SELECT id AS seq, alertId, at, action, actor, note, detail, snapshot, source FROM AlertHistory WHERE id > ? ORDER BY id LIMIT ?',
    ),
  };
  // Capped: a metric must never turn into a scan of a year of history.
  const backlogs = {
    device_event: raw.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM DeviceEvent WHERE seq > ? AND channel NOT IN (${skip}) LIMIT 1000000)`),
    access_event: raw.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM ReplicationLog WHERE stream = 'access_event' AND seq > ? LIMIT 1000000)`),
    alert_change: raw.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM AlertHistory WHERE id > ? LIMIT 1000000)'),
  };
  const oldest = {
    device_event: raw.prepare(`SELECT receivedAt AS t FROM DeviceEvent WHERE seq > ? AND channel NOT IN (${skip}) ORDER BY seq LIMIT 1`),
    access_event: raw.prepare(
      `SELECT e.receivedAt AS t FROM ReplicationLog l JOIN AccessEvent e ON e.id = l.rowId WHERE l.stream = 'access_event' AND l.seq > ? ORDER BY l.seq LIMIT 1`,
    ),
    alert_change: raw.prepare('SELECT at AS t FROM AlertHistory WHERE id > ? ORDER BY id LIMIT 1'),
  };
  const skipArgs = (table: ReplicatedTable) => (table === 'device_event' ? [...NOT_REPLICATED_CHANNELS] : []);
  const cursor = raw.prepare('SELECT stream, confirmedSeq, confirmedAt, generation, baseSeq FROM ReplicationCursor WHERE stream = ?');
  const allCursors = raw.prepare('SELECT stream, confirmedSeq, confirmedAt, generation, baseSeq FROM ReplicationCursor');
  const compounds = raw.prepare('SELECT id FROM Community WHERE active = 1 ORDER BY id');

  const readers: { [T in ReplicatedTable]: (seq: number, limit: number) => StoredRow<RowTypes[T]>[] } = {
    device_event: (seq, limit) =>
      reads.device_event.all(seq, ...NOT_REPLICATED_CHANNELS, limit).map((raw) => {
        const r = EventRow.parse(raw);
        return {
          seq: r.seq,
          row: { deviceId: r.deviceId, eventId: r.eventId, channel: r.channel, payload: r.payload, deviceTime: isoOf(r.deviceTime), receivedAt: isoOf(r.receivedAt), reusedEventId: r.reusedEventId },
        };
      }),
    access_event: (seq, limit) =>
      reads.access_event.all(seq, limit).map((raw) => {
        const { seq: s, at, receivedAt, ...rest } = AccessRow.parse(raw);
        return { seq: s, row: { ...rest, at: isoOf(at), receivedAt: isoOf(receivedAt) } };
      }),
    alert_change: (seq, limit) =>
      reads.alert_change.all(seq, limit).map((raw) => {
        const { seq: s, at, snapshot, ...rest } = HistoryRow.parse(raw);
        return { seq: s, row: { ...rest, at: isoOf(at), snapshot: snapshotOf(snapshot) } };
      }),
  };

  /**
   * One transaction: a cursor row for every table (access decisions stored before replication began are entered in
   * the log first, oldest first, so nothing committed is left out), and the generation — kept when the rows have
   * one, minted when none has (first start, or after `linli restore`), each table's chain then starting at its
   * confirmed seq.
   */
  const identityTx = raw.transaction((): ReplicationIdentity => {
    const have = new Map(allCursors.all().map((r) => {
      const c = CursorRow.parse(r);
      return [c.stream, c] as const;
    }));
    if (!have.has('access_event')) {
      raw.prepare(`INSERT INTO ReplicationLog (stream, rowId) SELECT 'access_event', id FROM AccessEvent ORDER BY receivedAt, id`).run();
    }
    const insertCursor = raw.prepare('INSERT INTO ReplicationCursor (stream, confirmedSeq) VALUES (?, 0)');
    for (const t of REPLICATED_TABLES) if (!have.has(t)) insertCursor.run(t);
    const known = [...new Set([...have.values()].map((c) => c.generation).filter((g) => g !== null))];
    const minted = known.length !== 1;
    const generation = minted ? mintGeneration() : known[0]!;
    if (minted) raw.prepare('UPDATE ReplicationCursor SET generation = ?, baseSeq = confirmedSeq').run(generation);
    else raw.prepare('UPDATE ReplicationCursor SET generation = ?, baseSeq = confirmedSeq WHERE generation IS NULL').run(generation);
    const stream = (t: ReplicatedTable) => {
      const c = CursorRow.parse(cursor.get(t));
      return { base: c.baseSeq ?? 0, confirmed: c.confirmedSeq, confirmedAt: c.confirmedAt === null ? null : new Date(c.confirmedAt) };
    };
    return { generation, minted, streams: { device_event: stream('device_event'), access_event: stream('access_event'), alert_change: stream('alert_change') } };
  });

  return withDurableReads(walSync(db.path), {
    /** Ids of the compounds this cell serves (a cell normally serves exactly one). */
    activeCompounds(): string[] {
      return compounds.all().map((r) => z.object({ id: z.string() }).parse(r).id);
    },
    /** Up to `limit` committed rows of `table` after `seq`, oldest first (heartbeats left out). */
    rowsAfter<T extends ReplicatedTable>(table: T, seq: number, limit: number): StoredRow<RowTypes[T]>[] {
      return readers[table](seq, limit);
    },
    /** Sets up the cursors and the generation (see identityTx); retried while another connection holds the lock. */
    async identity(): Promise<ReplicationIdentity> {
      for (let attempt = 0; ; attempt++) {
        try {
          return identityTx();
        } catch (err) {
          if (!SqliteBusy.safeParse(err).success || attempt >= 200) throw err;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    },
    /** The resend point of a stream: 0 before the hub has confirmed anything. */
    confirmed(stream: ReplicatedTable): { seq: number; at: Date | null } {
      const row = cursor.get(stream);
      if (row === undefined) return { seq: 0, at: null };
      const c = CursorRow.parse(row);
      return { seq: c.confirmedSeq, at: c.confirmedAt === null ? null : new Date(c.confirmedAt) };
    },
    /**
     * Moves the resend point forward to what the hub reported committed; never backwards (a stale watermark after a
     * hub restore changes nothing here). Log rows the hub now holds are deleted. Async: a locked database is retried
     * off the event loop by Prisma's adapter.
     */
    async confirm(stream: ReplicatedTable, seq: number, at: Date): Promise<void> {
      const iso = at.toISOString().replace('Z', '+00:00');
      await db.prisma.$executeRaw`UPDATE "ReplicationCursor" SET "confirmedSeq" = ${seq}, "confirmedAt" = ${iso}
        WHERE "stream" = ${stream} AND "confirmedSeq" < ${seq}`;
      if (stream === 'access_event') await db.prisma.$executeRaw`DELETE FROM "ReplicationLog" WHERE "stream" = ${stream} AND "seq" <= ${seq}`;
    },
    /** Rows after `seq` still to replicate (capped at a million), and when the oldest of them was received. */
    backlog(table: ReplicatedTable, seq: number): { rows: number; oldestAt: Date | null } {
      const n = Count.parse(backlogs[table].get(seq, ...skipArgs(table))).n;
      const o = oldest[table].get(seq, ...skipArgs(table));
      return { rows: n, oldestAt: o === undefined ? null : new Date(Oldest.parse(o).t) };
    },
  });
}
export type ReplicationRepo = ReturnType<typeof replicationRepo>;

/**
 * `durableRowsAfter`: the rows of `rowsAfter`, once they are on disk. Device events and access decisions commit with
 * synchronous=NORMAL and their WAL is synced just after (db/wal-sync.ts); another connection can read such a row in
 * between. A row that left for the hub must not vanish in a power cut (its seq would be handed out again to another
 * row), so the relay sends only what a sync started after the read has covered (docs/architecture.md, "One fsync
 * covers every commit before it").
 */
function withDurableReads<R extends { rowsAfter<T extends ReplicatedTable>(table: T, seq: number, limit: number): StoredRow<RowTypes[T]>[] }>(
  sync: () => Promise<void>,
  repo: R,
) {
  return {
    ...repo,
    async durableRowsAfter<T extends ReplicatedTable>(table: T, seq: number, limit: number): Promise<StoredRow<RowTypes[T]>[]> {
      const rows = repo.rowsAfter(table, seq, limit);
      if (rows.length > 0) await sync();
      return rows;
    },
  };
}
