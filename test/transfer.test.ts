import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { type AccessOutcome, FaceTerminal, mqttLinks } from '../devices-sim/src/devices';
import { ImportReport } from '../gateway/src/contracts/api/transfer';
import { type AccessCompound, addAccessCompound } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';
import { residentRows, xlsx } from './helpers/transfer-fixtures';

/** "Today" in the compound's zone (Asia/Shanghai), as the export's from/to take it. */
const shanghaiToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

describe('bulk import and export', () => {
  let t: TestGateway;
  let c: AccessCompound;
  let api: ApiClient;
  let admin: string;
  let guard: string;
  let resident: string;
  let gate: FaceTerminal;
  const clock = new AcceleratedClock();
  const link = () => mqttLinks({ url: t.mqttUrl });
  const opened: FaceTerminal[] = [];

  async function upload(path: string, file: Buffer, name: string, token = admin, community = 'test-community') {
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(file)]), name);
    const res = await fetch(`${t.httpUrl}${path}?communityId=${community}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: fd });
    return { status: res.status, body: (await res.json()) as unknown };
  }
  const report = (r: { body: unknown }) => ImportReport.parse(r.body);

  beforeAll(async () => {
    t = await startGateway();
    c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    await t.gw.access.reload();
    api = apiClient(t.httpUrl);
    admin = await api.login(c.users.admin);
    guard = await api.login(c.users.guard);
    resident = await api.login(c.users.a);
    gate = new FaceTerminal({ ...c.doors.main, link: link(), clock });
    opened.push(gate);
    expect(await gate.start()).toEqual({ ok: true });
  });
  afterAll(async () => {
    for (const d of opened) await d.close();
    clock.stop();
    await t?.close();
  });

  it('reports a bad row with its row number, column and reason, and imports nothing until it is fixed', async () => {
    const rows = residentRows();
    const bad = rows.map((r) => [...r]);
    bad[16]![4] = '1381234'; // spreadsheet row 18 (header is row 1)
    const before = await t.gw.db.prisma.household.count();

    const dry = await upload('/api/v1/transfer/import/dry-run', await xlsx(bad), 'households.xlsx');
    expect(dry.status).toBe(422);
    expect(report(dry)).toMatchObject({ ok: false, dryRun: true, issuesTotal: 1, issues: [{ sheet: '住户', row: 18, column: '手机号', reason: expect.stringMatching(/phone/) }] });
    const refused = await upload('/api/v1/transfer/import', await xlsx(bad), 'households.xlsx');
    expect(refused.status).toBe(422);
    expect(await t.gw.db.prisma.household.count()).toBe(before);

    const fixed = await xlsx(rows);
    const checked = report(await upload('/api/v1/transfer/import/dry-run', fixed, 'households.xlsx'));
    expect(checked).toMatchObject({ ok: true, dryRun: true, issues: [] });
    expect(checked.counts.households).toEqual({ created: 39, updated: 0, unchanged: 1 });
    expect(await t.gw.db.prisma.household.count()).toBe(before);

    const done = await upload('/api/v1/transfer/import', fixed, 'households.xlsx');
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    const r = report(done);
    // 1-1-101 existed (the fixture's household A): it is found, not duplicated.
    expect(r.counts).toMatchObject({
      buildings: { created: 1, unchanged: 1 },
      units: { created: 3, unchanged: 1 },
      households: { created: 39, unchanged: 1 },
      residents: { created: 80 },
      cards: { created: 80 },
      plates: { created: 16 },
    });
    expect(r.secretsFile).toBeUndefined();
    expect(await t.gw.db.prisma.household.count()).toBe(before + 39);
    expect(await t.gw.db.prisma.resident.count({ where: { household: { unit: { building: { number: 3 } } } } })).toBe(40);
    const elderly = await t.gw.db.prisma.householdTag.findMany({ where: { tag: 'elderly_alone' }, include: { household: true } });
    expect(elderly.map((e) => e.household.label).sort()).toEqual(['1-1-301', '1-2-301', '3-1-301', '3-2-301']);
    // Cards are stored as lookup hashes only.
    const cards = await t.gw.db.prisma.credential.findMany({ where: { type: 'card', resident: { name: '张一明' } } });
    expect(cards).toHaveLength(1);
    expect(cards[0]!.lookupHash).not.toContain('7700');
    expect(cards[0]!.hint).toHaveLength(4);
    // 与户主关系 is stored in the master-data API's terms (户主 → owner, 配偶 → spouse).
    const flat = await t.gw.db.prisma.resident.findMany({ where: { household: { label: '3-1-201' } }, orderBy: { name: 'asc' } });
    expect(flat.map((x) => x.relation).sort()).toEqual(['owner', 'spouse']);
    const audit = await t.gw.db.prisma.auditLog.findMany({ where: { action: 'import.commit' } });
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({ fileName: 'households.xlsx', counts: { residents: { created: 80 } } });
    expect(audit[0]!.actor).toBe('admin:admin');
    expect(audit[0]!.detail).not.toMatch(/7700|138\d{8}/);
  });

  it('grants an imported card at a real door over MQTT without a restart', async () => {
    const card = String(7_700_000_000 + 45); // building 3, unit 1
    const outcome: AccessOutcome = await gate.requestAccess({ type: 'card', value: card }, 'in');
    expect(outcome.ok && outcome.reply).toMatchObject({ decision: 'grant', reason: 'resident' });
    const unknown = await gate.requestAccess({ type: 'card', value: '7799999999' }, 'in');
    expect(unknown.ok && unknown.reply.decision).toBe('deny');
  });

  it('imports the same file again without duplicates, and updates a changed row', async () => {
    const rows = residentRows();
    const again = report(await upload('/api/v1/transfer/import', await xlsx(rows), 'households.xlsx'));
    expect(again.ok).toBe(true);
    expect(again.counts).toMatchObject({
      buildings: { created: 0 },
      households: { created: 0, updated: 0, unchanged: 40 },
      residents: { created: 0, updated: 0, unchanged: 80 },
      cards: { created: 0, updated: 0, unchanged: 80 },
      plates: { created: 0, unchanged: 16 },
    });
    rows[0]![4] = '13999999999';
    rows[3]![5] = '租户'; // the spouse of 1-1-102 turns out to be a tenant
    rows[8]![8] = ''; // 1-1-301 (王五11 / 李五11) is no longer tagged elderly_alone
    const changed = report(await upload('/api/v1/transfer/import', await xlsx(rows), 'households.xlsx'));
    expect(changed.counts.residents).toEqual({ created: 0, updated: 2, unchanged: 78 });
    expect((await t.gw.db.prisma.resident.findFirst({ where: { name: rows[3]![3] } }))?.relation).toBe('tenant');
    expect(changed.counts.households).toEqual({ created: 0, updated: 1, unchanged: 39 });
    expect((await t.gw.db.prisma.resident.findFirst({ where: { name: rows[0]![3] } }))?.phone).toBe('13999999999');
    expect(await t.gw.db.prisma.resident.count()).toBe(82);
  });

  it('reads a CSV with Chinese headers (UTF-8 with BOM), and imports devices with secrets shown once', async () => {
    const csv = '\ufeff楼栋,单元,房号,姓名,手机号,卡号,标签\n5号楼,1单元,101室,赵六,138 0000 0001,8800000001,空巢\n5,1,102,钱七,,8800000002;8800000003,\n';
    const r = report(await upload('/api/v1/transfer/import', Buffer.from(csv), '住户.csv'));
    expect(r).toMatchObject({ ok: true, counts: { households: { created: 2 }, residents: { created: 2 }, cards: { created: 3 } } });
    expect((await t.gw.db.prisma.resident.findFirst({ where: { name: '赵六' } }))?.phone).toBe('13800000001');

    const devices = 'deviceId,kind,name,place,building,unit\ndoor-b05-u1,人脸门禁,5号楼1单元门,单元门,5,1\n';
    const d = report(await upload('/api/v1/transfer/import', Buffer.from(devices), 'devices.csv'));
    expect(d).toMatchObject({ ok: true, counts: { devices: { created: 1 } } });
    expect(d.secretsFile?.content).toMatch(/^deviceId,secret\ndoor-b05-u1,[A-Za-z0-9_-]{32}\n$/);
    const secret = d.secretsFile?.content.split('\n')[1]?.split(',')[1] ?? '';
    const row = await t.gw.db.prisma.device.findUniqueOrThrow({ where: { id: 'door-b05-u1' } });
    expect(row.secretHash).toMatch(/^hmac-sha256\$[\w-]{43}$/);
    expect(row.secretHash).not.toContain(secret);
    // Again: no new secret, the device is unchanged.
    const again = report(await upload('/api/v1/transfer/import', Buffer.from(devices), 'devices.csv'));
    expect(again.counts.devices).toEqual({ created: 0, updated: 0, unchanged: 1 });
    expect(again.secretsFile).toBeUndefined();

    const door = new FaceTerminal({ id: 'door-b05-u1', secret, link: link(), clock });
    opened.push(door);
    expect(await door.start()).toEqual({ ok: true });
    const granted = await door.requestAccess({ type: 'card', value: '8800000003' }, 'in');
    expect(granted.ok && granted.reply).toMatchObject({ decision: 'grant', reason: 'resident' });
    const elsewhere = await door.requestAccess({ type: 'card', value: String(7_700_000_000 + 45) }, 'in');
    expect(elsewhere.ok && elsewhere.reply.decision).toBe('deny');
  });

  it('exports a day of the access log as XLSX, and the grant is in it', async () => {
    const day = shanghaiToday();
    const res = await fetch(`${t.httpUrl}/api/v1/transfer/export/access?from=${day}&to=${day}&format=xlsx`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="linli-access-${day}_${day}.xlsx"; filename*=UTF-8''linli-access-${day}_${day}.xlsx`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    const ws = wb.getWorksheet('access');
    const rows: unknown[][] = [];
    ws?.eachRow((row) => rows.push(Array.isArray(row.values) ? row.values.slice(1) : []));
    expect(rows[0]?.slice(0, 3)).toEqual(['时间 at', '设备编号 deviceId', '设备名称 deviceName']);
    const hit = rows.find((r) => r[1] === 'door-b05-u1' && r[5] === 'grant');
    expect(hit).toBeDefined();
    expect(hit?.[8]).toBe('钱七');
    expect(String(hit?.[0])).toMatch(new RegExp(`^${day} \\d{2}:\\d{2}:\\d{2}$`));
    expect(rows.filter((r) => r[5] === 'deny').length).toBeGreaterThanOrEqual(2);

    const csv = await fetch(`${t.httpUrl}/api/v1/transfer/export/audit?from=${day}&to=${day}&format=csv`, { headers: { authorization: `Bearer ${admin}` } });
    expect(csv.status).toBe(200);
    const bytes = Buffer.from(await csv.arrayBuffer());
    // A UTF-8 byte-order mark, so Excel reads the Chinese headers.
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8', 3);
    expect(text.startsWith('时间 at,操作人 actor')).toBe(true);
    expect(text).toContain('import.commit');
  });

  it('exports alerts with their history as CSV', async () => {
    const day = shanghaiToday();
    // A door nobody was granted at opens: forced entry, an alert with its history.
    const door = new FaceTerminal({ ...c.doors.b2, link: link(), clock });
    opened.push(door);
    expect(await door.start()).toEqual({ ok: true });
    await door.reportDoor('open', 'unknown');
    await expect.poll(() => t.gw.db.prisma.alertHistory.count({ where: { alert: { type: 'forced_entry' } } }), { timeout: 15_000 }).toBeGreaterThan(0);
    const res = await fetch(`${t.httpUrl}/api/v1/transfer/export/alerts?from=${day}&to=${day}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toContain('告警编号 alertId');
    const alert = await t.gw.db.prisma.alert.findFirstOrThrow({ where: { type: 'forced_entry' } });
    expect(lines.find((l) => l.startsWith(`${alert.id},forced_entry,critical,`) && l.includes(',raised,system,'))).toBeDefined();
    await door.reportDoor('closed', 'unknown');
  });

  it('answers 403 to guards and residents, 401 without a token, 400 for a bad range', async () => {
    const file = Buffer.from('楼栋,单元,房号\n1,1,101\n');
    for (const token of [guard, resident]) {
      expect((await upload('/api/v1/transfer/import/dry-run', file, 'a.csv', token)).status).toBe(403);
      expect((await upload('/api/v1/transfer/import', file, 'a.csv', token)).status).toBe(403);
      expect((await api.get('/api/v1/transfer/export/access?from=2026-12-01&to=2026-12-01', token)).status).toBe(403);
      expect((await api.get('/api/v1/transfer/import/templates/residents.xlsx', token)).status).toBe(403);
    }
    expect((await api.get('/api/v1/transfer/export/audit?from=2026-12-01&to=2026-12-01')).status).toBe(401);
    expect((await api.get('/api/v1/transfer/export/audit?from=2026-12-02&to=2026-12-01', admin)).status).toBe(400);
    expect((await api.get('/api/v1/transfer/export/audit?from=2026-02-30&to=2026-03-01', admin)).status).toBe(400);
    expect((await upload('/api/v1/transfer/import', file, 'a.csv', admin, 'no-such-compound')).status).toBe(422);
  });

  it('documents its routes in the OpenAPI document', async () => {
    const doc = (await api.get('/docs/json')).body;
    expect(doc).toMatchObject({ paths: { '/api/v1/transfer/import': { post: { tags: ['import and export'] } }, '/api/v1/transfer/export/{kind}': { get: {} } } });
  });

  it('serves templates that import as they are', async () => {
    const res = await fetch(`${t.httpUrl}/api/v1/transfer/import/templates/residents.xlsx`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    const dry = report(await upload('/api/v1/transfer/import/dry-run', body, 'residents.xlsx'));
    // 3-2-501 and 3-2-502 came with the first import (untagged: the examples tag them); the example cards and plate
    // belong to the fixture's residents, so they would move.
    expect(dry).toMatchObject({ ok: true, counts: { households: { created: 1, updated: 2 }, residents: { created: 3 }, cards: { updated: 2 }, plates: { updated: 1 } } });
    expect(dry.notes.join('\n')).toMatch(/说明 notes skipped/);
  });
});
