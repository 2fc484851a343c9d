import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashSecret } from '../gateway/src/auth/hash';
import { Alert, AlertDetail, AlertList } from '../gateway/src/contracts/api/alerts';
import { ComplianceReport, FieldAlertList, FieldHome, PatrolReportView } from '../gateway/src/contracts/api/field';
import { localMonth } from '../gateway/src/contracts/zone';
import { type AccessCompound, addAccessCompound } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';

/** The smallest valid PNG (1×1), and its bytes declared as a JPEG. */
const PNG_1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/**
 * Field staff (#16 item 6) through the HTTP API: a grid worker sees only their grids' cases, a patrol report is an
 * alert the guard sees, the five-minute rule refuses a late on-site confirmation without a reason (400), the outcome
 * ends the case, and the compliance report counts it with the reason given.
 */
describe('field staff API', () => {
  let t: TestGateway;
  let c: AccessCompound;
  let api: ApiClient;
  let tok: { w1: string; w2: string; guard: string; admin: string; a: string };
  let report: PatrolReportView;

  beforeAll(async () => {
    // 0.02 min = 1.2 s: the rule passes quickly; the sweep escalates it, which is the event the test waits on.
    t = await startGateway({ ON_SITE_MINUTES: '0.02', ALERT_SWEEP_MS: '100', ACCESS_API_RATE_PER_MINUTE: '1000' });
    c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    const prisma = t.gw.db.prisma;
    await prisma.grid.createMany({ data: [{ id: 'g1', communityId: 'test-community', name: '一网格' }, { id: 'g2', communityId: 'test-community', name: '二网格' }] });
    await prisma.household.update({ where: { id: 'hh-a' }, data: { gridId: 'g1' } });
    await prisma.household.update({ where: { id: 'hh-b' }, data: { gridId: 'g2' } });
    for (const u of ['w1', 'w2']) {
      await prisma.user.create({ data: { id: `user-${u}`, username: u, passwordHash: await hashSecret(`${u}-field-pw-01`), role: 'grid_worker', displayName: `网格员${u}` } });
    }
    api = apiClient(t.httpUrl);
    tok = {
      w1: await api.login({ username: 'w1', password: 'w1-field-pw-01' }),
      w2: await api.login({ username: 'w2', password: 'w2-field-pw-01' }),
      guard: await api.login(c.users.guard),
      admin: await api.login(c.users.admin),
      a: await api.login(c.users.a),
    };
  });
  afterAll(async () => t?.close());

  it('lets an administrator put grid_worker accounts on grids, and only those', async () => {
    expect((await api.post('/api/v1/field/grids/g1/workers', tok.admin, { username: 'w1' })).status).toBe(200);
    expect((await api.post('/api/v1/field/grids/g2/workers', tok.admin, { username: 'w2' })).status).toBe(200);
    const resident = await api.post('/api/v1/field/grids/g1/workers', tok.admin, { username: c.users.a.username });
    expect(resident.status).toBe(400);
    expect(JSON.stringify(resident.body)).toContain('grid_worker');
    expect((await api.post('/api/v1/field/grids/g1/workers', tok.w1, { username: 'w2' })).status).toBe(403);
    expect((await api.post('/api/v1/field/grids/nope/workers', tok.admin, { username: 'w2' })).status).toBe(404);
    const home = FieldHome.parse((await api.get('/api/v1/field/home', tok.w1)).body);
    expect(home.grids.map((g) => g.id)).toEqual(['g1']);
    expect(home.grids[0]).toMatchObject({ name: '一网格', compound: '测试小区', timezone: 'Asia/Shanghai' });
    expect((await api.get('/api/v1/field/home', tok.a)).status).toBe(403);
    expect((await api.get('/api/v1/field/home', tok.guard)).status).toBe(403);
  });

  it('raises a patrol report as an alert on the guard board, with its photo checked against its type', async () => {
    const body = { gridId: 'g1', kind: 'lamp_not_lit', place: '1号楼东侧路灯', text: '灯不亮，灯罩破损', photo: { type: 'image/png', data: PNG_1x1 } };
    const badType = await api.post('/api/v1/field/patrol', tok.w1, { ...body, photo: { type: 'image/jpeg', data: PNG_1x1 } });
    expect(badType.status).toBe(400);
    expect(JSON.stringify(badType.body)).toContain('not a image/jpeg');
    expect((await api.post('/api/v1/field/patrol', tok.w1, { ...body, photo: { type: 'image/gif', data: PNG_1x1 } })).status).toBe(400);
    expect((await api.post('/api/v1/field/patrol', tok.w1, { ...body, gridId: 'g2' })).status).toBe(400);
    const created = await api.post('/api/v1/field/patrol', tok.w1, body);
    expect(created.status).toBe(201);
    report = PatrolReportView.parse(created.body);
    expect(report).toMatchObject({ gridId: 'g1', kind: 'lamp_not_lit', reportedBy: 'w1', hasPhoto: true });

    const board = AlertList.parse((await api.get('/api/v1/alerts?type=patrol_report', tok.guard)).body);
    const alert = board.alerts.find((a) => a.id === report.alertId);
    expect(alert).toMatchObject({ type: 'patrol_report', category: 'maintenance', status: 'open', place: { label: '1号楼东侧路灯' }, deadlineKind: 'on_site' });
    expect(alert?.detail).toMatchObject({ text: '灯不亮，灯罩破损', reportedBy: 'w1', kind: 'lamp_not_lit' });

    const photo = await fetch(`${t.httpUrl}/api/v1/field/alerts/${report.alertId}/photo`, { headers: { authorization: `Bearer ${tok.guard}` } });
    expect(photo.status).toBe(200);
    expect(photo.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await photo.arrayBuffer()).equals(Buffer.from(PNG_1x1, 'base64'))).toBe(true);
  });

  it("never shows a grid worker another grid's cases (BOLA)", async () => {
    const other = PatrolReportView.parse((await api.post('/api/v1/field/patrol', tok.w2, { gridId: 'g2', kind: 'broken_door', place: '2号楼单元门', text: '门禁锁坏' })).body);
    const w1 = FieldAlertList.parse((await api.get('/api/v1/field/alerts', tok.w1)).body);
    const w2 = FieldAlertList.parse((await api.get('/api/v1/field/alerts', tok.w2)).body);
    expect(w1.alerts.map((a) => a.id)).toEqual([report.alertId]);
    expect(w2.alerts.map((a) => a.id)).toEqual([other.alertId]);
    expect(w1.alerts.every((a) => a.gridId === 'g1')).toBe(true);
    // Acting on, or looking at the photo of, another grid's case is "not found", exactly like a case that never was.
    const foreign = await api.post(`/api/v1/field/alerts/${report.alertId}/on-site`, tok.w2, { lateReason: 'x' });
    const missing = await api.post('/api/v1/field/alerts/no-such-alert/on-site', tok.w2, { lateReason: 'x' });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(missing.body);
    expect((await api.post(`/api/v1/field/alerts/${report.alertId}/outcome`, tok.w2, { resolved: true, note: 'x' })).status).toBe(404);
    expect((await fetch(`${t.httpUrl}/api/v1/field/alerts/${report.alertId}/photo`, { headers: { authorization: `Bearer ${tok.w2}` } })).status).toBe(404);
    const comp = ComplianceReport.parse((await api.get(`/api/v1/field/compliance?month=${localMonth(new Date(), 'Asia/Shanghai')}&gridId=g1`, tok.w2)).body);
    expect(comp.rows).toEqual([]);
  });

  it('refuses a late on-site confirmation without a reason (400), on the field route and the staff route', async () => {
    // The rule's deadline passed once the sweep escalated the case (escalated_no_on_site).
    await vi.waitFor(
      async () => {
        const d = AlertDetail.parse((await api.get(`/api/v1/alerts/${report.alertId}`, tok.guard)).body);
        expect(d.alert.escalationLevel).toBeGreaterThanOrEqual(1);
      },
      { timeout: 30_000, interval: 200 },
    );
    const field = await api.post(`/api/v1/field/alerts/${report.alertId}/on-site`, tok.w1, { note: '到了' });
    expect(field.status).toBe(400);
    expect(field.body).toMatchObject({ error: 'VALIDATION' });
    expect(JSON.stringify(field.body)).toContain('lateReason');
    expect(JSON.stringify(field.body)).toContain('five-minute rule');
    const staff = await api.post(`/api/v1/alerts/${report.alertId}/on-site`, tok.guard, {});
    expect(staff.status).toBe(400);
    expect((await api.post(`/api/v1/field/alerts/${report.alertId}/on-site`, tok.w1, { lateReason: '' })).status).toBe(400);

    const ok = await api.post(`/api/v1/field/alerts/${report.alertId}/on-site`, tok.w1, { note: '到了', lateReason: '在另一处处理漏水' });
    expect(ok.status).toBe(200);
    expect(Alert.parse(ok.body)).toMatchObject({ onSiteBy: 'w1', deadlineKind: null });
    const d = AlertDetail.parse((await api.get(`/api/v1/alerts/${report.alertId}`, tok.guard)).body);
    const row = d.history.find((h) => h.action === 'on_site');
    expect(row?.detail).toMatchObject({ late: true, lateReason: '在另一处处理漏水' });
  });

  it('records the outcome, and the compliance report counts the late arrival with its reason', async () => {
    const open = await api.post(`/api/v1/field/alerts/${report.alertId}/outcome`, tok.w1, { resolved: false, note: '已报修，明天换灯' });
    expect(open.status).toBe(200);
    expect(Alert.parse(open.body).status).not.toBe('cleared');
    const done = await api.post(`/api/v1/field/alerts/${report.alertId}/outcome`, tok.w1, { resolved: true, note: '已更换灯具' });
    expect(Alert.parse(done.body)).toMatchObject({ status: 'cleared', clearedBy: 'w1', clearNote: '已更换灯具' });
    expect((await api.post(`/api/v1/field/alerts/${report.alertId}/outcome`, tok.w1, { resolved: true, note: 'again' })).status).toBe(409);
    // The worker still sees what they closed (件件有回音).
    const list = FieldAlertList.parse((await api.get('/api/v1/field/alerts', tok.w1)).body);
    expect(list.alerts.find((a) => a.id === report.alertId)?.status).toBe('cleared');
    const history = AlertDetail.parse((await api.get(`/api/v1/alerts/${report.alertId}`, tok.guard)).body).history;
    expect(history.some((h) => h.action === 'outcome_recorded' && h.note === '已报修，明天换灯')).toBe(true);

    const month = localMonth(new Date(), 'Asia/Shanghai');
    const mine = ComplianceReport.parse((await api.get(`/api/v1/field/compliance?month=${month}`, tok.w1)).body);
    expect(mine.rows).toHaveLength(1);
    expect(mine.rows[0]).toMatchObject({ gridId: 'g1', cases: 1, onSite: 1, withinRule: 0, late: 1, missing: 0, patrolReports: 1, share: 0 });
    expect(mine.rows[0]?.lateReasons[0]).toMatchObject({ alertId: report.alertId, by: 'w1', reason: '在另一处处理漏水', place: '1号楼东侧路灯' });
    const all = ComplianceReport.parse((await api.get(`/api/v1/field/compliance?month=${month}`, tok.guard)).body);
    expect(all.rows.map((r) => [r.gridId, r.cases, r.missing])).toEqual([['g1', 1, 0], ['g2', 1, 1]]);
    expect((await api.get('/api/v1/field/compliance?month=2026-13', tok.guard)).status).toBe(400);
    expect((await api.get(`/api/v1/field/compliance?month=${month}`, tok.a)).status).toBe(403);
  });

  it("answers the report days and today's visitors in the compound's own zone, not UTC+8 by fiat", async () => {
    // UTC+14: most of the time its calendar day differs from Shanghai's.
    const zone = 'Pacific/Kiritimati';
    await t.gw.db.prisma.community.update({ where: { id: 'test-community' }, data: { timezone: zone } });
    await t.gw.access.reload();
    const today = new Date(Date.now() + 14 * 3_600_000).toISOString().slice(0, 10);
    const expected = await api.get('/api/v1/visitors/expected', tok.guard);
    expect(expected.status).toBe(200);
    expect(expected.body).toMatchObject({ date: today });
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const times = await api.get(`/api/v1/alerts/report/response-times?from=${from}&to=${new Date(Date.now() + 60_000).toISOString()}`, tok.guard);
    expect(times.body).toMatchObject({ timezone: zone });
    const raised = AlertDetail.parse((await api.get(`/api/v1/alerts/${report.alertId}`, tok.guard)).body).alert.firstAt;
    const raisedDay = new Date(Date.parse(raised) + 14 * 3_600_000).toISOString().slice(0, 10);
    expect(JSON.stringify(times.body)).toContain(`"day":"${raisedDay}"`);
    const comp = ComplianceReport.parse((await api.get('/api/v1/field/compliance', tok.w1)).body);
    expect(comp).toMatchObject({ timezone: zone, month: today.slice(0, 7) });
  });
});
