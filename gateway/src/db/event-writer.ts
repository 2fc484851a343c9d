import { type GroupCommit, type GroupCommitOptions, createGroupCommit } from './group-commit';
import type { WriterThread } from './writer-thread';

/** One device message as it is made durable. Times are ISO strings in the format Prisma reads back. */
export interface EventRow {
  deviceId: string;
  eventId: string;
  channel: string;
  payload: string;
  deviceTime: string;
  receivedAt: string;
}

export type WriteResult = 'stored' | 'duplicate';

export type EventWriterOptions = GroupCommitOptions;

/**
 * Device events through group commit (db/group-commit.ts), committed on the writer thread (write-programs.ts has the
 * SQL; measured against Prisma createMany in docs/benchmarks.md).
 */
export function createEventWriter(thread: WriterThread, opts: EventWriterOptions): GroupCommit<EventRow, WriteResult> {
  return createGroupCommit((batch) => thread.run('events', batch), opts);
}

export type EventWriter = ReturnType<typeof createEventWriter>;
