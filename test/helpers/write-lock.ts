import Database from 'better-sqlite3';
import type { Store } from '../../gateway/src/db/pg-client';

/**
 * Takes the gateway's database away from its writers, as another process holding a lock would, until `release()`.
 * SQLite: BEGIN EXCLUSIVE on a second connection to the file (every commit fails with SQLITE_BUSY). PostgreSQL: a
 * transaction on a connection of its own holding ACCESS EXCLUSIVE locks on the event and heartbeat tables (the
 * writers' commits fail at their lock timeout, the heartbeat at its own).
 */
export async function holdWriteLock(db: Store, dbFile: string): Promise<{ release(): Promise<void> }> {
  if (db.kind === 'sqlite') {
    const blocker = new Database(dbFile);
    blocker.exec('BEGIN EXCLUSIVE');
    return {
      release: async () => {
        blocker.exec('COMMIT');
        blocker.close();
      },
    };
  }
  const client = await db.pool.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE "DeviceEvent", "DbHeartbeat" IN ACCESS EXCLUSIVE MODE');
  return {
    release: async () => {
      await client.query('COMMIT');
      client.release();
    },
  };
}
