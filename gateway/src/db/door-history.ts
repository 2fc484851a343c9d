import type { RawDb } from './client';
import { isoStored } from './time';

/** A stored door or barrier report (DeviceEvent row) before the opening being judged. */
export interface StoredDoorReport {
  channel: string;
  payload: string;
  receivedAt: string;
}

/** What door monitoring needs to judge a stored opening again: the door's reports and grants just before it. */
export interface DoorHistory {
  /** The last report before the window (whether the door was already open when it starts), or null. */
  before: StoredDoorReport | null;
  /** Reports inside the window, oldest first. */
  reports: StoredDoorReport[];
  /** Times of the door's live grants and guard remote opens inside the window (AccessEvent rows), oldest first. */
  grants: string[];
}

const DOOR_CHANNELS = "('door/state', 'barrier/state')";

/**
 * Reads on the raw connection, synchronous like the outbox sweep that calls them (WAL readers never wait for the
 * writer's lock). Bounded by the window: a door's history is never read whole.
 */
export function doorHistoryRepo(raw: RawDb) {
  const before = raw.prepare<[string, number, string], StoredDoorReport>(
    `SELECT channel, payload, receivedAt FROM DeviceEvent
      WHERE deviceId = ? AND channel IN ${DOOR_CHANNELS} AND seq < ? AND receivedAt < ? ORDER BY seq DESC LIMIT 1`,
  );
  const reports = raw.prepare<[string, number, string], StoredDoorReport>(
    `SELECT channel, payload, receivedAt FROM DeviceEvent
      WHERE deviceId = ? AND channel IN ${DOOR_CHANNELS} AND seq < ? AND receivedAt >= ? ORDER BY seq ASC LIMIT 10000`,
  );
  const grants = raw.prepare<[string, string, string], { at: string }>(
    `SELECT at FROM AccessEvent WHERE deviceId = ? AND decision = 'grant' AND offline = 0 AND at >= ? AND at <= ? ORDER BY at ASC LIMIT 10000`,
  );
  return {
    /** The door's history in [at - windowMs, at), before the event stored as `seq`. */
    around(deviceId: string, seq: number, at: Date, windowMs: number): DoorHistory {
      const from = isoStored(new Date(at.getTime() - windowMs));
      return {
        before: before.get(deviceId, seq, from) ?? null,
        reports: reports.all(deviceId, seq, from),
        grants: grants.all(deviceId, from, isoStored(at)).map((g) => g.at),
      };
    },
  };
}

export type DoorHistoryRepo = ReturnType<typeof doorHistoryRepo>;
