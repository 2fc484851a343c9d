import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { walSync } from './wal-sync';

describe('walSync: the WAL fsync of synchronous=NORMAL commits, off the event loop', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const database = () => {
    const dir = mkdtempSync(join(tmpdir(), 'linli-wal-sync-'));
    dirs.push(dir);
    const path = join(dir, 'x.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE t (v INTEGER)');
    return { db, path };
  };

  it('resolves every caller, in the order they asked, those who asked during a sync sharing the next one', async () => {
    const { db, path } = database();
    const sync = walSync(path);
    const order: number[] = [];
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const all: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      insert.run(i);
      all.push(sync().then(() => void order.push(i)));
    }
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
    db.close();
  });

  it('resolves when there is no WAL file (everything was checkpointed into the database, which a checkpoint syncs)', async () => {
    const { db, path } = database();
    db.close(); // the last connection checkpoints and removes the WAL
    await expect(walSync(path)()).resolves.toBeUndefined();
  });

  it('reports a WAL that cannot be opened for another reason, so the write is not taken as stored', async () => {
    const { path } = database();
    await expect(walSync(join(path, 'not-a-directory'))()).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
