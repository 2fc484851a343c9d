import type pg from 'pg';
import { type EventRow, type EventWriterOptions, JUDGED_CHANNELS, type WriteResult, derivedEventId } from './event-rows';
import type { GroupCommit } from './group-commit';
import { WRITER_LOCK_TIMEOUT_MS, createPgGroupCommit } from './pg-group-commit';
import { boundLockWaits, pgTransaction } from './pg-tx';

const keyOf = (deviceId: string, eventId: string) => `${deviceId}\n${eventId}`;

/** The rows already stored under the batch's (deviceId, eventId) keys: what a retransmission is compared with. */
const PRIOR = `SELECT "deviceId", "eventId", payload, "deviceTime" FROM "DeviceEvent"
                WHERE ("deviceId", "eventId") IN (SELECT * FROM unnest($1::text[], $2::text[]))`;

/**
 * The batch's new rows in one statement, in batch order (seq follows it), each judged channel's outbox row beside its
 * event (outbox ids in seq order); a key stored meanwhile is skipped, not an error.
 */
const INSERT = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::boolean[], $8::int[])
    WITH ORDINALITY AS t("deviceId", "eventId", channel, payload, "deviceTime", "receivedAt", "reusedEventId", priority, ord)
), ins AS (
  INSERT INTO "DeviceEvent" ("deviceId", "eventId", channel, payload, "deviceTime", "receivedAt", "reusedEventId")
  SELECT "deviceId", "eventId", channel, payload, "deviceTime", "receivedAt", "reusedEventId" FROM input ORDER BY ord
  ON CONFLICT DO NOTHING
  RETURNING seq, "deviceId", "eventId"
), ob AS (
  INSERT INTO "AlertOutbox" ("eventSeq", "deviceId", priority, "createdAt")
  SELECT ins.seq, ins."deviceId", input.priority, $9::timestamptz FROM ins JOIN input USING ("deviceId", "eventId")
   WHERE input.priority IS NOT NULL ORDER BY ins.seq
  RETURNING id, "eventSeq"
)
SELECT ins.seq, ins."deviceId", ins."eventId", ob.id AS "outboxId" FROM ins LEFT JOIN ob ON ob."eventSeq" = ins.seq`;

/** Devices in id order, so two transactions touching the same devices lock them in the same order (no deadlock). */
const TOUCH = `UPDATE "Device" d SET "lastSeenAt" = t.at FROM unnest($1::text[], $2::timestamptz[]) AS t(id, at) WHERE d.id = t.id`;

interface Planned {
  row: EventRow;
  eventId: string;
  reused: boolean;
}

/**
 * What each item of the batch becomes, decided as the SQLite writer decides it item by item: a new key is stored; a
 * key stored before (or earlier in the batch) with the same time and payload is a duplicate; with other content the
 * item goes under its derived key (flagged reused), once per derived key in the batch. null: a duplicate.
 */
function plan(batch: EventRow[], prior: Map<string, { payload: string; time: number }>): Array<Planned | null> {
  const derived = new Set<string>();
  return batch.map((row): Planned | null => {
    const key = keyOf(row.deviceId, row.eventId);
    const before = prior.get(key);
    const time = Date.parse(row.deviceTime);
    if (!before) {
      prior.set(key, { payload: row.payload, time });
      return { row, eventId: row.eventId, reused: false };
    }
    if (before.payload === row.payload && before.time === time) return null;
    const eventId = derivedEventId(row);
    const dkey = keyOf(row.deviceId, eventId);
    if (derived.has(dkey)) return null;
    derived.add(dkey);
    return { row, eventId, reused: true };
  });
}

async function commitBatch(client: pg.PoolClient, batch: EventRow[]): Promise<WriteResult[]> {
  await boundLockWaits(client, WRITER_LOCK_TIMEOUT_MS);
  const found = await client.query<{ deviceId: string; eventId: string; payload: string; deviceTime: Date }>({
    name: 'linli-event-prior',
    text: PRIOR,
    values: [batch.map((r) => r.deviceId), batch.map((r) => r.eventId)],
  });
  const prior = new Map(found.rows.map((r) => [keyOf(r.deviceId, r.eventId), { payload: r.payload, time: r.deviceTime.getTime() }]));
  const planned = plan(batch, prior);
  const rows = planned.filter((p): p is Planned => p !== null);
  const inserted = await client.query<{ seq: number; deviceId: string; eventId: string; outboxId: number | null }>({
    name: 'linli-event-insert',
    text: INSERT,
    values: [
      rows.map((p) => p.row.deviceId),
      rows.map((p) => p.eventId),
      rows.map((p) => p.row.channel),
      rows.map((p) => p.row.payload),
      rows.map((p) => p.row.deviceTime),
      rows.map((p) => p.row.receivedAt),
      rows.map((p) => p.reused),
      rows.map((p) => JUDGED_CHANNELS.get(p.row.channel) ?? p.row.priority ?? null),
      new Date(),
    ],
  });
  const stored = new Map(inserted.rows.map((r) => [keyOf(r.deviceId, r.eventId), r]));
  const lastSeen = new Map<string, string>();
  for (const r of batch) lastSeen.set(r.deviceId, r.receivedAt);
  const devices = [...lastSeen.keys()].sort();
  await client.query({ name: 'linli-event-touch', text: TOUCH, values: [devices, devices.map((d) => lastSeen.get(d))] });
  return planned.map((p): WriteResult => {
    const s = p && stored.get(keyOf(p.row.deviceId, p.eventId));
    if (!p || !s) return { status: 'duplicate' };
    return { status: p.reused ? 'reused' : 'stored', seq: s.seq, eventId: p.eventId, outboxId: s.outboxId };
  });
}

/**
 * Device events on PostgreSQL: the SQLite writer's contract (db/event-writer.ts) through the asynchronous group
 * commit (db/pg-group-commit.ts). One transaction per batch of four statements: the stored rows of the batch's keys,
 * one array insert of the new rows with their outbox rows (`unnest … ON CONFLICT DO NOTHING RETURNING`), the devices'
 * lastSeenAt, COMMIT — durable when PostgreSQL's COMMIT returns (synchronous_commit).
 */
export function createPgEventWriter(pool: pg.Pool, opts: EventWriterOptions): GroupCommit<EventRow, WriteResult> & { isStored(deviceId: string, eventId: string): Promise<boolean> } {
  const writes = createPgGroupCommit((batch: EventRow[]) => pgTransaction(pool, async (client) => ({ commit: true, value: await commitBatch(client, batch) })), opts, (r) => r.deviceId);
  return {
    ...writes,
    isStored: async (deviceId: string, eventId: string) => {
      const r = await pool.query({ name: 'linli-event-stored', text: 'SELECT 1 FROM "DeviceEvent" WHERE "deviceId" = $1 AND "eventId" = $2', values: [deviceId, eventId] });
      return (r.rowCount ?? 0) > 0;
    },
  };
}
