// Retention on PostgreSQL (docs/storage.md, "Retention and transfer on PostgreSQL"): the same classes, periods and
// floors as on SQLite (test/retention.test.ts, test/retention-replication.test.ts), on a real PostgreSQL 15 with the
// cell's migrations, the legal floors held by the database's own triggers. Each test file has its own database.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type PgDb, migrateCellPg, openPgDb } from '../../gateway/src/db/pg-client';
import { auditPurge, purgeExpired, type RetentionPolicy } from '../../gateway/src/db/retention';
import { ensureHousehold } from '../helpers/fixtures';
import { type TestPg, startPg } from './pg';

const DAY = 86_400_000;
const POLICY: RetentionPolicy = { accessDays: 30, deviceEventDays: 60, alertDays: 90, auditDays: 180, streetlightDays: 7, passDays: 30 };
const now = new Date();
const ago = (days: number) => new Date(now.getTime() - days * DAY);

const Count = z.object({ n: z.coerce.number() });
async function count(db: PgDb, table: string, where = 'true'): Promise<number> {
  return Count.parse((await db.pool.query(`SELECT count(*) AS n FROM "${table}" WHERE ${where}`)).rows[0]).n;
}
const Ids = z.array(z.object({ k: z.union([z.string(), z.number()]) }));
const ids = async (db: PgDb, sql: string) => Ids.parse((await db.pool.query(sql)).rows).map((r) => String(r.k));

/** Rows of every class, some past their period and some inside it, as test/retention.test.ts writes them on SQLite. */
async function fill(db: PgDb) {
  const q = (sql: string, args: unknown[] = []) => db.pool.query(sql, args);
  await ensureHousehold(db.prisma, 'hh-1');
  // In time order, as they arrive: 1,200 old access records and device events (more than a batch), then new ones.
  const access = `INSERT INTO "AccessEvent" ("id","deviceId","requestId","at","receivedAt","direction","credentialType","decision","reason")
                  SELECT $1 || i, 'door-1', 'rq-' || $1 || i, $2, $2, 'in', 'card', 'grant', 'resident' FROM generate_series(0, $3 - 1) i`;
  await q(access, ['a-old-', ago(45), 1_200]);
  await q(access, ['a-new-', ago(5), 10]);
  const event = `INSERT INTO "DeviceEvent" ("deviceId","eventId","channel","payload","deviceTime","receivedAt")
                 SELECT 'd1', $1 || i, 'alarmPress', '{}', $2, $2 FROM generate_series(0, $3 - 1) i ORDER BY i`;
  await q(event, ['e-old-', ago(70), 1_200]);
  await q(event, ['e-new-', ago(1), 10]);
  const lamp = `INSERT INTO "StreetlightReading" ("deviceId","at","on","brightness","powerW","voltage") SELECT 'lamp-1', $1, true, 80, 40, 220 FROM generate_series(1, $2)`;
  await q(lamp, [ago(10), 50]);
  await q(lamp, [ago(1), 5]);
  for (const days of [400, 200, 100]) await q(`INSERT INTO "AuditLog" ("at","actor","action","entity","entityId") VALUES ($1,'admin','test','x','1')`, [ago(days)]);
  const alert = `INSERT INTO "Alert" ("id","type","severity","status","place","dedupKey","firstAt","lastAt","clearedAt") VALUES ($1,'alarm_press','critical',$2,'{}',$3,$4,$4,$5)`;
  const history = `INSERT INTO "AlertHistory" ("alertId","at","action","actor") VALUES ($1,$2,'raised','system')`;
  // Alerts: cleared long ago (purged with history and deliveries), cleared recently, and open since long ago.
  await q(alert, ['al-old', 'cleared', 'k-old', ago(200), ago(120)]);
  await q(history, ['al-old', ago(200)]);
  await q(history, ['al-old', ago(120)]);
  await q(`INSERT INTO "NotificationDelivery" ("id","alertId","level","target","body","status") VALUES ('dl-old','al-old',1,'grid_worker','{}','delivered')`);
  await q(alert, ['al-recent', 'cleared', 'k-recent', ago(100), ago(40)]);
  await q(history, ['al-recent', ago(100)]);
  await q(alert, ['al-open', 'open', 'k-open', ago(300), null]);
  await q(history, ['al-open', ago(300)]);
  const session = `INSERT INTO "Session" ("tokenHash","userId","role","expiresAt") VALUES ($1,'u1','guard',$2)`;
  await q(session, ['s-old', ago(40)]);
  await q(session, ['s-new', ago(-1)]);
  const pass = `INSERT INTO "VisitorPass" ("id","householdId","createdBy","visitorName","validFrom","validUntil","allowedDoors","maxEntries","codeHash") VALUES ($1,'hh-1','u1','张三',$2,$3,'[]',1,$4)`;
  await q(pass, ['p-old', ago(50), ago(49), 'h1']);
  await q(pass, ['p-new', ago(2), ago(-1), 'h2']);
  // The hub's commands: a remote open and a downlink command from long ago, and recent ones.
  const hubCommand = `INSERT INTO "HubCommand" ("id","kind","target","actor","reason","receivedAt","expiresAt") VALUES ($1,'door.open','gate-1','hub:desk','检查',$2,$2)`;
  await q(hubCommand, ['hc-old', ago(40)]);
  await q(hubCommand, ['hc-new', ago(1)]);
  const applied = `INSERT INTO "DownlinkApplied" ("commandId","seq","kind","outcome","at") VALUES ($1,$2,'resident_create','applied',$3)`;
  await q(applied, ['dl-cmd-old', 1, ago(40)]);
  await q(applied, ['dl-cmd-new', 2, ago(1)]);
  // One old event the alert engine has not judged yet: it stays until it is judged.
  await q(`INSERT INTO "AlertOutbox" ("eventSeq","deviceId","priority","createdAt") SELECT "seq", 'd1', 1, $1 FROM "DeviceEvent" WHERE "eventId" = 'e-old-3'`, [ago(70)]);
}

describe('retention on PostgreSQL', () => {
  let server: TestPg;
  const dbs: PgDb[] = [];
  /** A fresh database of the cell's schema on the test's server. */
  async function freshDb(name: string): Promise<PgDb> {
    await server.pool.query(`CREATE DATABASE ${name}`);
    const db = await openPgDb(server.url.replace(/\/linli_hub$/, `/${name}`));
    dbs.push(db);
    await migrateCellPg(db.pool);
    return db;
  }

  beforeAll(async () => {
    server = await startPg(mkdtempSync(join(tmpdir(), 'linli-pg-retention-')));
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await server?.stop();
  });

  describe('a cell without a hub', () => {
    let db: PgDb;
    beforeAll(async () => {
      db = await freshDb('linli_retention');
      await fill(db);
    });

    it('the database itself refuses to delete records younger than their floor', async () => {
      await expect(db.pool.query(`DELETE FROM "AccessEvent" WHERE "id" = 'a-new-0'`)).rejects.toThrow(/at least 30 days/);
      await expect(db.pool.query(`DELETE FROM "AuditLog" WHERE "at" > $1`, [ago(150)])).rejects.toThrow(/younger than 180 days/);
      await expect(db.pool.query(`DELETE FROM "Alert" WHERE "id" = 'al-open'`)).rejects.toThrow(/cleared for 30 days/);
      await expect(db.pool.query(`DELETE FROM "AlertHistory" WHERE "alertId" = 'al-open'`)).rejects.toThrow(/cleared for 30 days/);
      expect(await count(db, 'AccessEvent')).toBe(1_210);
    });

    it('purges each class past its period in small batches, keeps everything inside it, and audits the purge', async () => {
      const { deleted: counts, failed } = await purgeExpired(db, POLICY, now, { batch: 97, pauseMs: 0 });
      expect(failed).toEqual([]);
      expect(counts).toEqual({ access_events: 1_200, device_events: 1_199, alerts: 1, audit: 2, streetlight: 50, passes: 1, sessions: 1, hub_ledgers: 2 });
      expect((await db.pool.query('SELECT "id" FROM "HubCommand"')).rows).toEqual([{ id: 'hc-new' }]);
      expect((await db.pool.query('SELECT "commandId" FROM "DownlinkApplied"')).rows).toEqual([{ commandId: 'dl-cmd-new' }]);
      expect(await count(db, 'AccessEvent')).toBe(10);
      expect(await ids(db, `SELECT "id" AS k FROM "AccessEvent" ORDER BY "id"`)).toEqual([...Array(10).keys()].map((i) => `a-new-${i}`));
      // The unjudged event is kept with its outbox entry.
      expect(await count(db, 'DeviceEvent')).toBe(11);
      expect(await count(db, 'DeviceEvent', `"eventId" = 'e-old-3'`)).toBe(1);
      expect(await count(db, 'StreetlightReading')).toBe(5);
      expect(await count(db, 'AuditLog')).toBe(1);
      expect(await ids(db, `SELECT "id" AS k FROM "Alert" ORDER BY "id"`)).toEqual(['al-open', 'al-recent']);
      expect(await count(db, 'AlertHistory', `"alertId" = 'al-old'`)).toBe(0);
      expect(await count(db, 'AlertHistory')).toBe(2);
      expect(await count(db, 'NotificationDelivery')).toBe(0);
      expect(await ids(db, `SELECT "id" AS k FROM "VisitorPass"`)).toEqual(['p-new']);
      expect(await ids(db, `SELECT "tokenHash" AS k FROM "Session"`)).toEqual(['s-new']);

      await auditPurge(db, counts, POLICY, now);
      const row = await db.prisma.auditLog.findFirstOrThrow({ where: { action: 'retention.purge' } });
      expect(row.actor).toBe('system');
      expect(row.at.getTime()).toBe(now.getTime());
      expect(JSON.parse(row.detail)).toMatchObject({ deleted: { access_events: 1_200 }, policy: { accessDays: 30 } });

      // A second run finds nothing more.
      const again = await purgeExpired(db, POLICY, now, { batch: 97, pauseMs: 0 });
      expect(again.failed).toEqual([]);
      expect(Object.values(again.deleted).every((n) => n === 0)).toBe(true);
    });

    it('a later day purges what has aged since; the access floor, on the server clock, fails that class alone', async () => {
      const later = new Date(now.getTime() + 60 * DAY);
      const { deleted, failed } = await purgeExpired(db, POLICY, later, { pauseMs: 0 });
      expect(deleted.streetlight).toBe(5);
      expect(deleted.device_events).toBe(10);
      expect(deleted.access_events).toBe(0);
      expect(failed).toEqual([{ class: 'access_events', message: 'access records are kept at least 30 days' }]);
      expect(await count(db, 'AccessEvent')).toBe(10);
    });
  });

  it('a table locked longer than the bound fails its class after the wait; the other classes still run', async () => {
    const db = await freshDb('linli_retention_locked');
    await fill(db);
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE "StreetlightReading" IN ACCESS EXCLUSIVE MODE');
      const { deleted, failed } = await purgeExpired(db, POLICY, now, { pauseMs: 0, lockTimeoutMs: 100, busyWaitMs: 300 });
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ class: 'streetlight', message: expect.stringMatching(/lock timeout/) });
      expect(deleted).toMatchObject({ streetlight: 0, access_events: 1_200, device_events: 1_199, audit: 2, alerts: 1 });
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    // The next run resumes what this one could not do.
    const next = await purgeExpired(db, POLICY, now, { pauseMs: 0 });
    expect(next).toMatchObject({ failed: [], deleted: { streetlight: 50, access_events: 0 } });
  });

  it('on a replicating cell keeps every expired row the hub has not confirmed, and deletes it once confirmed', async () => {
    const db = await freshDb('linli_retention_replicating');
    const q = (sql: string, args: unknown[] = []) => db.pool.query(sql, args);
    // Replication starts (the cursors exist), then ten expired device events, two access decisions, two cleared alerts, three audit records.
    for (const stream of ['device_event', 'access_event', 'alert_change', 'audit_log']) await q(`INSERT INTO "ReplicationCursor" ("stream") VALUES ($1)`, [stream]);
    await q(`INSERT INTO "DeviceEvent" ("deviceId","eventId","channel","payload","deviceTime","receivedAt") SELECT 'd1', 'e-' || i, 'door/state', '{}', $1, $1 FROM generate_series(1, 10) i ORDER BY i`, [ago(60)]);
    const access = `INSERT INTO "AccessEvent" ("id","deviceId","requestId","at","receivedAt","direction","credentialType","decision","reason") VALUES ($1,'door-1',$2,$3,$3,'in','card','grant','resident')`;
    await q(access, ['a-1', 'rq-1', ago(60)]);
    await q(access, ['a-2', 'rq-2', ago(59)]);
    for (const id of ['al-1', 'al-2']) {
      await q(`INSERT INTO "Alert" ("id","type","severity","status","place","dedupKey","firstAt","lastAt","clearedAt") VALUES ($1,'tamper','major','cleared','{}',$2,$3,$3,$4)`, [id, `k-${id}`, ago(90), ago(60)]);
      await q(`INSERT INTO "AlertHistory" ("alertId","at","action","actor") VALUES ($1,$2,'raised','system'), ($1,$3,'cleared','system')`, [id, ago(90), ago(60)]);
    }
    await q(`INSERT INTO "AuditLog" ("at","actor","action","entity","entityId","detail") SELECT $1, 'admin', 'grid.create', 'Grid', 'g-' || i, '{}' FROM generate_series(1, 3) i ORDER BY i`, [ago(200)]);
    const policy = { ...POLICY, deviceEventDays: 30, alertDays: 30 };
    const left = async () => ({
      events: await ids(db, 'SELECT "seq" AS k FROM "DeviceEvent" ORDER BY "seq"'),
      access: await ids(db, 'SELECT "id" AS k FROM "AccessEvent" ORDER BY "id"'),
      alerts: await ids(db, 'SELECT "id" AS k FROM "Alert" ORDER BY "id"'),
      audit: await ids(db, 'SELECT "id" AS k FROM "AuditLog" ORDER BY "id"'),
    });
    // What the hub's confirmation does to the cell's tables: the watermark moves, confirmed access rows leave the log.
    const confirm = async (stream: string, seq: number) => {
      await q(`UPDATE "ReplicationCursor" SET "confirmedSeq" = $2, "confirmedAt" = now() WHERE "stream" = $1`, [stream, seq]);
      if (stream === 'access_event') await q(`DELETE FROM "ReplicationLog" WHERE "stream" = 'access_event' AND "seq" <= $1`, [seq]);
    };

    // The access decisions entered the replication log through the trigger of the rules migration.
    const logged = await ids(db, `SELECT "seq" AS k FROM "ReplicationLog" WHERE "stream" = 'access_event' ORDER BY "seq"`);
    expect(logged).toHaveLength(2);
    const first = await purgeExpired(db, policy, now, { keepUnconfirmed: true, pauseMs: 0 });
    expect(first.failed).toEqual([]);
    expect(await left()).toEqual({ events: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'], access: ['a-1', 'a-2'], alerts: ['al-1', 'al-2'], audit: ['1', '2', '3'] });

    await confirm('device_event', 4);
    await confirm('access_event', Number(logged[0]));
    await confirm('alert_change', 2);
    await confirm('audit_log', 1);
    await purgeExpired(db, policy, now, { keepUnconfirmed: true, pauseMs: 0 });
    expect(await left()).toEqual({ events: ['5', '6', '7', '8', '9', '10'], access: ['a-2'], alerts: ['al-2'], audit: ['2', '3'] });

    await confirm('device_event', 10);
    await confirm('access_event', Number(logged[1]));
    await confirm('alert_change', 4);
    await confirm('audit_log', 3);
    await purgeExpired(db, policy, now, { keepUnconfirmed: true, pauseMs: 0 });
    expect(await left()).toEqual({ events: [], access: [], alerts: [], audit: [] });
  });
});
