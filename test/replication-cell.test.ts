// The cell's side of replication on a real SQLite file (docs/scale-out.md): the generation (minted once, kept, minted
// again after `linli restore` with the chain starting at the restored resend point), access decisions getting their
// replication seq from the trigger in the insert's own transaction (and none on a cell that does not replicate),
// alert changes read from AlertHistory with the alert's snapshot, and the resend point moving only forward.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Alert } from '../gateway/src/contracts/api/alerts';
import { ReplicationMessage } from '../gateway/src/contracts/replication';
import { createAccessEventWriter, type AccessEventRow } from '../gateway/src/db/access';
import { alertWrites } from '../gateway/src/db/alert-writes';
import { backupDatabase, restoreDatabase } from '../gateway/src/db/backup';
import { openDb } from '../gateway/src/db/client';
import { replicationRepo } from '../gateway/src/db/replication';
import { freshDatabase } from './helpers/gateway';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fresh() {
  const f = freshDatabase();
  dirs.push(f.dir);
  return f;
}

const decision = (n: number, at: string): AccessEventRow => ({
  id: `ae-${n}`,
  deviceId: 'door-1',
  requestId: `req-${n}`,
  at,
  receivedAt: at,
  direction: 'in',
  credentialType: 'card',
  decision: n % 3 === 0 ? 'deny' : 'grant',
  reason: n % 3 === 0 ? 'unknown_credential' : 'resident',
  residentId: n % 3 === 0 ? null : 'res-1',
  passId: null,
  householdId: null,
  offline: false,
});

async function writeDecisions(dbFile: string, rows: AccessEventRow[]) {
  const db = await openDb(dbFile);
  const w = createAccessEventWriter(db, { maxBatch: 100, maxDelayMs: 1, maxPending: 1_000 });
  const results = await Promise.all(rows.map((row) => w.write({ row, countEntry: false })));
  w.close();
  await db.close();
  return results;
}

const LogRow = z.object({ seq: z.number().int(), rowId: z.string() });
const logRows = (dbFile: string) => {
  const db = new Database(dbFile, { readonly: true });
  try {
    return z.array(LogRow).parse(db.prepare("SELECT seq, rowId FROM ReplicationLog WHERE stream = 'access_event' ORDER BY seq").all());
  } finally {
    db.close();
  }
};

const alert = (status: 'open' | 'acknowledged', at: string) =>
  Alert.parse({
    id: 'al-1', type: 'alarm_press', severity: 'critical', category: 'security', status, latched: true, priority: 10,
    deviceId: 'door-1', householdId: null, place: { label: '1号楼', kind: 'unit_door', buildingId: null, unitId: null, householdId: null, x: null, y: null },
    tags: [], count: 1, firstAt: '2026-12-02T03:00:00.000Z', lastAt: at, detail: {}, cancelRequestedAt: null,
    ackedBy: status === 'acknowledged' ? 'guard-1' : null, ackedAt: status === 'acknowledged' ? at : null, ackNote: null,
    onSiteBy: null, onSiteAt: null, clearedBy: null, clearedAt: null, clearNote: null, assignedTo: null,
    escalationLevel: 0, escalationTarget: 'guard_station', nextDeadlineAt: null, deadlineKind: null,
  });

describe('replication on the cell', () => {
  it('writes no replication log on a cell that does not replicate', async () => {
    const { dbFile } = fresh();
    expect(await writeDecisions(dbFile, [decision(1, '2026-12-02T03:00:00.000+00:00')])).toEqual(['stored']);
    expect(logRows(dbFile)).toEqual([]);
  });

  it('mints a generation once, enters earlier access decisions oldest first, then sequences each new one in its own transaction', async () => {
    const { dbFile } = fresh();
    // Stored before replication began, out of id order: entered by receivedAt.
    await writeDecisions(dbFile, [decision(2, '2026-12-02T03:00:02.000+00:00'), decision(1, '2026-12-02T03:00:01.000+00:00')]);
    const db = await openDb(dbFile);
    try {
      const repo = replicationRepo(db);
      const first = await repo.identity();
      expect(first.minted).toBe(true);
      expect(first.generation).toMatch(/^[a-z0-9]{16}$/);
      expect(first.streams.access_event).toEqual({ base: 0, confirmed: 0, confirmedAt: null });
      const again = await repo.identity();
      expect(again).toMatchObject({ generation: first.generation, minted: false });

      // A repeat of a stored decision (same device and request) is ignored by the insert and gets no seq.
      expect(await writeDecisions(dbFile, [decision(3, '2026-12-02T03:00:03.000+00:00'), decision(1, '2026-12-02T03:00:01.000+00:00')])).toEqual(['stored', 'duplicate']);
      expect(logRows(dbFile).map((r) => r.rowId)).toEqual(['ae-1', 'ae-2', 'ae-3']);

      const rows = repo.rowsAfter('access_event', 0, 10);
      expect(rows.map((r) => r.row.id)).toEqual(['ae-1', 'ae-2', 'ae-3']);
      expect(rows[2]!.row).toMatchObject({ requestId: 'req-3', decision: 'deny', residentId: null, offline: false, at: '2026-12-02T03:00:03.000+00:00' });
      // What the relay publishes parses as the hub will parse it.
      let prev = 0;
      for (const r of rows) {
        expect(ReplicationMessage.safeParse({ v: 2, compound: 'c1', generation: first.generation, base: 0, table: 'access_event', seq: r.seq, prev, row: r.row }).success).toBe(true);
        prev = r.seq;
      }
      expect(repo.backlog('access_event', 0).rows).toBe(3);

      // The hub confirms the first two: the resend point moves, their log rows go, and a stale watermark changes nothing.
      await repo.confirm('access_event', rows[1]!.seq, new Date('2026-12-02T03:01:00.000Z'));
      await repo.confirm('access_event', rows[0]!.seq, new Date('2026-12-02T03:02:00.000Z'));
      expect(repo.confirmed('access_event')).toEqual({ seq: rows[1]!.seq, at: new Date('2026-12-02T03:01:00.000Z') });
      expect(logRows(dbFile).map((r) => r.rowId)).toEqual(['ae-3']);
      expect(repo.rowsAfter('access_event', rows[1]!.seq, 10).map((r) => r.row.id)).toEqual(['ae-3']);
      expect(repo.backlog('access_event', rows[1]!.seq)).toEqual({ rows: 1, oldestAt: new Date('2026-12-02T03:00:03.000Z') });
    } finally {
      await db.close();
    }
  });

  it('reads alert changes from the append-only history, each with the alert right after it', async () => {
    const { dbFile } = fresh();
    const db = await openDb(dbFile);
    try {
      const repo = replicationRepo(db);
      const { generation } = await repo.identity();
      const writes = alertWrites(db);
      const h = (action: string, at: string) => ({ at: new Date(at), action, actor: action === 'raised' ? 'system' : 'guard-1', note: null, detail: null, source: null });
      const raised = await writes.insert(alert('open', '2026-12-02T03:00:00.000Z'), 'alarm:door-1', h('raised', '2026-12-02T03:00:00.000Z'), '{}', [], []);
      const acked = await writes.update(alert('acknowledged', '2026-12-02T03:00:30.000Z'), { status: 'open', escalationLevel: 0 }, h('acknowledged', '2026-12-02T03:00:30.000Z'), '{}', [], []);
      const changes = repo.rowsAfter('alert_change', 0, 10);
      expect(changes.map((c) => c.seq)).toEqual([raised, acked]);
      expect(changes.map((c) => [c.row.action, c.row.snapshot?.status])).toEqual([['raised', 'open'], ['acknowledged', 'acknowledged']]);
      expect(changes[1]!.row.snapshot).toMatchObject({ id: 'al-1', ackedBy: 'guard-1', escalationTarget: 'guard_station' });
      const msg = ReplicationMessage.parse({ v: 2, compound: 'c1', generation, base: 0, table: 'alert_change', seq: changes[1]!.seq, prev: changes[0]!.seq, row: changes[1]!.row });
      // Fields the hub does not index are kept as the cell wrote them.
      expect(msg.table === 'alert_change' && msg.row.snapshot?.ackedBy).toBe('guard-1');
      // A history row from before snapshots were kept ('{}') replicates with none, instead of stopping the stream.
      db.raw.prepare(`INSERT INTO AlertHistory (alertId, at, action, actor) VALUES ('al-1', '2026-12-02T03:01:00.000+00:00', 'call_recorded', 'guard-1')`).run();
      const legacy = repo.rowsAfter('alert_change', acked!, 10);
      expect(legacy.map((c) => [c.row.action, c.row.snapshot])).toEqual([['call_recorded', null]]);
    } finally {
      await db.close();
    }
  });

  it('replicates a restored database under a new generation that starts at the restored resend point', async () => {
    const { dir, dbFile } = fresh();
    const db = await openDb(dbFile);
    const repo = replicationRepo(db);
    const before = await repo.identity();
    await repo.confirm('device_event', 7, new Date('2026-12-02T03:00:00.000Z'));
    await db.close();
    const backup = join(dir, 'b.db');
    const made = await backupDatabase(dbFile, backup, { credentialKey: 'k'.repeat(64) });
    expect(made.ok).toBe(true);
    // The database goes on (confirmed further), then the backup is restored over it.
    const live = await openDb(dbFile);
    await replicationRepo(live).confirm('device_event', 20, new Date('2026-12-02T03:05:00.000Z'));
    await live.close();
    expect(restoreDatabase(backup, dbFile, { keyFromEnv: true })).toEqual({ ok: true, keyFile: null });

    const restored = await openDb(dbFile);
    try {
      const after = await replicationRepo(restored).identity();
      expect(after.minted).toBe(true);
      expect(after.generation).not.toBe(before.generation);
      expect(after.streams.device_event).toMatchObject({ base: 7, confirmed: 7 });
      expect(after.streams.alert_change).toMatchObject({ base: 0, confirmed: 0 });
    } finally {
      await restored.close();
    }
  });
});
