import type { RawDb } from './client';
import { type GroupCommit, type GroupCommitOptions, createGroupCommit } from './group-commit';

export interface PresenceRow {
  deviceId: string;
  online: boolean;
  /** ISO time in the stored format. */
  at: string;
}

/**
 * Device presence through group commit: after a gateway restart thousands of devices log in within seconds, and one
 * Prisma update (one fsync) per login would serialise the whole reconnect storm behind the disk.
 */
export function createPresenceWriter(raw: RawDb, opts: GroupCommitOptions): GroupCommit<PresenceRow, void> {
  const update = raw.prepare('UPDATE Device SET online = ?, lastSeenAt = ? WHERE id = ?');
  const commit = raw.transaction((batch: PresenceRow[]) => batch.map((r) => void update.run(r.online ? 1 : 0, r.at, r.deviceId)));
  return createGroupCommit(commit, opts);
}
