// Replication sends only rows already on disk: device events and access decisions commit with synchronous=NORMAL and
// are synced just after (db/wal-sync.ts), so the relay waits for a WAL sync started after its read before anything
// leaves for the hub (db/replication.ts, withDurableReads; docs/architecture.md, "One fsync covers every commit
// before it"). The sync is held here to see that the rows are not handed out before it completes.
import { rmSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../gateway/src/db/client';
import { createEventWriter } from '../gateway/src/db/event-writer';
import { replicationRepo } from '../gateway/src/db/replication';
import { holdFdatasync, restoreFdatasync } from './helpers/fdatasync';
import { addDevice } from './helpers/fixtures';
import { freshDatabase } from './helpers/gateway';

describe('replication reads: nothing leaves before it is on disk', () => {
  const { dir, dbFile } = freshDatabase();
  afterEach(restoreFdatasync);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('hands out the rows read only once a WAL sync after the read has completed, and syncs nothing when there is nothing to send', async () => {
    const db = await openDb(dbFile);
    await addDevice(db.prisma, { id: 'door-repl-1', kind: 'face_terminal', secret: 'repl-secret-0001' });
    const writer = createEventWriter(db, { maxBatch: 10, maxDelayMs: 1, maxPending: 100 });
    const ts = new Date().toISOString();
    await writer.write({ deviceId: 'door-repl-1', eventId: 'ev-1', channel: 'door/state', payload: '{}', deviceTime: ts, receivedAt: ts });
    const repo = replicationRepo(db);
    const [first] = repo.rowsAfter('device_event', 0, 10);
    expect(first?.row.eventId).toBe('ev-1');

    const disk = holdFdatasync();
    expect(await repo.durableRowsAfter('device_event', first!.seq, 10)).toEqual([]);
    expect(disk.held()).toBe(0);

    let handedOut = false;
    const rows = repo.durableRowsAfter('device_event', 0, 10).then((r) => {
      handedOut = true;
      return r;
    });
    await expect.poll(() => disk.held(), { timeout: 30_000 }).toBe(1);
    // A round trip through the event loop and the thread pool, and still nothing handed out.
    await db.prisma.device.count();
    expect(handedOut).toBe(false);
    disk.release();
    expect((await rows).map((r) => r.row.eventId)).toEqual(['ev-1']);
    await writer.drain(5_000);
    await db.close();
  });
});
