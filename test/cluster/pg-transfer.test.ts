// Import and export on PostgreSQL (docs/storage.md, "Retention and transfer on PostgreSQL"): the community
// spreadsheet of test/transfer.test.ts imported through transfer/import.ts into a real PostgreSQL 15 with the cell's
// migrations, read back through Prisma; a dry run and a refused file leave nothing; an export streams its rows from a
// server-side cursor in chunks and gives its connection back, also when the reader stops early.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceKind } from '../../gateway/src/contracts';
import type { ImportReport } from '../../gateway/src/contracts/api/transfer';
import { appendAudit } from '../../gateway/src/db/export';
import { type PgDb, migrateCellPg, openPgDb } from '../../gateway/src/db/pg-client';
import { planExport, writeExport } from '../../gateway/src/transfer/export';
import { type ImportDeps, importFile } from '../../gateway/src/transfer/import';
import { type AccessCompound, addAccessCompound } from '../helpers/fixtures';
import { residentRows, xlsx } from '../helpers/transfer-fixtures';
import { type TestPg, startPg } from './pg';

const EXPORT_ROWS = 5_000;
const DAY = '2026-11-20';

/** What a Writable received, as text. */
function collector() {
  const parts: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      parts.push(chunk);
      done();
    },
  });
  return { out, text: () => Buffer.concat(parts).toString('utf8') };
}

describe('import and export on PostgreSQL', () => {
  let server: TestPg;
  let db: PgDb;
  let c: AccessCompound;
  let deps: ImportDeps;
  let commits = 0;
  const run = (bytes: Buffer, fileName: string, dryRun: boolean, communityId = 'test-community') =>
    importFile(deps, { fileName, bytes, communityId, actor: 'admin:admin', dryRun });
  /** What the route does after a refused import (transfer/routes.ts). */
  const refused = (r: ImportReport) =>
    appendAudit(db, { actor: 'admin:admin', action: 'import.refused', entity: 'Community', entityId: r.communityId, detail: { fileName: r.fileName, issues: r.issuesTotal } });

  beforeAll(async () => {
    server = await startPg(mkdtempSync(join(tmpdir(), 'linli-pg-transfer-')));
    await server.pool.query('CREATE DATABASE linli_transfer');
    db = await openPgDb(server.url.replace(/\/linli_hub$/, '/linli_transfer'));
    await migrateCellPg(db.pool);
    const credentialKey = randomBytes(32).toString('base64url');
    c = await addAccessCompound(db.prisma, credentialKey);
    await db.prisma.community.update({ where: { id: 'test-community' }, data: { timezone: 'Asia/Shanghai' } });
    const supervisionSec = Object.fromEntries(DeviceKind.options.map((k) => [k, 300])) as Record<DeviceKind, number>;
    deps = { store: db, credentialKey, supervisionSec, afterCommit: async () => void commits++ };
  });
  afterAll(async () => {
    await db?.close();
    await server?.stop();
  });

  it('refuses a file with a bad row and writes nothing but the refusal; a dry run of the fixed file writes nothing', async () => {
    const bad = residentRows().map((r) => [...r]);
    bad[16]![4] = '1381234';
    const before = await db.prisma.household.count();
    const r = await run(await xlsx(bad), 'households.xlsx', false);
    expect(r).toMatchObject({ ok: false, issuesTotal: 1, issues: [{ sheet: '住户', row: 18, column: '手机号' }] });
    await refused(r);
    // A row only the database can judge: the compound does not exist. The transaction ran and was rolled back.
    const nowhere = await run(await xlsx(residentRows()), 'households.xlsx', false, 'no-such-compound');
    expect(nowhere).toMatchObject({ ok: false, issues: [{ reason: 'no compound no-such-compound' }] });

    const dry = await run(await xlsx(residentRows()), 'households.xlsx', true);
    expect(dry).toMatchObject({ ok: true, dryRun: true, issues: [] });
    expect(dry.counts.households).toEqual({ created: 39, updated: 0, unchanged: 1 });
    expect(dry.counts.residents).toEqual({ created: 80, updated: 0, unchanged: 0 });
    expect(await db.prisma.household.count()).toBe(before);
    expect(await db.prisma.resident.count({ where: { household: { unit: { building: { number: 3 } } } } })).toBe(0);
    expect(await db.prisma.building.count()).toBe(2);
    expect(await db.prisma.auditLog.count({ where: { action: 'import.commit' } })).toBe(0);
    expect(await db.prisma.auditLog.findMany({ where: { action: 'import.refused' }, select: { entityId: true } })).toEqual([{ entityId: 'test-community' }]);
    expect(commits).toBe(0);
  });

  it('imports the community spreadsheet in one transaction, visible through Prisma', async () => {
    const before = await db.prisma.household.count();
    const r = await run(await xlsx(residentRows()), 'households.xlsx', false);
    expect(r.ok, JSON.stringify(r.issues)).toBe(true);
    expect(r.counts).toMatchObject({
      buildings: { created: 1, unchanged: 1 },
      units: { created: 3, unchanged: 1 },
      households: { created: 39, unchanged: 1 },
      residents: { created: 80 },
      cards: { created: 80 },
      plates: { created: 16 },
    });
    expect(commits).toBe(1);
    expect(await db.prisma.household.count()).toBe(before + 39);
    expect(await db.prisma.resident.count({ where: { household: { unit: { building: { number: 3 } } } } })).toBe(40);
    const elderly = await db.prisma.householdTag.findMany({ where: { tag: 'elderly_alone' }, include: { household: true } });
    expect(elderly.map((e) => e.household.label).sort()).toEqual(['1-1-301', '1-2-301', '3-1-301', '3-2-301']);
    const flat = await db.prisma.resident.findMany({ where: { household: { label: '3-1-201' } } });
    expect(flat.map((x) => x.relation).sort()).toEqual(['owner', 'spouse']);
    expect(flat.every((x) => x.createdAt instanceof Date && Math.abs(x.createdAt.getTime() - Date.now()) < 3_600_000)).toBe(true);
    const cards = await db.prisma.credential.findMany({ where: { type: 'card', resident: { name: '张一明' } } });
    expect(cards).toHaveLength(1);
    expect(cards[0]!.lookupHash).not.toContain('7700');
    const audit = await db.prisma.auditLog.findMany({ where: { action: 'import.commit' } });
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({ fileName: 'households.xlsx', counts: { residents: { created: 80 } } });
  });

  it('imports the same file again without duplicates, and updates a changed row', async () => {
    const rows = residentRows();
    const again = await run(await xlsx(rows), 'households.xlsx', false);
    expect(again.counts).toMatchObject({ buildings: { created: 0 }, households: { created: 0, updated: 0, unchanged: 40 }, residents: { unchanged: 80 }, cards: { unchanged: 80 } });
    rows[0]![4] = '13999999999';
    rows[8]![8] = '';
    const changed = await run(await xlsx(rows), 'households.xlsx', false);
    expect(changed.counts.residents).toEqual({ created: 0, updated: 1, unchanged: 79 });
    expect(changed.counts.households).toEqual({ created: 0, updated: 1, unchanged: 39 });
    expect((await db.prisma.resident.findFirst({ where: { name: rows[0]![3] } }))?.phone).toBe('13999999999');
    expect(await db.prisma.resident.count()).toBe(82);
  });

  it('imports a device with its secret shown once; again, it is unchanged', async () => {
    const devices = Buffer.from('deviceId,kind,name,place,building,unit\ndoor-b05-u1,人脸门禁,5号楼1单元门,单元门,5,1\n');
    const d = await run(devices, 'devices.csv', false);
    expect(d).toMatchObject({ ok: true, counts: { devices: { created: 1 }, buildings: { created: 1 } } });
    expect(d.secretsFile?.content).toMatch(/^deviceId,secret\ndoor-b05-u1,[A-Za-z0-9_-]{32}\n$/);
    const row = await db.prisma.device.findUniqueOrThrow({ where: { id: 'door-b05-u1' }, include: { unit: { include: { building: true } } } });
    expect(row).toMatchObject({ kind: 'face_terminal', enabled: true, online: false, supervisionSec: 300, placeKind: 'unit_door', unit: { number: 1, building: { number: 5 } } });
    expect(row.secretHash).toMatch(/^hmac-sha256\$/);
    const again = await run(devices, 'devices.csv', false);
    expect(again.counts.devices).toEqual({ created: 0, updated: 0, unchanged: 1 });
    expect(again.secretsFile).toBeUndefined();
  });

  describe('exports', () => {
    beforeAll(async () => {
      // A Shanghai day (2026-11-19 16:00Z .. 2026-11-20 16:00Z) of door decisions, plus one on each side of it.
      await db.pool.query(
        `INSERT INTO "AccessEvent" ("id","deviceId","requestId","at","receivedAt","direction","credentialType","decision","reason","residentId","householdId","offline")
         SELECT 'ae-' || i, $1, 'rq-' || i, t, t, 'in', 'card', CASE WHEN i % 7 = 0 THEN 'deny' ELSE 'grant' END, 'resident', $2, 'hh-a', i % 2 = 0
           FROM generate_series(0, $3 - 1) i, LATERAL (SELECT $4::timestamptz + i * (interval '1 day' / $3) AS t) x`,
        [c.doors.main.id, c.residents.a, EXPORT_ROWS, '2026-11-19T16:00:00Z'],
      );
      await db.pool.query(
        `INSERT INTO "AccessEvent" ("id","deviceId","requestId","at","receivedAt","direction","credentialType","decision","reason")
         VALUES ('ae-before', $1, 'rq-before', '2026-11-19T15:59:59Z', now(), 'in', 'card', 'grant', 'resident'), ('ae-after', $1, 'rq-after', '2026-11-20T16:00:00Z', now(), 'in', 'card', 'grant', 'resident')`,
        [c.doors.main.id],
      );
      await db.pool.query(
        `INSERT INTO "Alert" ("id","type","severity","status","place","dedupKey","firstAt","lastAt","householdId") VALUES ('al-1','alarm_press','critical','open','{"label":"1号楼1单元101"}','k1',$1,$1,'hh-a')`,
        ['2026-11-20T02:00:00Z'],
      );
      await db.pool.query(`INSERT INTO "AlertHistory" ("alertId","at","action","actor","note") VALUES ('al-1',$1,'raised','system',NULL), ('al-1',$2,'acknowledged','guard1','到场')`, [
        '2026-11-20T02:00:00Z',
        '2026-11-20T02:05:00Z',
      ]);
    });

    it('streams the access log of a day in chunks from a cursor, every row, in the compound’s time', async () => {
      const plan = await planExport(db, 'access', { from: DAY, to: DAY, format: 'csv', communityId: 'test-community' });
      const sizes: number[] = [];
      let first: unknown[] | undefined;
      for await (const chunk of plan.source.chunks) {
        sizes.push(chunk.length);
        first ??= chunk[0];
      }
      expect(sizes).toEqual([2_000, 2_000, 1_000]);
      // Times come as ISO text (what the writer reads on SQLite too), `offline` as 0/1.
      expect(first).toEqual(['2026-11-19T16:00:00.000Z', 'gate-main', expect.any(String), 'in', 'card', 'deny', 'resident', '1-1-101', '王小明', null, 1, '2026-11-19T16:00:00.000Z']);

      const { out, text } = collector();
      const rows = await writeExport(await planExport(db, 'access', { from: DAY, to: DAY, format: 'csv', communityId: 'test-community' }), out);
      expect(rows).toBe(EXPORT_ROWS);
      const lines = text().replace(/^\ufeff/, '').trim().split('\n');
      expect(lines).toHaveLength(EXPORT_ROWS + 1);
      expect(lines[0]).toMatch(/^时间 at,设备编号 deviceId/);
      expect(lines[1]).toMatch(/^2026-11-20 00:00:00,gate-main,[^,]*,in,card,deny,resident,1-1-101,王小明,,1,2026-11-20 00:00:00$/);
      expect(lines.some((l) => l.includes('ae-before') || l.startsWith('2026-11-19'))).toBe(false);
    });

    it('gives the connection back when the reader stops after the first chunk', async () => {
      const plan = await planExport(db, 'access', { from: DAY, to: DAY, format: 'csv', communityId: 'test-community' });
      for await (const chunk of plan.source.chunks) {
        expect(chunk).toHaveLength(2_000);
        break;
      }
      expect(db.pool.totalCount - db.pool.idleCount).toBe(0);
      const open = await db.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'linli_transfer' AND state LIKE 'idle in transaction%'`);
      expect(open.rows[0]).toEqual({ n: 0 });
    });

    it('exports alerts with their history (the place label out of its JSON) and the audit log', async () => {
      const { out, text } = collector();
      expect(await writeExport(await planExport(db, 'alerts', { from: DAY, to: DAY, format: 'csv', communityId: 'test-community' }), out)).toBe(2);
      const lines = text().replace(/^\ufeff/, '').trim().split('\n');
      expect(lines.slice(1)).toEqual([
        'al-1,alarm_press,critical,open,1号楼1单元101,1-1-101,2026-11-20 10:00:00,,2026-11-20 10:00:00,raised,system,',
        'al-1,alarm_press,critical,open,1号楼1单元101,1-1-101,2026-11-20 10:00:00,,2026-11-20 10:05:00,acknowledged,guard1,到场',
      ]);

      const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
      const audit = collector();
      await writeExport(await planExport(db, 'audit', { from: today, to: today, format: 'csv' }), audit.out);
      const actions = audit.text().trim().split('\n').slice(1).map((l) => l.split(',')[2]);
      expect(actions).toEqual(expect.arrayContaining(['import.refused', 'import.commit']));
    });
  });
});
