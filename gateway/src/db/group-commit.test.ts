import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackpressureError, createGroupCommit } from './group-commit';

describe('group commit: the alarm lane', () => {
  let dir: string;
  let db: Database.Database;
  const rows = () => db.prepare<[], { name: string }>('SELECT name FROM item ORDER BY seq').all().map((r) => r.name);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'linli-gc-'));
    db = new Database(join(dir, 'gc.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE item (seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)');
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function writer(maxBatch: number, maxPending = 1_000, failFirst = 0, streamOf?: (name: string) => string) {
    const insert = db.prepare('INSERT INTO item (name) VALUES (?)');
    const batches: string[][] = [];
    let fails = failFirst;
    const commit = db.transaction((names: string[]) => {
      if (fails-- > 0) throw new Error('SQLITE_BUSY: database is locked');
      batches.push(names);
      return names.map((n) => Number(insert.run(n).lastInsertRowid));
    });
    // A lone bulk item would wait a minute for companions: only the urgent path can commit it sooner.
    return { gc: createGroupCommit(commit, { maxBatch, maxDelayMs: 60_000, maxPending }, streamOf), batches };
  }

  it('commits an urgent item at once in a transaction of its own, ahead of the bulk items waiting', async () => {
    const { gc, batches } = writer(100);
    const bulk = ['door-1', 'lamp-2', 'door-3'].map((n) => gc.write(n));
    const press = await gc.write('alarm-press', true);
    expect(press).toBe(1);
    expect(batches[0]).toEqual(['alarm-press']);
    // The bulk items, whose wait the press cut short, follow in the next turn.
    expect(await Promise.all(bulk)).toEqual([2, 3, 4]);
    expect(rows()).toEqual(['alarm-press', 'door-1', 'lamp-2', 'door-3']);
    expect(batches).toEqual([['alarm-press'], ['door-1', 'lamp-2', 'door-3']]);
  });

  it('keeps urgent items in their own order (a press stays before its cancel), ahead of a full batch waiting', async () => {
    const { gc, batches } = writer(2);
    const bulk = ['b1', 'b2', 'b3'].map((n) => gc.write(n));
    // b1 and b2 filled a batch: its commit is scheduled for the next turn; the urgent ones overtake it.
    const urgent = [gc.write('press', true), gc.write('cancel', true)];
    await Promise.all([...urgent, ...bulk]);
    expect(batches).toEqual([['press', 'cancel'], ['b1', 'b2'], ['b3']]);
    expect(rows()).toEqual(['press', 'cancel', 'b1', 'b2', 'b3']);
  });

  it('keeps a press before its cancel when the press’s commit failed and the cancel arrived during the outage', async () => {
    const { gc } = writer(100, 1_000, 1);
    const press = gc.write('press', true);
    // Let the first (failing) commit happen, then the cancel arrives while the retry waits.
    await new Promise((r) => setImmediate(r));
    const cancel = gc.write('cancel', true);
    await Promise.all([press, cancel]);
    expect(rows()).toEqual(['press', 'cancel']);
  });

  it('never lets an urgent item overtake its own stream: a door’s earlier events come along, other streams wait', async () => {
    // "door-a:closed" is door A's, "lamp-1:on" another device's: names are "<device>:<what>".
    const { gc, batches } = writer(100, 1_000, 0, (name) => name.split(':')[0]!);
    const bulk = ['door-a:open-exit', 'lamp-1:on', 'door-a:closed', 'lamp-2:on'].map((n) => gc.write(n));
    await gc.write('door-a:open-unknown', true);
    expect(batches[0]).toEqual(['door-a:open-exit', 'door-a:closed', 'door-a:open-unknown']);
    await Promise.all(bulk);
    expect(rows()).toEqual(['door-a:open-exit', 'door-a:closed', 'door-a:open-unknown', 'lamp-1:on', 'lamp-2:on']);
  });

  it('never refuses an urgent item for a full queue; bulk items get backpressure', async () => {
    const { gc } = writer(100, 2);
    const bulk = [gc.write('b1'), gc.write('b2')];
    await expect(gc.write('b3')).rejects.toBeInstanceOf(BackpressureError);
    await gc.write('press', true);
    expect(rows()).toEqual(['press']);
    await Promise.all(bulk);
    expect(rows()).toEqual(['press', 'b1', 'b2']);
  });
});

describe('group commit on a synchronous=NORMAL connection: a write resolves once `durable` says the commit is on disk', () => {
  let dir: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'linli-gc-durable-'));
    db = new Database(join(dir, 'gc.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE item (seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)');
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A disk whose syncs complete when the test says so. */
  function heldDisk() {
    const syncs: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
    const durable = () => new Promise<void>((resolve, reject) => syncs.push({ resolve, reject }));
    return { syncs, durable };
  }

  function writer(durable: () => Promise<void>, maxBatch = 100) {
    const insert = db.prepare('INSERT INTO item (name) VALUES (?)');
    const commit = db.transaction((names: string[]) => names.map((n) => Number(insert.run(n).lastInsertRowid)));
    const errors: unknown[] = [];
    const gc = createGroupCommit(commit, { maxBatch, maxDelayMs: 1, maxPending: 1_000, durable, onError: (err) => errors.push(err) });
    return { gc, errors };
  }

  it('resolves nothing until the sync asked for after the commit completes, and holds bulk items back meanwhile to commit them together', async () => {
    const disk = heldDisk();
    const { gc } = writer(disk.durable, 2);
    const done: string[] = [];
    const write = (n: string) => gc.write(n).then((seq) => void done.push(`${n}:${seq}`));
    const writes = ['a', 'b'].map(write);
    // a and b filled a batch: committed (readable from the table) and waiting for the disk.
    await expect.poll(() => disk.syncs.length).toBe(1);
    const count = () => db.prepare<[], { n: number }>('SELECT count(*) AS n FROM item').get()?.n;
    expect(count()).toBe(2);
    // c, d and e arrive during the sync: c and d fill a batch and commit; e, alone, waits for the sync to end.
    writes.push(...['c', 'd', 'e'].map(write));
    await expect.poll(() => disk.syncs.length).toBe(2);
    expect(done).toEqual([]);
    disk.syncs[0]!.resolve();
    await expect.poll(() => done).toEqual(['a:1', 'b:2']);
    // Its 1 ms for companions long past, e is still queued: c and d's sync still runs.
    expect(count()).toBe(4);
    expect(gc.pending()).toBe(1);
    disk.syncs[1]!.resolve();
    await expect.poll(() => disk.syncs.length).toBe(3);
    expect(count()).toBe(5);
    disk.syncs[2]!.resolve();
    await Promise.all(writes);
    expect(done).toEqual(['a:1', 'b:2', 'c:3', 'd:4', 'e:5']);
  });

  it('commits an urgent item at once while a sync runs, so that its sync is the next one', async () => {
    const disk = heldDisk();
    const { gc } = writer(disk.durable, 100);
    const bulk = gc.write('bulk');
    await expect.poll(() => disk.syncs.length).toBe(1);
    const later = gc.write('later');
    const press = gc.write('press', true);
    await expect.poll(() => disk.syncs.length).toBe(2);
    expect(db.prepare<[], { name: string }>('SELECT name FROM item ORDER BY seq').all().map((r) => r.name)).toEqual(['bulk', 'press']);
    disk.syncs[0]!.resolve();
    disk.syncs[1]!.resolve();
    expect(await press).toBe(2);
    await expect.poll(() => disk.syncs.length).toBe(3);
    disk.syncs[2]!.resolve();
    expect(await Promise.all([bulk, later])).toEqual([1, 3]);
  });

  it('rejects the batch when the sync fails (nothing acknowledged) and reports degraded until a sync succeeds', async () => {
    const disk = heldDisk();
    const { gc, errors } = writer(disk.durable);
    const first = gc.write('a');
    await expect.poll(() => disk.syncs.length).toBe(1);
    disk.syncs[0]!.reject(Object.assign(new Error('EIO'), { code: 'EIO' }));
    await expect(first).rejects.toMatchObject({ code: 'EIO' });
    expect(errors).toHaveLength(1);
    expect(gc.degraded()).toBe(true);
    const second = gc.write('b');
    await expect.poll(() => disk.syncs.length).toBe(2);
    disk.syncs[1]!.resolve();
    expect(await second).toBe(2);
    expect(gc.degraded()).toBe(false);
  });

  it('drain() waits for the last sync, so a shutdown hands out every committed write before its next step', async () => {
    const disk = heldDisk();
    const { gc } = writer(disk.durable);
    let resolved = false;
    void gc.write('a').then(() => void (resolved = true));
    const drained = gc.drain(10_000, true);
    await expect.poll(() => disk.syncs.length).toBe(1);
    let drainDone = false;
    void drained.then(() => void (drainDone = true));
    await new Promise((r) => setImmediate(r));
    expect(drainDone).toBe(false);
    disk.syncs[0]!.resolve();
    expect(await drained).toBe(true);
    expect(resolved).toBe(true);
  });
});
