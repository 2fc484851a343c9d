// The hub's hot path into PostgreSQL (node-postgres, not Prisma: docs/architecture.md): one transaction per batch,
// one array insert per table with ON CONFLICT DO NOTHING (a resent or redelivered row is a no-op; the audit, session
// and presence inserts are in store-records.ts), the alerts' latest state, and the watermark of every (cell,
// generation, table) in the batch moved in the same transaction.
import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { type ReplicatedAlertSnapshot, ReplicatedTable, type ReplicationMessage, type ReplicationMessageOf } from '../contracts/replication';
import { insertAuditLog, insertPresence, insertSessionEvents } from './store-records';

export interface CommittedWatermark {
  compound: string;
  generation: string;
  table: ReplicatedTable;
  seq: number;
  committedAt: Date;
}

const Int8 = z.union([z.string(), z.number()]).transform((v) => (typeof v === 'number' ? v : Number(v)));
const SeqRow = z.object({ seq: Int8.nullable() });
const WatermarkRow = z.object({
  compound: z.string(),
  generation: z.string(),
  tbl: ReplicatedTable,
  seq: Int8,
  committed_at: z.date(),
});

const only = <T extends ReplicatedTable>(batch: ReplicationMessage[], table: T): ReplicationMessageOf<T>[] =>
  batch.filter((m): m is ReplicationMessageOf<T> => m.table === table);

async function insertDeviceEvents(client: PoolClient, rows: ReplicationMessageOf<'device_event'>[]) {
  if (rows.length === 0) return 0;
  const res = await client.query(
    `INSERT INTO device_event (compound, generation, seq, prev_seq, device_id, event_id, channel, payload, device_time, received_at, reused_event_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::boolean[])
     ON CONFLICT (compound, generation, seq) DO NOTHING`,
    [
      rows.map((r) => r.compound),
      rows.map((r) => r.generation),
      rows.map((r) => r.seq),
      rows.map((r) => r.prev),
      rows.map((r) => r.row.deviceId),
      rows.map((r) => r.row.eventId),
      rows.map((r) => r.row.channel),
      rows.map((r) => r.row.payload),
      rows.map((r) => r.row.deviceTime),
      rows.map((r) => r.row.receivedAt),
      rows.map((r) => r.row.reusedEventId),
    ],
  );
  return res.rowCount ?? 0;
}

async function insertAccessEvents(client: PoolClient, rows: ReplicationMessageOf<'access_event'>[]) {
  if (rows.length === 0) return 0;
  const res = await client.query(
    `INSERT INTO access_event (compound, generation, seq, prev_seq, id, device_id, request_id, at, received_at, direction, credential_type,
                               decision, reason, resident_id, pass_id, household_id, offline)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[],
                          $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::boolean[])
     ON CONFLICT (compound, generation, seq) DO NOTHING`,
    [
      rows.map((r) => r.compound),
      rows.map((r) => r.generation),
      rows.map((r) => r.seq),
      rows.map((r) => r.prev),
      rows.map((r) => r.row.id),
      rows.map((r) => r.row.deviceId),
      rows.map((r) => r.row.requestId),
      rows.map((r) => r.row.at),
      rows.map((r) => r.row.receivedAt),
      rows.map((r) => r.row.direction),
      rows.map((r) => r.row.credentialType),
      rows.map((r) => r.row.decision),
      rows.map((r) => r.row.reason),
      rows.map((r) => r.row.residentId),
      rows.map((r) => r.row.passId),
      rows.map((r) => r.row.householdId),
      rows.map((r) => r.row.offline),
    ],
  );
  return res.rowCount ?? 0;
}

async function insertAlertChanges(client: PoolClient, rows: ReplicationMessageOf<'alert_change'>[]) {
  if (rows.length === 0) return 0;
  const res = await client.query(
    `INSERT INTO alert_change (compound, generation, seq, prev_seq, alert_id, at, action, actor, note, detail, source, snapshot)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::jsonb[])
     ON CONFLICT (compound, generation, seq) DO NOTHING`,
    [
      rows.map((r) => r.compound),
      rows.map((r) => r.generation),
      rows.map((r) => r.seq),
      rows.map((r) => r.prev),
      rows.map((r) => r.row.alertId),
      rows.map((r) => r.row.at),
      rows.map((r) => r.row.action),
      rows.map((r) => r.row.actor),
      rows.map((r) => r.row.note),
      rows.map((r) => r.row.detail),
      rows.map((r) => r.row.source),
      rows.map((r) => (r.row.snapshot === null ? null : JSON.stringify(r.row.snapshot))),
    ],
  );
  // Each alert's latest state: the last change per alert in this batch (one statement may not touch a row twice),
  // kept only if it is later than the stored one.
  const latest = new Map<string, { m: ReplicationMessageOf<'alert_change'>; snapshot: ReplicatedAlertSnapshot }>();
  for (const r of rows) {
    if (r.row.snapshot === null) continue;
    const key = `${r.compound}\u0000${r.row.alertId}`;
    const had = latest.get(key);
    if (had === undefined || later(r, had.m)) latest.set(key, { m: r, snapshot: r.row.snapshot });
  }
  if (latest.size === 0) return res.rowCount ?? 0;
  const last = [...latest.values()];
  await client.query(
    `INSERT INTO alert (compound, id, generation, last_seq, changed_at, type, severity, status, escalation_level, first_at, last_at, snapshot)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::int[], $10::timestamptz[], $11::timestamptz[], $12::jsonb[])
     ON CONFLICT (compound, id) DO UPDATE SET
       generation = excluded.generation, last_seq = excluded.last_seq, changed_at = excluded.changed_at, type = excluded.type,
       severity = excluded.severity, status = excluded.status, escalation_level = excluded.escalation_level,
       first_at = excluded.first_at, last_at = excluded.last_at, snapshot = excluded.snapshot
     WHERE (excluded.generation = alert.generation AND excluded.last_seq > alert.last_seq)
        OR (excluded.generation <> alert.generation AND excluded.changed_at >= alert.changed_at)`,
    [
      last.map((r) => r.m.compound),
      last.map((r) => r.m.row.alertId),
      last.map((r) => r.m.generation),
      last.map((r) => r.m.seq),
      last.map((r) => r.m.row.at),
      last.map((r) => r.snapshot.type),
      last.map((r) => r.snapshot.severity),
      last.map((r) => r.snapshot.status),
      last.map((r) => r.snapshot.escalationLevel),
      last.map((r) => r.snapshot.firstAt),
      last.map((r) => r.snapshot.lastAt),
      last.map((r) => JSON.stringify(r.snapshot)),
    ],
  );
  return res.rowCount ?? 0;
}

/** Change `a` came after `b`: within one generation by seq (the cell's commit order), across generations by time. */
function later(a: ReplicationMessageOf<'alert_change'>, b: ReplicationMessageOf<'alert_change'>): boolean {
  if (a.generation === b.generation) return a.seq > b.seq;
  return Date.parse(a.row.at) >= Date.parse(b.row.at);
}

/** Table names for the chain query: a fixed map, never text from a message. */
const TABLES: Record<ReplicatedTable, string> = {
  device_event: 'device_event',
  access_event: 'access_event',
  alert_change: 'alert_change',
  audit_log: 'audit_log',
  session_event: 'session_event',
  device_presence: 'device_presence',
};

/** Rows read per step of the watermark's walk (one primary-key range scan each). */
const WALK_PAGE = 1_000;
const LinkRow = z.object({ seq: Int8, prev_seq: Int8 });
/** One page of the walk ($1 compound, $2 generation, $3 the seq it stands on): a range of the primary key, in order. */
export const chainPageSql = (table: ReplicatedTable) =>
  `SELECT seq, prev_seq FROM ${TABLES[table]} WHERE compound = $1 AND generation = $2 AND seq > $3 ORDER BY seq LIMIT ${WALK_PAGE}`;

/**
 * The new watermark of one cell generation's table: from the stored one (or the generation's base, the first time),
 * follow prev links through committed rows as far as they go. A hole (a row lost between the cell and here, or still
 * in flight out of order) stops it; the cell resends from there.
 *
 * The walk reads the rows after the watermark in seq order, a page at a time, through the primary key (compound,
 * generation, seq) and follows the links here. A recursive query joining on prev_seq did the same in one statement,
 * but its plan depended on the table's statistics: before the first ANALYZE PostgreSQL read every row of the compound
 * at every step (docs/benchmarks.md, "Hub"). A range scan of the primary key in its own order has one plan.
 */
async function walkChain(client: PoolClient, table: ReplicatedTable, compound: string, generation: string, from: number): Promise<number> {
  let at = from;
  for (;;) {
    const rows = z.array(LinkRow).parse(
      (
        await client.query(chainPageSql(table), [compound, generation, at])
      ).rows,
    );
    for (const r of rows) {
      // The next link names the row the walk stands on; a row whose prev lies further on means the row between is
      // missing (a hole: stop). prev_seq < seq always (a CHECK), so a row naming a row before the walk is not a link.
      if (r.prev_seq === at) at = r.seq;
      else if (r.prev_seq > at) return at;
    }
    if (rows.length < WALK_PAGE) return at;
  }
}

/** Moves one cell generation's table's watermark as far as its committed rows link up (see walkChain). */
async function advanceWatermark(client: PoolClient, key: { compound: string; generation: string; table: ReplicatedTable; base: number }, now: Date): Promise<CommittedWatermark> {
  const { compound, generation, table } = key;
  await client.query(
    `INSERT INTO cell_watermark (compound, generation, tbl, seq, committed_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (compound, generation, tbl) DO NOTHING`,
    [compound, generation, table, key.base, now],
  );
  // Row lock: two writers committing rows of one cell serialise here, so neither moves the watermark past the other's hole.
  const current = SeqRow.parse(
    (await client.query('SELECT seq FROM cell_watermark WHERE compound = $1 AND generation = $2 AND tbl = $3 FOR UPDATE', [compound, generation, table])).rows[0],
  );
  const from = current.seq ?? key.base;
  const seq = await walkChain(client, table, compound, generation, from);
  if (seq > from) {
    await client.query('UPDATE cell_watermark SET seq = $4, committed_at = $5 WHERE compound = $1 AND generation = $2 AND tbl = $3', [compound, generation, table, seq, now]);
  }
  return { compound, generation, table, seq, committedAt: now };
}

export function hubStore(pool: Pool) {
  return {
    /** Inserts the batch and moves the watermarks in one transaction; returns rows new to the hub and the watermarks. */
    async commit(batch: ReplicationMessage[]): Promise<{ inserted: number; watermarks: CommittedWatermark[] }> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const inserted =
          (await insertDeviceEvents(client, only(batch, 'device_event'))) +
          (await insertAccessEvents(client, only(batch, 'access_event'))) +
          (await insertAlertChanges(client, only(batch, 'alert_change'))) +
          (await insertAuditLog(client, only(batch, 'audit_log'))) +
          (await insertSessionEvents(client, only(batch, 'session_event'))) +
          (await insertPresence(client, only(batch, 'device_presence')));
        const now = new Date();
        // One watermark per (cell, generation, table), locked in a fixed order so two writers cannot deadlock.
        const keys = new Map<string, { compound: string; generation: string; table: ReplicatedTable; base: number }>();
        for (const m of batch) keys.set(`${m.compound}\u0000${m.generation}\u0000${m.table}`, { compound: m.compound, generation: m.generation, table: m.table, base: m.base });
        const watermarks: CommittedWatermark[] = [];
        for (const [, k] of [...keys.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) watermarks.push(await advanceWatermark(client, k, now));
        await client.query('COMMIT');
        return { inserted, watermarks };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    /** Every cell generation's committed watermarks (republished at start and periodically). */
    async watermarks(): Promise<CommittedWatermark[]> {
      const res = await pool.query("SELECT compound, generation, tbl, seq, committed_at FROM cell_watermark WHERE generation <> ''");
      return res.rows.map((r) => {
        const w = WatermarkRow.parse(r);
        return { compound: w.compound, generation: w.generation, table: w.tbl, seq: w.seq, committedAt: w.committed_at };
      });
    },
  };
}
export type HubStore = ReturnType<typeof hubStore>;
