import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log';
import { startCheckpointer } from './checkpointer';

const log = createLogger({ level: 'silent', name: 'checkpointer-test' });

describe('startCheckpointer: WAL checkpoints in a worker thread, none inside a commit', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const database = () => {
    const dir = mkdtempSync(join(tmpdir(), 'linli-checkpointer-'));
    dirs.push(dir);
    const path = join(dir, 'x.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (v TEXT)');
    return { db, path };
  };
  const fill = (db: Database.Database, rows: number) => {
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run('x'.repeat(200));
    })();
  };
  /** What a fresh reader sees of the WAL: frames in it and frames already copied back (a PASSIVE no-op probe). */
  const walState = (path: string) => {
    const probe = new Database(path, { readonly: true });
    try {
      return probe.prepare('SELECT COUNT(*) AS n FROM t').get();
    } finally {
      probe.close();
    }
  };

  it('copies every frame a writer committed back into the database file from its own thread, while writes go on', async () => {
    const { db, path } = database();
    const cp = startCheckpointer(path, log, { intervalMs: 50 });
    try {
      fill(db, 5_000);
      // The writer's own connection did not checkpoint: with autocheckpoint off, the WAL holds all its frames.
      const before = await cp.next();
      expect(before.walFrames).toBeGreaterThan(200);
      const after = await cp.next();
      expect(after.checkpointedFrames).toBe(after.walFrames);
      expect(after.runs).toBeGreaterThan(before.runs);
      // Writes go on while the worker works, and every committed row stays readable.
      fill(db, 1_000);
      const again = await cp.next();
      await cp.next();
      expect(again.walFrames).toBeGreaterThan(0);
      expect(walState(path)).toEqual({ n: 6_000 });
    } finally {
      await cp.stop();
      db.close();
    }
  });

  it('stops cleanly, and a stopped checkpointer can be stopped again', async () => {
    const { db, path } = database();
    const cp = startCheckpointer(path, log, { intervalMs: 50 });
    await cp.next();
    await cp.stop();
    await cp.stop();
    expect(cp.stats().restarts).toBe(0);
    db.close();
  });
});
