import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { newAlert } from '../gateway/src/alerts/raise';
import { alertRepo } from '../gateway/src/db/alerts';
import { type Db, openDb } from '../gateway/src/db/client';
import type { RaiseDecision } from '../gateway/src/rules/types';
import { SETTINGS } from '../gateway/src/rules/testing';
import { freshDatabase } from './helpers/gateway';

const decision: RaiseDecision = {
  kind: 'raise', type: 'alarm_press', severity: 'critical', key: 'alarm_press:none', deviceId: null, householdId: null,
  at: new Date(), detail: {}, mode: 'event',
};

/**
 * A raise on SQLite commits without an fsync of its own and syncs the WAL off the event loop afterwards, so the guard's
 * frame does not wait for the disk (docs/alerts.md, "A raise does not wait for its own fsync"); every other change stays
 * FULL. The sync here is the test's: it sees what was committed when it was asked for, and resolves when told to.
 */
describe('an alert raised on SQLite', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  async function open() {
    const { dir, dbFile } = freshDatabase();
    const db: Db = await openDb(dbFile);
    const reader = new Database(dbFile, { readonly: true });
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }), () => db.close(), () => void reader.close());
    return { db, reader };
  }

  it('is committed and handed on before its WAL sync has finished, which starts after the commit; an acknowledgement syncs in its own commit', async () => {
    const { db, reader } = await open();
    const at = new Date();
    const alert = newAlert(decision, null, 1, at, SETTINGS);
    const seenBySync: unknown[] = [];
    let release: () => void = () => undefined;
    const sync = () => {
      seenBySync.push(reader.prepare('SELECT status FROM Alert WHERE id = ?').get(alert.id));
      return new Promise<void>((r) => (release = r));
    };
    const repo = alertRepo(db, SETTINGS.chain, { sync });

    const stored = await repo.insert(alert, decision.key, { action: 'raised', actor: 'system', at, note: null });
    // The sync was asked for once, after the commit (another connection already read the row), and is still running.
    expect(seenBySync).toEqual([{ status: 'open' }]);
    expect(stored.alert.id).toBe(alert.id);
    expect(reader.prepare('SELECT action FROM AlertHistory WHERE alertId = ?').all(alert.id)).toEqual([{ action: 'raised' }]);
    // The connection is back to FULL for everything else (2 = FULL).
    expect(db.raw.pragma('synchronous', { simple: true })).toBe(2);
    release();

    const ackAt = new Date();
    const acked = { ...alert, status: 'acknowledged' as const, ackedBy: 'guard1', ackedAt: ackAt.toISOString() };
    const change = await repo.update(acked, decision.key, { action: 'acknowledged', actor: 'guard1', at: ackAt, note: null }, { status: 'open', escalationLevel: alert.escalationLevel });
    expect(change?.alert.status).toBe('acknowledged');
    expect(seenBySync).toHaveLength(1);
  });

  it('reports a failed WAL sync and keeps the raise', async () => {
    const { db, reader } = await open();
    const failures: unknown[] = [];
    const repo = alertRepo(db, SETTINGS.chain, { sync: () => Promise.reject(new Error('EIO: i/o error, fdatasync')), onSyncError: (err) => failures.push(err) });
    const at = new Date();
    const alert = newAlert(decision, null, 1, at, SETTINGS);
    await repo.insert(alert, decision.key, { action: 'raised', actor: 'system', at, note: null });
    for (let i = 0; i < 100 && failures.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(failures.map((e) => (e instanceof Error ? e.message : e))).toEqual(['EIO: i/o error, fdatasync']);
    expect(reader.prepare('SELECT count(*) AS n FROM Alert').get()).toEqual({ n: 1 });
  });
});
