// The cell's side of replication to the hub (gateway/src/replication/): committed rows read in seq order after a
// point, and the resend point (ReplicationCursor) that only the hub's committed watermark moves.
import { z } from 'zod';
import type { ReplicatedDeviceEvent } from '../contracts/replication';
import type { Db } from './client';

/** Rows that never leave the cell: proof-of-life chatter (presence transitions replicate on their own, later). */
export const NOT_REPLICATED_CHANNELS = ['heartbeat'] as const;

const EventRow = z.object({
  seq: z.number().int(),
  deviceId: z.string(),
  eventId: z.string(),
  channel: z.string(),
  payload: z.string(),
  deviceTime: z.union([z.string(), z.number()]),
  receivedAt: z.union([z.string(), z.number()]),
  reusedEventId: z.union([z.number(), z.bigint()]),
});

const CursorRow = z.object({ confirmedSeq: z.number().int(), confirmedAt: z.string().nullable() });
const Count = z.object({ n: z.number().int() });
const Oldest = z.object({ receivedAt: z.union([z.string(), z.number()]) });

/** SQLite holds Prisma's ISO 8601 text; an integer (epoch ms) is read the same way. Always UTC with an offset out. */
function isoOf(v: string | number): string {
  return new Date(v).toISOString().replace('Z', '+00:00');
}

export interface StoredForReplication {
  seq: number;
  row: ReplicatedDeviceEvent;
}

export function replicationRepo(db: Db) {
  const after = db.raw.prepare(
    `SELECT seq, deviceId, eventId, channel, payload, deviceTime, receivedAt, reusedEventId FROM DeviceEvent
     WHERE seq > ? AND channel NOT IN (${NOT_REPLICATED_CHANNELS.map(() => '?').join(',')}) ORDER BY seq LIMIT ?`,
  );
  const cursor = db.raw.prepare('SELECT confirmedSeq, confirmedAt FROM ReplicationCursor WHERE stream = ?');
  // Capped: a metric must never turn into a scan of a year of history.
  const backlog = db.raw.prepare(
    `SELECT count(*) AS n FROM (SELECT 1 FROM DeviceEvent WHERE seq > ? AND channel NOT IN (${NOT_REPLICATED_CHANNELS.map(() => '?').join(',')}) LIMIT 1000000)`,
  );
  const oldest = db.raw.prepare(
    `SELECT receivedAt FROM DeviceEvent WHERE seq > ? AND channel NOT IN (${NOT_REPLICATED_CHANNELS.map(() => '?').join(',')}) ORDER BY seq LIMIT 1`,
  );
  const compounds = db.raw.prepare('SELECT id FROM Community WHERE active = 1 ORDER BY id');
  return {
    /** Ids of the compounds this cell serves (a cell normally serves exactly one). */
    activeCompounds(): string[] {
      return compounds.all().map((r) => z.object({ id: z.string() }).parse(r).id);
    },
    /** Up to `limit` committed device events after `seq`, oldest first, heartbeats left out. */
    deviceEventsAfter(seq: number, limit: number): StoredForReplication[] {
      return after.all(seq, ...NOT_REPLICATED_CHANNELS, limit).map((raw) => {
        const r = EventRow.parse(raw);
        return {
          seq: r.seq,
          row: {
            deviceId: r.deviceId,
            eventId: r.eventId,
            channel: r.channel,
            payload: r.payload,
            deviceTime: isoOf(r.deviceTime),
            receivedAt: isoOf(r.receivedAt),
            reusedEventId: Number(r.reusedEventId) !== 0,
          },
        };
      });
    },
    /** The resend point of a stream: 0 before the hub has confirmed anything. */
    confirmed(stream: string): { seq: number; at: Date | null } {
      const row = cursor.get(stream);
      if (row === undefined) return { seq: 0, at: null };
      const c = CursorRow.parse(row);
      return { seq: c.confirmedSeq, at: c.confirmedAt === null ? null : new Date(c.confirmedAt) };
    },
    /**
     * Moves the resend point forward to what the hub reported committed; never backwards (a stale watermark after a
     * hub restore changes nothing here). Async: a locked database is retried off the event loop by Prisma's adapter.
     */
    async confirm(stream: string, seq: number, at: Date): Promise<void> {
      const iso = at.toISOString().replace('Z', '+00:00');
      await db.prisma.$executeRaw`INSERT INTO "ReplicationCursor" ("stream", "confirmedSeq", "confirmedAt") VALUES (${stream}, ${seq}, ${iso})
        ON CONFLICT ("stream") DO UPDATE SET "confirmedSeq" = excluded."confirmedSeq", "confirmedAt" = excluded."confirmedAt"
        WHERE excluded."confirmedSeq" > "ReplicationCursor"."confirmedSeq"`;
    },
    /** Rows after `seq` still to replicate (capped at a million), and when the oldest of them was received. */
    backlog(seq: number): { rows: number; oldestReceivedAt: Date | null } {
      const n = Count.parse(backlog.get(seq, ...NOT_REPLICATED_CHANNELS)).n;
      const o = oldest.get(seq, ...NOT_REPLICATED_CHANNELS);
      return { rows: n, oldestReceivedAt: o === undefined ? null : new Date(Oldest.parse(o).receivedAt) };
    },
  };
}
export type ReplicationRepo = ReturnType<typeof replicationRepo>;
