// The hub's downlink commands in PostgreSQL (postgres/migrations/20261202121000_downlink.sql): stored before they are
// published (the table is the outbox), marked sent when JetStream accepted them, and answered by the cell.
import type { Pool } from 'pg';
import { z } from 'zod';
import type { DownlinkStatus, HubDownlinkCommand } from '../contracts/api/hub-downlink';
import { DownlinkCommand, DownlinkError, DownlinkKind, type DownlinkResult, DownlinkSecret } from '../contracts/downlink';
import { redactForAudit } from '../db/audit';

const Int = z.union([z.number(), z.string()]).transform((v) => Number(v));
const Row = z.object({
  id: z.string(),
  compound: z.string(),
  seq: Int,
  kind: DownlinkKind,
  body: z.unknown(),
  created_by: z.string(),
  created_at: z.date(),
  status: z.enum(['pending', 'sent', 'applied', 'refused']),
  published_at: z.date().nullable(),
  applied_at: z.date().nullable(),
  entity_id: z.string().nullable(),
  error_code: z.string().nullable(),
  error: z.string().nullable(),
  secret: DownlinkSecret.nullable(),
});
type Row = z.infer<typeof Row>;

const COLUMNS = 'id, compound, seq, kind, body, created_by, created_at, status, published_at, applied_at, entity_id, error_code, error, secret';

function toView(r: Row, withSecret: boolean): HubDownlinkCommand {
  return {
    id: r.id,
    compound: r.compound,
    seq: r.seq,
    kind: r.kind,
    // As the cell's audit log shows a body: a card number redacted, a phone number masked.
    body: redactForAudit(r.body),
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    status: r.status,
    publishedAt: r.published_at?.toISOString() ?? null,
    appliedAt: r.applied_at?.toISOString() ?? null,
    entityId: r.entity_id,
    error: r.error_code === null ? null : DownlinkError.parse({ code: r.error_code, message: r.error ?? '' }),
    secret: withSecret ? r.secret : null,
  };
}

/** The message a stored row is published as (parsed: a row that no longer parses is never sent). */
export function commandOf(r: Row): DownlinkCommand {
  return DownlinkCommand.parse({ v: 1, id: r.id, compound: r.compound, seq: r.seq, kind: r.kind, body: r.body, createdBy: r.created_by, createdAt: r.created_at.toISOString() });
}

export function downlinkStore(pool: Pool) {
  return {
    /** Stores a command with the compound's next seq (one transaction); returns the stored row. */
    async add(c: { compound: string; kind: DownlinkKind; body: unknown; createdBy: string }): Promise<Row> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const seq = await client.query(
          `INSERT INTO downlink_seq (compound, last_seq) VALUES ($1, 1)
           ON CONFLICT (compound) DO UPDATE SET last_seq = downlink_seq.last_seq + 1 RETURNING last_seq`,
          [c.compound],
        );
        const next = z.object({ last_seq: Int }).parse(seq.rows[0]).last_seq;
        const res = await client.query(
          `INSERT INTO downlink_command (compound, seq, kind, body, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
          [c.compound, next, c.kind, JSON.stringify(c.body), c.createdBy],
        );
        await client.query('COMMIT');
        return Row.parse(res.rows[0]);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    /** Commands not yet accepted by JetStream, per compound in seq order. */
    async pending(limit = 500): Promise<Row[]> {
      const res = await pool.query(`SELECT ${COLUMNS} FROM downlink_command WHERE status = 'pending' ORDER BY compound, seq LIMIT $1`, [limit]);
      return res.rows.map((r) => Row.parse(r));
    },
    async markSent(id: string, at: Date): Promise<void> {
      await pool.query("UPDATE downlink_command SET status = 'sent', published_at = $2 WHERE id = $1 AND status = 'pending'", [id, at]);
    },
    /** The cell's answer; the first one counts (a repeat after a redelivery changes nothing). */
    async answer(r: DownlinkResult): Promise<boolean> {
      const applied = r.outcome === 'applied';
      const res = await pool.query(
        // Answered, the command is never published again: a card number in its body is no longer needed at the hub.
        `UPDATE downlink_command SET status = $2, applied_at = $3, entity_id = $4, error_code = $5, error = $6, secret = $7,
           published_at = coalesce(published_at, $3), body = body #- '{credential,value}'
         WHERE id = $1 AND compound = $8 AND status IN ('pending', 'sent')`,
        [r.commandId, r.outcome, new Date(r.at), applied ? r.entityId : null, applied ? null : r.error.code, applied ? null : r.error.message,
          applied && r.secret !== null ? JSON.stringify(r.secret) : null, r.compound],
      );
      return (res.rowCount ?? 0) > 0;
    },
    /** Commands still waiting for their cell's answer, by status (for /metrics). */
    async unanswered(): Promise<{ pending: number; sent: number }> {
      const res = await pool.query("SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'sent') AS sent FROM downlink_command WHERE status IN ('pending', 'sent')");
      return z.object({ pending: Int, sent: Int }).parse(res.rows[0]);
    },
    async list(compound: string, limit = 100): Promise<HubDownlinkCommand[]> {
      const res = await pool.query(`SELECT ${COLUMNS} FROM downlink_command WHERE compound = $1 ORDER BY seq DESC LIMIT $2`, [compound, limit]);
      return res.rows.map((r) => toView(Row.parse(r), false));
    },
    /** One command; its secret only for the user who sent it, and then erased (shown once). */
    async get(compound: string, id: string, reader: string): Promise<HubDownlinkCommand | null> {
      const res = await pool.query(`SELECT ${COLUMNS} FROM downlink_command WHERE compound = $1 AND id = $2`, [compound, id]);
      if (res.rows[0] === undefined) return null;
      const row = Row.parse(res.rows[0]);
      if (row.secret === null || row.created_by !== reader) return toView(row, false);
      const taken = await pool.query('UPDATE downlink_command SET secret = NULL WHERE id = $1 AND secret IS NOT NULL', [id]);
      return toView(row, (taken.rowCount ?? 0) > 0);
    },
  };
}
export type DownlinkStore = ReturnType<typeof downlinkStore>;
export type DownlinkRow = Row;
export type { DownlinkStatus };
