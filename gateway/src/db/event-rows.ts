import { createHash } from 'node:crypto';
import type { GroupCommitOptions } from './group-commit';

/** One device message as it is made durable. Times are ISO strings in the format Prisma reads back. */
export interface EventRow {
  deviceId: string;
  eventId: string;
  channel: string;
  payload: string;
  deviceTime: string;
  receivedAt: string;
  /**
   * Alert outbox priority for an event judged by its content rather than its channel: a door or barrier opening
   * (door monitoring decides whether it was forced). Channels in JUDGED_CHANNELS take theirs.
   */
  priority?: 0 | 1;
}

/**
 * stored: a new row. duplicate: the same (deviceId, eventId) with the same device time and payload, a
 * retransmission. reused: the id was used before with other content (the device's counter went backwards), so the
 * event is stored under `eventId~<hash of time and payload>` and flagged; a retransmission of it is a duplicate.
 * `outboxId` is the alert outbox row written in the same transaction (null when the channel is not judged).
 */
export type WriteResult =
  | { status: 'stored' | 'reused'; seq: number; eventId: string; outboxId: number | null }
  | { status: 'duplicate' };

export type EventWriterOptions = GroupCommitOptions;

/**
 * Channels the alert engine must judge, with their outbox priority (1 = critical, worked first in a backlog).
 * The alarm's cancel shares the press's priority so a backlog keeps a press before its cancel.
 */
export const JUDGED_CHANNELS: ReadonlyMap<string, 0 | 1> = new Map([
  ['alarm/press', 1],
  ['alarm/cancel', 1],
  ['gateway/access-incident', 1],
  ['tamper', 0],
  ['battery/low', 0],
  ['gateway/health', 0],
]);

/** The derived key of a reused event id: stable, so the device's retransmissions of the new event collapse. */
export function derivedEventId(r: Pick<EventRow, 'eventId' | 'deviceTime' | 'payload'>): string {
  const h = createHash('sha256').update(r.deviceTime).update('\n').update(r.payload).digest('hex').slice(0, 16);
  return `${r.eventId}~${h}`;
}
