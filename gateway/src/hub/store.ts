// The hub's hot path into PostgreSQL (node-postgres, not Prisma: docs/architecture.md): one transaction per batch,
// one array insert per table with ON CONFLICT DO NOTHING (a resent or redelivered row is a no-op), and the watermark
// of every cell in the batch moved in the same transaction.
import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import type { ReplicationMessage } from '../contracts/replication';

export interface CommittedWatermark {
  compound: string;
  table: string;
  seq: number;
  committedAt: Date;
}

const SeqRow = z.object({ seq: z.union([z.string(), z.number()]).nullable() });
const WatermarkRow = z.object({ compound: z.string(), tbl: z.string(), seq: z.union([z.string(), z.number()]), committed_at: z.date() });

/** bigint comes back from pg as a string; cell seqs are SQLite integers, far inside Number's exact range. */
const num = (v: string | number) => (typeof v === 'number' ? v : Number(v));

async function insertDeviceEvents(client: PoolClient, rows: ReplicationMessage[]) {
  if (rows.length === 0) return 0;
  const res = await client.query(
    `INSERT INTO device_event (compound, seq, prev_seq, device_id, event_id, channel, payload, device_time, received_at, reused_event_id)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::boolean[])
     ON CONFLICT (compound, seq) DO NOTHING`,
    [
      rows.map((r) => r.compound),
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

/**
 * The cell's new watermark: from the stored one, follow prev links through committed rows as far as they go. A hole
 * (a row lost between the cell and here, or still in flight out of order) stops it; the cell resends from there.
 */
async function advanceWatermark(client: PoolClient, compound: string, table: 'device_event', now: Date): Promise<CommittedWatermark> {
  await client.query(
    `INSERT INTO cell_watermark (compound, tbl, seq, committed_at) VALUES ($1, $2, 0, $3) ON CONFLICT (compound, tbl) DO NOTHING`,
    [compound, table, now],
  );
  // Row lock: two writers committing rows of one cell serialise here, so neither moves the watermark past the other's hole.
  const current = SeqRow.parse((await client.query('SELECT seq FROM cell_watermark WHERE compound = $1 AND tbl = $2 FOR UPDATE', [compound, table])).rows[0]);
  const from = num(current.seq ?? 0);
  const reached = SeqRow.parse(
    (
      await client.query(
        `WITH RECURSIVE chain(seq) AS (
           SELECT $2::bigint
           UNION ALL
           SELECT e.seq FROM device_event e JOIN chain c ON e.compound = $1 AND e.prev_seq = c.seq
         ) SELECT max(seq) AS seq FROM chain`,
        [compound, from],
      )
    ).rows[0],
  );
  const seq = num(reached.seq ?? from);
  if (seq > from) await client.query('UPDATE cell_watermark SET seq = $3, committed_at = $4 WHERE compound = $1 AND tbl = $2', [compound, table, seq, now]);
  return { compound, table, seq, committedAt: now };
}

export function hubStore(pool: Pool) {
  return {
    /** Inserts the batch and moves the watermarks in one transaction; returns rows new to the hub and the watermarks. */
    async commit(batch: ReplicationMessage[]): Promise<{ inserted: number; watermarks: CommittedWatermark[] }> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const inserted = await insertDeviceEvents(client, batch.filter((m) => m.table === 'device_event'));
        const now = new Date();
        const watermarks: CommittedWatermark[] = [];
        for (const compound of [...new Set(batch.map((m) => m.compound))].sort()) {
          watermarks.push(await advanceWatermark(client, compound, 'device_event', now));
        }
        await client.query('COMMIT');
        return { inserted, watermarks };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    /** Every cell's committed watermark (republished at start and periodically). */
    async watermarks(): Promise<CommittedWatermark[]> {
      const res = await pool.query('SELECT compound, tbl, seq, committed_at FROM cell_watermark');
      return res.rows.map((r) => {
        const w = WatermarkRow.parse(r);
        return { compound: w.compound, table: w.tbl, seq: num(w.seq), committedAt: w.committed_at };
      });
    },
  };
}
export type HubStore = ReturnType<typeof hubStore>;
