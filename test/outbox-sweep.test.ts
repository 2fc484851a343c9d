import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { type Db, openDb } from '../gateway/src/db/client';
import { freshDatabase } from './helpers/gateway';
import { sweepWhileLiveJudges } from './helpers/outbox-race';

/**
 * The alert outbox sweep on SQLite, in the race test/cluster/pg-alerts.test.ts runs on PostgreSQL: a page read before
 * the live path judged, stored and deleted some of its entries still reaches the sweep with them, and the sweep
 * hands none of them to the engine again (docs/storage.md, "Each outbox entry judged exactly once").
 */
describe('the alert outbox sweep on SQLite', () => {
  const dirs: string[] = [];
  let db: Db | undefined;
  afterAll(async () => {
    await db?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('judges every entry exactly once, even when a page is read while its entries are being judged', async () => {
    const { dir, dbFile } = freshDatabase();
    dirs.push(dir);
    db = await openDb(dbFile);
    const r = await sweepWhileLiveJudges(db);
    expect(r.liveStoredFirst).toBe(true);
    expect(r.pagesRead).toBeGreaterThanOrEqual(4);
    expect(r.judged).toBe(r.entries.length - r.live.length);
    expect([...r.marked].sort((a, b) => a - b)).toEqual(r.entries);
    expect(r.outboxLeft).toBe(0);
    expect(r.alerts).toEqual([
      { type: 'alarm_press', deviceId: 'btn-1', count: 12 },
      { type: 'forced_entry', deviceId: 'door-1', count: 1 },
    ]);
  });
});
