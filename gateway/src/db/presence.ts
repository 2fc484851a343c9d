import { type GroupCommit, type GroupCommitOptions, createGroupCommit } from './group-commit';
import type { WriterThread } from './writer-thread';

export interface PresenceRow {
  deviceId: string;
  online: boolean;
  /** ISO time in the stored format. */
  at: string;
}

/**
 * Device presence through group commit on the writer thread: after a gateway restart thousands of devices log in
 * within seconds, and one update (one fsync) per login would serialise the whole reconnect storm behind the disk.
 */
export function createPresenceWriter(thread: WriterThread, opts: GroupCommitOptions): GroupCommit<PresenceRow, null> {
  return createGroupCommit((batch) => thread.run('presence', batch), opts);
}
