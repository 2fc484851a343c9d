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
    // b1 and b2 filled a batch: its commit is scheduled for the next turn; the urgent ones overtake it (the press at
    // once, the cancel, second urgent item of the turn, at the head of the next one).
    const urgent = [gc.write('press', true), gc.write('cancel', true)];
    await Promise.all([...urgent, ...bulk]);
    expect(batches).toEqual([['press'], ['cancel'], ['b1', 'b2'], ['b3']]);
    expect(rows()).toEqual(['press', 'cancel', 'b1', 'b2', 'b3']);
  });

  it('commits the first urgent item of a turn before write returns; a burst in the same turn shares the next commit', async () => {
    const { gc, batches } = writer(100);
    const bulk = gc.write('door-1');
    const first = gc.write('press-1', true);
    // Already in the table: nothing has awaited yet, so no later turn of the event loop has run.
    expect(rows()).toEqual(['press-1']);
    const burst = [gc.write('press-2', true), gc.write('press-3', true)];
    expect(rows()).toEqual(['press-1']);
    await Promise.all([first, ...burst, bulk]);
    expect(batches).toEqual([['press-1'], ['press-2', 'press-3'], ['door-1']]);
    // The next turn has its own first urgent item committed at once again.
    const later = gc.write('press-4', true);
    expect(rows()).toEqual(['press-1', 'press-2', 'press-3', 'door-1', 'press-4']);
    await later;
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
