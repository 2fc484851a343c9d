// The retention floor of a replicating cell (docs/scale-out.md): with keepUnconfirmed, the purge deletes an expired
// device event, access decision, cleared alert or audit record only once the hub has confirmed it; without it (no hub), the
// ordinary periods alone decide. Real SQLite files, rows written as the gateway stores them.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Db, openDb } from '../gateway/src/db/client';
import { replicationRepo } from '../gateway/src/db/replication';
import { purgeExpired, type RetentionPolicy } from '../gateway/src/db/retention';
import { isoStored } from '../gateway/src/db/time';
import { freshDatabase } from './helpers/gateway';

const DAY = 86_400_000;
const POLICY: RetentionPolicy = { accessDays: 30, deviceEventDays: 30, alertDays: 30, auditDays: 180, streetlightDays: 7, passDays: 30 };
const now = new Date();
const ago = (days: number) => isoStored(new Date(now.getTime() - days * DAY));
const Ids = z.array(z.object({ k: z.union([z.string(), z.number()]) }));
const ids = (db: Db, sql: string) => Ids.parse(db.raw.prepare(sql).all()).map((r) => String(r.k));

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Ten expired device events, two expired access decisions and two expired cleared alerts, then replication starts. */
async function cell(replicating: boolean) {
  const f = freshDatabase();
  dirs.push(f.dir);
  const db = await openDb(f.dbFile);
  const r = db.raw;
  const event = r.prepare(`INSERT INTO "DeviceEvent" ("deviceId","eventId","channel","payload","deviceTime","receivedAt") VALUES ('d1',?,'door/state','{}',?,?)`);
  const access = r.prepare(
    `INSERT INTO "AccessEvent" ("id","deviceId","requestId","at","receivedAt","direction","credentialType","decision","reason") VALUES (?,'door-1',?,?,?,'in','card','grant','resident')`,
  );
  const alert = r.prepare(
    `INSERT INTO "Alert" ("id","type","severity","status","place","dedupKey","firstAt","lastAt","clearedAt") VALUES (?,'tamper','major','cleared','{}',?,?,?,?)`,
  );
  const history = r.prepare(`INSERT INTO "AlertHistory" ("alertId","at","action","actor") VALUES (?,?,?,'system')`);
  const audit = r.prepare(`INSERT INTO "AuditLog" ("at","actor","action","entity","entityId","detail") VALUES (?,'admin','grid.create','Grid',?,'{}')`);
  r.transaction(() => {
    for (let i = 1; i <= 10; i++) event.run(`e-${i}`, ago(60), ago(60));
    access.run('a-1', 'rq-1', ago(60), ago(60));
    access.run('a-2', 'rq-2', ago(59), ago(59));
    for (const id of ['al-1', 'al-2']) {
      alert.run(id, `k-${id}`, ago(90), ago(90), ago(60));
      history.run(id, ago(90), 'raised');
      history.run(id, ago(60), 'cleared');
    }
    for (let i = 1; i <= 3; i++) audit.run(ago(200), `g-${i}`);
  })();
  const repo = replicationRepo(db);
  if (replicating) await repo.identity();
  return { db, repo };
}

const left = (db: Db) => ({
  events: ids(db, 'SELECT seq AS k FROM DeviceEvent ORDER BY seq'),
  access: ids(db, 'SELECT id AS k FROM AccessEvent ORDER BY id'),
  alerts: ids(db, 'SELECT id AS k FROM Alert ORDER BY id'),
  audit: ids(db, 'SELECT id AS k FROM AuditLog ORDER BY id'),
});

describe('retention on a replicating cell', () => {
  it('keeps every expired row the hub has not confirmed, and deletes it once confirmed', async () => {
    const { db, repo } = await cell(true);
    try {
      // Nothing confirmed yet: nothing goes, however old.
      const first = await purgeExpired(db, POLICY, now, { keepUnconfirmed: true });
      expect(first.failed).toEqual([]);
      expect(left(db)).toEqual({ events: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'], access: ['a-1', 'a-2'], alerts: ['al-1', 'al-2'], audit: ['1', '2', '3'] });

      // The hub confirms device events up to 4, the first access decision, and al-1's changes (history ids 1, 2).
      const firstAccess = repo.rowsAfter('access_event', 0, 1)[0]!.seq;
      await repo.confirm('device_event', 4, now);
      await repo.confirm('access_event', firstAccess, now);
      await repo.confirm('alert_change', 2, now);
      await repo.confirm('audit_log', 1, now);
      await purgeExpired(db, POLICY, now, { keepUnconfirmed: true });
      expect(left(db)).toEqual({ events: ['5', '6', '7', '8', '9', '10'], access: ['a-2'], alerts: ['al-2'], audit: ['2', '3'] });

      // Everything confirmed: the ordinary periods decide again.
      await repo.confirm('device_event', 10, now);
      await repo.confirm('access_event', firstAccess + 1, now);
      await repo.confirm('alert_change', 4, now);
      await repo.confirm('audit_log', 3, now);
      await purgeExpired(db, POLICY, now, { keepUnconfirmed: true });
      expect(left(db)).toEqual({ events: [], access: [], alerts: [], audit: [] });
    } finally {
      await db.close();
    }
  });

  it('on a cell without a hub, deletes by the periods alone', async () => {
    const { db } = await cell(false);
    try {
      const r = await purgeExpired(db, POLICY, now);
      expect(r.deleted).toMatchObject({ device_events: 10, access_events: 2, alerts: 2, audit: 3 });
      expect(left(db)).toEqual({ events: [], access: [], alerts: [], audit: [] });
    } finally {
      await db.close();
    }
  });
});
