import type pg from 'pg';
import type { RawDb } from './client';
import type { Store } from './pg-client';
import { isoStored } from './time';

/** A stored door or barrier report (DeviceEvent row) before the opening being judged. */
export interface StoredDoorReport {
  channel: string;
  payload: string;
  /** ISO 8601. */
  receivedAt: string;
}

/** What door monitoring needs to judge a stored opening again: the door's reports and grants just before it. */
export interface DoorHistory {
  /** The last report before the window (whether the door was already open when it starts), or null. */
  before: StoredDoorReport | null;
  /** Reports inside the window, oldest first. */
  reports: StoredDoorReport[];
  /** Times (ISO 8601) of the door's live grants and guard remote opens inside the window (AccessEvent rows), oldest first. */
  grants: string[];
}

export interface DoorHistoryRepo {
  /** The door's history in [at - windowMs, at), before the event stored as `seq`. */
  around(deviceId: string, seq: number, at: Date, windowMs: number): Promise<DoorHistory>;
}

const DOOR_CHANNELS = "('door/state', 'barrier/state')";
/** Neither read takes a door's whole history: the window bounds it, and so does this. */
const LIMIT = 10_000;

/**
 * Reads for the alert outbox sweep's replay of a stored opening (access/door-watch.ts), bounded by the window: on
 * SQLite on the raw connection (WAL readers never wait for the writer's lock), on PostgreSQL on the pool.
 */
export function doorHistoryRepo(store: Store): DoorHistoryRepo {
  return store.kind === 'sqlite' ? sqliteDoorHistory(store.raw) : pgDoorHistory(store.pool);
}

function sqliteDoorHistory(raw: RawDb): DoorHistoryRepo {
  const before = raw.prepare<[string, number, string], StoredDoorReport>(
    `SELECT channel, payload, receivedAt FROM DeviceEvent
      WHERE deviceId = ? AND channel IN ${DOOR_CHANNELS} AND seq < ? AND receivedAt < ? ORDER BY seq DESC LIMIT 1`,
  );
  const reports = raw.prepare<[string, number, string], StoredDoorReport>(
    `SELECT channel, payload, receivedAt FROM DeviceEvent
      WHERE deviceId = ? AND channel IN ${DOOR_CHANNELS} AND seq < ? AND receivedAt >= ? ORDER BY seq ASC LIMIT ${LIMIT}`,
  );
  const grants = raw.prepare<[string, string, string], { at: string }>(
    `SELECT at FROM AccessEvent WHERE deviceId = ? AND decision = 'grant' AND offline = 0 AND at >= ? AND at <= ? ORDER BY at ASC LIMIT ${LIMIT}`,
  );
  return {
    async around(deviceId, seq, at, windowMs) {
      const from = isoStored(new Date(at.getTime() - windowMs));
      return {
        before: before.get(deviceId, seq, from) ?? null,
        reports: reports.all(deviceId, seq, from),
        grants: grants.all(deviceId, from, isoStored(at)).map((g) => g.at),
      };
    },
  };
}

function pgDoorHistory(pool: pg.Pool): DoorHistoryRepo {
  const report = (r: { channel: string; payload: string; receivedAt: Date }): StoredDoorReport => ({ channel: r.channel, payload: r.payload, receivedAt: r.receivedAt.toISOString() });
  return {
    async around(deviceId, seq, at, windowMs) {
      const from = new Date(at.getTime() - windowMs);
      type Row = { channel: string; payload: string; receivedAt: Date };
      const [before, reports, grants] = await Promise.all([
        pool.query<Row>(
          `SELECT "channel", "payload", "receivedAt" FROM "DeviceEvent"
            WHERE "deviceId" = $1 AND "channel" IN ${DOOR_CHANNELS} AND "seq" < $2 AND "receivedAt" < $3 ORDER BY "seq" DESC LIMIT 1`,
          [deviceId, seq, from],
        ),
        pool.query<Row>(
          `SELECT "channel", "payload", "receivedAt" FROM "DeviceEvent"
            WHERE "deviceId" = $1 AND "channel" IN ${DOOR_CHANNELS} AND "seq" < $2 AND "receivedAt" >= $3 ORDER BY "seq" ASC LIMIT ${LIMIT}`,
          [deviceId, seq, from],
        ),
        pool.query<{ at: Date }>(
          `SELECT "at" FROM "AccessEvent" WHERE "deviceId" = $1 AND "decision" = 'grant' AND NOT "offline" AND "at" >= $2 AND "at" <= $3 ORDER BY "at" ASC LIMIT ${LIMIT}`,
          [deviceId, from, at],
        ),
      ]);
      const first = before.rows[0];
      return { before: first ? report(first) : null, reports: reports.rows.map(report), grants: grants.rows.map((g) => g.at.toISOString()) };
    },
  };
}
