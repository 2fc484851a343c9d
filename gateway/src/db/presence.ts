import type pg from 'pg';
import type { RawDb } from './client';
import { type GroupCommit, type GroupCommitOptions, createGroupCommit } from './group-commit';
import type { Store } from './pg-client';
import { WRITER_LOCK_TIMEOUT_MS, createPgGroupCommit } from './pg-group-commit';
import { boundLockWaits, pgTransaction } from './pg-tx';

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
export function createPresenceWriter(store: Store, opts: GroupCommitOptions): GroupCommit<PresenceRow, void> {
  return store.kind === 'sqlite' ? createSqlitePresenceWriter(store.raw, opts) : createPgPresenceWriter(store.pool, opts);
}

function createSqlitePresenceWriter(raw: RawDb, opts: GroupCommitOptions): GroupCommit<PresenceRow, void> {
  const update = raw.prepare('UPDATE Device SET online = ?, lastSeenAt = ? WHERE id = ?');
  const commit = raw.transaction((batch: PresenceRow[]) => batch.map((r) => void update.run(r.online ? 1 : 0, r.at, r.deviceId)));
  return createGroupCommit(commit, opts);
}

const UPDATE = `UPDATE "Device" d SET online = t.online, "lastSeenAt" = t.at
                  FROM unnest($1::text[], $2::boolean[], $3::timestamptz[]) AS t(id, online, at) WHERE d.id = t.id`;

/**
 * The batch as rounds in which every device appears at most once, each round in device id order: a device that went
 * offline and online again within one batch gets both updates in their order (the presence replication trigger logs
 * each transition, as on SQLite), and two transactions lock devices in the same order.
 */
export function presenceRounds(batch: PresenceRow[]): PresenceRow[][] {
  const rounds: Array<Map<string, PresenceRow>> = [];
  const seen = new Map<string, number>();
  for (const r of batch) {
    const n = seen.get(r.deviceId) ?? 0;
    seen.set(r.deviceId, n + 1);
    (rounds[n] ??= new Map()).set(r.deviceId, r);
  }
  return rounds.map((round) => [...round.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0)));
}

/** Presence on PostgreSQL: one array update per round of the batch, one transaction per batch. */
function createPgPresenceWriter(pool: pg.Pool, opts: GroupCommitOptions): GroupCommit<PresenceRow, void> {
  return createPgGroupCommit(
    (batch: PresenceRow[]) =>
      pgTransaction(pool, async (client) => {
        await boundLockWaits(client, WRITER_LOCK_TIMEOUT_MS);
        for (const round of presenceRounds(batch)) {
          await client.query({ name: 'linli-presence', text: UPDATE, values: [round.map((r) => r.deviceId), round.map((r) => r.online), round.map((r) => r.at)] });
        }
        return { commit: true, value: batch.map(() => undefined) };
      }),
    opts,
  );
}
