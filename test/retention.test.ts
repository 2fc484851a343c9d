import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../gateway/src/config';
import { Heartbeat, topicFor } from '../gateway/src/contracts';
import { type Db, openDb } from '../gateway/src/db/client';
import { auditPurge, purgeExpired, type RetentionPolicy } from '../gateway/src/db/retention';
import { isoStored } from '../gateway/src/db/time';
import { rawDevice } from './helpers/device-client';
import { addDevice, ensureHousehold } from './helpers/fixtures';
import { freshDatabase, sqliteDb, startGateway } from './helpers/gateway';

const DAY = 86_400_000;
const POLICY: RetentionPolicy = { accessDays: 30, deviceEventDays: 60, alertDays: 90, auditDays: 180, streetlightDays: 7, passDays: 30 };
const now = new Date();
const ago = (days: number) => isoStored(new Date(now.getTime() - days * DAY));

function count(db: Db, table: string, where = '1'): number {
  return (db.raw.prepare(`SELECT count(*) AS n FROM "${table}" WHERE ${where}`).get() as { n: number }).n;
}

/** Rows of every class, some past their period and some inside it, written as the gateway stores them. */
async function fill(db: Db) {
  const r = db.raw;
  const access = r.prepare(
    `INSERT INTO "AccessEvent" ("id","deviceId","requestId","at","receivedAt","direction","credentialType","decision","reason") VALUES (?,?,?,?,?,'in','card','grant','resident')`,
  );
  const event = r.prepare(`INSERT INTO "DeviceEvent" ("deviceId","eventId","channel","payload","deviceTime","receivedAt") VALUES ('d1',?,'alarmPress','{}',?,?)`);
  const lamp = r.prepare(`INSERT INTO "StreetlightReading" ("deviceId","at","on","brightness","powerW","voltage") VALUES ('lamp-1',?,1,80,40,220)`);
  const audit = r.prepare(`INSERT INTO "AuditLog" ("at","actor","action","entity","entityId") VALUES (?,'admin','test','x','1')`);
  const alert = r.prepare(
    `INSERT INTO "Alert" ("id","type","severity","status","place","dedupKey","firstAt","lastAt","clearedAt") VALUES (?,'alarm_press','critical',?,'{}',?,?,?,?)`,
  );
  const history = r.prepare(`INSERT INTO "AlertHistory" ("alertId","at","action","actor") VALUES (?,?,'raised','system')`);
  const delivery = r.prepare(`INSERT INTO "NotificationDelivery" ("id","alertId","level","target","body","status") VALUES (?,?,1,'grid_worker','{}','delivered')`);
  const session = r.prepare(`INSERT INTO "Session" ("tokenHash","userId","role","expiresAt") VALUES (?,'u1','guard',?)`);
  await ensureHousehold(db.prisma, 'hh-1');
  const pass = r.prepare(
    `INSERT INTO "VisitorPass" ("id","householdId","createdBy","visitorName","validFrom","validUntil","allowedDoors","maxEntries","codeHash") VALUES (?,'hh-1','u1','张三',?,?,'[]',1,?)`,
  );
  r.transaction(() => {
    // In time order, as they arrive: 1,200 old access records and device events (more than a batch), then new ones.
    for (let i = 0; i < 1_200; i++) access.run(`a-old-${i}`, 'door-1', `rq-old-${i}`, ago(45), ago(45));
    for (let i = 0; i < 10; i++) access.run(`a-new-${i}`, 'door-1', `rq-new-${i}`, ago(5), ago(5));
    for (let i = 0; i < 1_200; i++) event.run(`e-old-${i}`, ago(70), ago(70));
    for (let i = 0; i < 10; i++) event.run(`e-new-${i}`, ago(1), ago(1));
    for (let i = 0; i < 50; i++) lamp.run(ago(10));
    for (let i = 0; i < 5; i++) lamp.run(ago(1));
    audit.run(ago(400));
    audit.run(ago(200));
    audit.run(ago(100));
    // Alerts: cleared long ago (purged with history and deliveries), cleared recently, and open since long ago.
    alert.run('al-old', 'cleared', 'k-old', ago(200), ago(200), ago(120));
    history.run('al-old', ago(200));
    history.run('al-old', ago(120));
    delivery.run('dl-old', 'al-old');
    alert.run('al-recent', 'cleared', 'k-recent', ago(100), ago(100), ago(40));
    history.run('al-recent', ago(100));
    alert.run('al-open', 'open', 'k-open', ago(300), ago(300), null);
    history.run('al-open', ago(300));
    session.run('s-old', ago(40));
    session.run('s-new', ago(-1));
    pass.run('p-old', ago(50), ago(49), 'h1');
    pass.run('p-new', ago(2), ago(-1), 'h2');
  })();
  // The hub's commands: a remote open and a downlink command from long ago, and recent ones.
  const hubCommand = r.prepare(`INSERT INTO "HubCommand" ("id","kind","target","actor","reason","receivedAt","expiresAt") VALUES (?,'door.open','gate-1','hub:desk','检查',?,?)`);
  hubCommand.run('hc-old', ago(40), ago(40));
  hubCommand.run('hc-new', ago(1), ago(1));
  const applied = r.prepare(`INSERT INTO "DownlinkApplied" ("commandId","seq","kind","outcome","at") VALUES (?,?,'resident_create','applied',?)`);
  applied.run('dl-cmd-old', 1, ago(40));
  applied.run('dl-cmd-new', 2, ago(1));
  // One old event the alert engine has not judged yet: it stays until it is judged.
  const seq = (r.prepare(`SELECT "seq" FROM "DeviceEvent" WHERE "eventId" = 'e-old-3'`).get() as { seq: number }).seq;
  r.prepare(`INSERT INTO "AlertOutbox" ("eventSeq","deviceId","priority","createdAt") VALUES (?, 'd1', 1, ?)`).run(seq, ago(70));
}

describe('retention', () => {
  let db: Db;
  let dir: string;

  beforeAll(async () => {
    const fresh = freshDatabase();
    dir = fresh.dir;
    db = await openDb(fresh.dbFile);
    await fill(db);
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a policy below a legal floor, naming the variable', () => {
    const res = loadConfig({ RETENTION_ACCESS_DAYS: '7' });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.message).toMatch(/RETENTION_ACCESS_DAYS.*at least 30 days/);
    const audit = loadConfig({ RETENTION_AUDIT_DAYS: '90' });
    expect(audit.ok).toBe(false);
  });

  it('the database itself refuses to delete records younger than their floor', () => {
    expect(() => db.raw.prepare(`DELETE FROM "AccessEvent" WHERE "id" = 'a-new-0'`).run()).toThrow(/at least 30 days/);
    expect(() => db.raw.prepare(`DELETE FROM "AuditLog" WHERE "at" > ?`).run(ago(150))).toThrow(/younger than 180 days/);
    expect(() => db.raw.prepare(`DELETE FROM "Alert" WHERE "id" = 'al-open'`).run()).toThrow(/cleared for 30 days/);
    expect(() => db.raw.prepare(`DELETE FROM "AlertHistory" WHERE "alertId" = 'al-open'`).run()).toThrow(/cleared for 30 days/);
    expect(() => db.raw.prepare(`UPDATE "AuditLog" SET "actor" = 'x'`).run()).toThrow(/append-only/);
    expect(count(db, 'AccessEvent')).toBe(1_210);
  });

  it('purges each class past its period in small batches and keeps everything inside it', async () => {
    const { deleted: counts, failed } = await purgeExpired(db, POLICY, now, { batch: 97, pauseMs: 0 });
    expect(failed).toEqual([]);
    expect(counts).toEqual({ access_events: 1_200, device_events: 1_199, alerts: 1, audit: 2, streetlight: 50, passes: 1, sessions: 1, hub_ledgers: 2 });
    expect(db.raw.prepare(`SELECT "id" FROM "HubCommand"`).all()).toEqual([{ id: 'hc-new' }]);
    expect(db.raw.prepare(`SELECT "commandId" FROM "DownlinkApplied"`).all()).toEqual([{ commandId: 'dl-cmd-new' }]);
    expect(count(db, 'AccessEvent')).toBe(10);
    // the unjudged event is kept with its outbox entry
    expect(count(db, 'DeviceEvent')).toBe(11);
    expect(count(db, 'DeviceEvent', `"eventId" = 'e-old-3'`)).toBe(1);
    expect(count(db, 'StreetlightReading')).toBe(5);
    expect(count(db, 'AuditLog')).toBe(1);
    expect(db.raw.prepare(`SELECT "id" FROM "Alert" ORDER BY "id"`).all()).toEqual([{ id: 'al-open' }, { id: 'al-recent' }]);
    expect(count(db, 'AlertHistory', `"alertId" = 'al-old'`)).toBe(0);
    expect(count(db, 'AlertHistory')).toBe(2);
    expect(count(db, 'NotificationDelivery')).toBe(0);
    expect(db.raw.prepare(`SELECT "id" FROM "VisitorPass"`).all()).toEqual([{ id: 'p-new' }]);
    expect(db.raw.prepare(`SELECT "tokenHash" FROM "Session"`).all()).toEqual([{ tokenHash: 's-new' }]);

    await auditPurge(db, counts, POLICY, now);
    const row = db.raw.prepare(`SELECT "actor", "action", "detail" FROM "AuditLog" WHERE "action" = 'retention.purge'`).get() as { actor: string; detail: string };
    expect(row.actor).toBe('system');
    expect(JSON.parse(row.detail)).toMatchObject({ deleted: { access_events: 1_200 }, policy: { accessDays: 30 } });

    // A second run finds nothing more.
    const again = await purgeExpired(db, POLICY, now, { batch: 97, pauseMs: 0 });
    expect(again.failed).toEqual([]);
    expect(Object.values(again.deleted).every((n) => n === 0)).toBe(true);
  });

  it('a later day purges what has aged past its period since', async () => {
    const later = new Date(now.getTime() + 60 * DAY);
    const { deleted, failed } = await purgeExpired(db, POLICY, later, { pauseMs: 0 });
    expect(deleted.streetlight).toBe(5);
    expect(deleted.device_events).toBe(10);
    // Access records 5 days old would be 65 days old by then, but the floor trigger compares with the database's own
    // clock: a clock gone wrong (or a policy typed into SQL by hand) never deletes what the law says to keep. That
    // class fails alone, and the others still ran.
    expect(deleted.access_events).toBe(0);
    expect(failed).toEqual([{ class: 'access_events', message: 'access records are kept at least 30 days' }]);
    expect(count(db, 'AccessEvent')).toBe(10);
  });
});

describe('retention under ingest', () => {
  it('a purge of 20,000 events never keeps a device from being acknowledged and stored', async () => {
    const t = await startGateway();
    try {
      const door = { id: 'door-r1', kind: 'face_terminal', secret: 'retention-door-01' } as const;
      await addDevice(t.gw.db.prisma, door);
      const db = sqliteDb(t.gw);
      const insert = db.raw.prepare(
        `INSERT INTO "DeviceEvent" ("deviceId","eventId","channel","payload","deviceTime","receivedAt") VALUES ('old',?,'heartbeat','{}',?,?)`,
      );
      db.raw.transaction(() => {
        for (let i = 0; i < 20_000; i++) insert.run(`old-${i}`, ago(400), ago(400));
      })();
      const { client } = await rawDevice(t.mqttUrl, door);
      const purge = purgeExpired(t.gw.db, POLICY, now, { batch: 200, pauseMs: 1 });
      const acks: Promise<unknown>[] = [];
      for (let i = 0; i < 300; i++) {
        const hb = Heartbeat.parse({ eventId: `hb-${i}`, ts: new Date().toISOString(), uptimeSec: i });
        acks.push(client.publishAsync(topicFor('heartbeat', door.id), JSON.stringify(hb), { qos: 1 }));
      }
      await Promise.all(acks);
      const { deleted } = await purge;
      expect(deleted.device_events).toBe(20_000);
      expect(count(db, 'DeviceEvent', `"deviceId" = 'door-r1' AND "channel" = 'heartbeat'`)).toBe(300);
      await client.endAsync();
    } finally {
      await t.close();
    }
  });
});
