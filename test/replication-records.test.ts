// The cell's side of replicating audit records, staff sessions and device presence transitions (docs/scale-out.md), on
// a real SQLite file through the code paths that write them: writeAudit inside a Prisma transaction, the session
// repository behind login/logout, the presence group commit and the start-up "all offline". Each is read back as the
// relay publishes it and parsed as the hub parses it; no token or token hash is in what leaves; residents' sessions,
// repeated logins and anything before replication started write no log row; confirmed log rows go.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tokenHash } from '../gateway/src/auth/sessions';
import { ReplicationMessage, type ReplicatedTable } from '../gateway/src/contracts/replication';
import { writeAudit } from '../gateway/src/db/audit';
import { type Db, openDb } from '../gateway/src/db/client';
import { deviceRepo } from '../gateway/src/db/devices';
import { createPresenceWriter } from '../gateway/src/db/presence';
import { replicationRepo } from '../gateway/src/db/replication';
import { sessionRef } from '../gateway/src/db/replication-tables';
import { sessionRepo } from '../gateway/src/db/sessions';
import { isoStored } from '../gateway/src/db/time';
import { addDevice, ensureHousehold } from './helpers/fixtures';
import { freshDatabase } from './helpers/gateway';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function fresh(): Promise<Db> {
  const f = freshDatabase();
  dirs.push(f.dir);
  return openDb(f.dbFile);
}

const LogCount = z.object({ n: z.number().int() });
const logRows = (db: Db, stream: string) => LogCount.parse(db.raw.prepare('SELECT count(*) AS n FROM ReplicationLog WHERE stream = ?').get(stream)).n;

async function addStaff(db: Db, id: string, role: 'guard' | 'admin' | 'resident') {
  if (role === 'resident') {
    await ensureHousehold(db.prisma, 'hh-1');
    await db.prisma.resident.create({ data: { id: `res-${id}`, householdId: 'hh-1', name: id } });
  }
  await db.prisma.user.create({ data: { id, username: `${id}-name`, passwordHash: 'x', role, displayName: id, residentId: role === 'resident' ? `res-${id}` : null } });
}

/** Each row as the relay would publish it, parsed as the hub parses it (prev: the row before, 0 first). */
function published(repo: ReturnType<typeof replicationRepo>, generation: string, table: ReplicatedTable) {
  let prev = 0;
  return repo.rowsAfter(table, 0, 100).map((r) => {
    const m = ReplicationMessage.parse({ v: 2, compound: 'c1', generation, base: 0, table, seq: r.seq, prev, row: r.row });
    prev = r.seq;
    return m;
  });
}

describe('replicating audit records, staff sessions and presence transitions', () => {
  it('reads audit records by their own id, redacted as the cell stored them', async () => {
    const db = await fresh();
    try {
      const repo = replicationRepo(db);
      const { generation } = await repo.identity();
      const at = new Date('2026-12-02T03:00:00.000Z');
      await db.prisma.$transaction(async (tx) => {
        await writeAudit(tx, { actor: 'admin-1', action: 'user.create', entity: 'User', entityId: 'u-9', before: null, after: { username: 'g9', passwordHash: 'argon2id$secret' } }, at);
        await writeAudit(tx, { actor: 'admin-1', action: 'user.disable', entity: 'User', entityId: 'u-9', before: null, after: null }, at);
      });
      const rows = published(repo, generation, 'audit_log');
      expect(rows.map((m) => m.table === 'audit_log' && [m.row.action, m.row.entityId, m.row.at])).toEqual([
        ['user.create', 'u-9', '2026-12-02T03:00:00.000+00:00'],
        ['user.disable', 'u-9', '2026-12-02T03:00:00.000+00:00'],
      ]);
      expect(JSON.stringify(rows)).not.toContain('argon2id$secret');
      expect(repo.backlog('audit_log', 0)).toEqual({ rows: 2, oldestAt: at });
      expect(repo.backlog('audit_log', rows[1]!.seq).rows).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('logs staff logins and logouts (never a resident\'s, never the token), earlier sessions entered when replication starts', async () => {
    const db = await fresh();
    try {
      await addDevice(db.prisma, { id: 'door-1', kind: 'face_terminal', secret: 'door-secret-1-xyzw' });
      await addStaff(db, 'g1', 'guard');
      await addStaff(db, 'a1', 'admin');
      await addStaff(db, 'r1', 'resident');
      const sessions = sessionRepo(db.prisma);
      const later = new Date(Date.now() + 3_600_000);
      // Before replication starts: no log row; entered (login, then logout) when it starts.
      const early = tokenHash('token-early');
      await sessions.create(early, 'g1', 'guard', later);
      await sessions.revoke(early, new Date('2030-01-01T00:00:00.000Z'));
      expect(logRows(db, 'session_event')).toBe(0);
      const repo = replicationRepo(db);
      const { generation } = await repo.identity();
      expect(logRows(db, 'session_event')).toBe(2);

      const admin = tokenHash('token-admin');
      await sessions.create(admin, 'a1', 'admin', later);
      await sessions.create(tokenHash('token-resident'), 'r1', 'resident', later);
      await sessions.revoke(tokenHash('token-resident'), new Date());
      await sessions.revoke(admin, new Date('2030-01-02T00:00:00.000Z'));
      // A second revocation changes nothing and logs nothing.
      await sessions.revoke(admin, new Date('2030-01-03T00:00:00.000Z'));
      const rows = published(repo, generation, 'session_event');
      const seen = rows.map((m) => m.table === 'session_event' && [m.row.kind, m.row.userId, m.row.username, m.row.role, m.row.sessionRef]);
      expect(seen).toEqual([
        ['login', 'g1', 'g1-name', 'guard', sessionRef(early)],
        ['logout', 'g1', 'g1-name', 'guard', sessionRef(early)],
        ['login', 'a1', 'a1-name', 'admin', sessionRef(admin)],
        ['logout', 'a1', 'a1-name', 'admin', sessionRef(admin)],
      ]);
      expect(rows[3]!.row).toMatchObject({ at: '2030-01-02T00:00:00.000+00:00' });
      const text = JSON.stringify(rows);
      for (const secret of ['token-early', 'token-admin', early, admin]) expect(text).not.toContain(secret);

      // The hub confirms the first three: their log rows go, the fourth stays.
      await repo.confirm('session_event', rows[2]!.seq, new Date());
      expect(logRows(db, 'session_event')).toBe(1);
      expect(repo.rowsAfter('session_event', rows[2]!.seq, 10).map((r) => r.row.kind)).toEqual(['logout']);
    } finally {
      await db.close();
    }
  });

  it('logs a device going online or offline, not a repeated login, not before replication starts', async () => {
    const db = await fresh();
    try {
      for (const id of ['door-1', 'door-2']) await addDevice(db.prisma, { id, kind: 'face_terminal', secret: `${id}-secret-xyzw` });
      const writer = createPresenceWriter(db, { maxBatch: 100, maxDelayMs: 1, maxPending: 1_000 });
      const t = (s: number) => isoStored(new Date(Date.UTC(2026, 11, 2, 3, 0, s)));
      await writer.write({ deviceId: 'door-1', online: true, at: t(0) });
      expect(logRows(db, 'device_presence')).toBe(0);
      const repo = replicationRepo(db);
      const { generation } = await repo.identity();
      expect(logRows(db, 'device_presence')).toBe(0);

      await writer.write({ deviceId: 'door-1', online: true, at: t(1) }); // a new client taking over: no change
      await writer.write({ deviceId: 'door-2', online: true, at: t(2) });
      await writer.write({ deviceId: 'door-1', online: false, at: t(3) });
      await writer.write({ deviceId: 'door-1', online: true, at: t(4) });
      // A restart: every device still marked online goes offline (no time of its own: now).
      const before = Date.now();
      expect(await deviceRepo(db).markAllOffline()).toBe(2);
      const rows = published(repo, generation, 'device_presence');
      const seen = rows.map((m) => m.table === 'device_presence' && [m.row.deviceId, m.row.online]);
      expect(seen.slice(0, 3)).toEqual([['door-2', true], ['door-1', false], ['door-1', true]]);
      expect(seen.slice(3).sort()).toEqual([['door-1', false], ['door-2', false]]);
      expect(rows.slice(0, 3).map((m) => m.table === 'device_presence' && m.row.at)).toEqual([t(2), t(3), t(4)]);
      for (const m of rows.slice(3)) expect(m.table === 'device_presence' && Date.parse(m.row.at)).toBeGreaterThanOrEqual(before - 1_000);
      expect(repo.backlog('device_presence', 0)).toMatchObject({ rows: 5, oldestAt: new Date(t(2)) });

      // Confirming one table's log rows leaves the other tables' alone.
      await db.prisma.$transaction(async (tx) => writeAudit(tx, { actor: 'a', action: 'x.y', entity: 'X', entityId: '1', before: null, after: null }, new Date()));
      await repo.confirm('device_presence', rows[4]!.seq, new Date());
      expect(logRows(db, 'device_presence')).toBe(0);
      expect(repo.rowsAfter('audit_log', 0, 10)).toHaveLength(1);
      await writer.drain(5_000);
    } finally {
      await db.close();
    }
  });
});
