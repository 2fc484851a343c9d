import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BuildingView,
  CompoundList,
  CompoundView,
  ContactView,
  GridView,
  HouseholdList,
  HouseholdView,
  UnitView,
} from '../gateway/src/contracts/api/admin';
import { AdminResidentView, AuditPage } from '../gateway/src/contracts/api/admin-people';
import { ErrorReply } from '../gateway/src/contracts/api/auth';
import { masterDataRepo } from '../gateway/src/db/master-data';
import { addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';

const SECRET = 'webhook-secret-for-tests-0123456789abcdef';

describe('master data API (/api/v1/admin)', () => {
  let t: TestGateway;
  let api: ApiClient;
  let admin: string;
  let guard: string;
  let resident: string;
  const ids = { compound: '', building: '', unit: '', household: '', grid: '', resident: '', contact: '' };

  beforeAll(async () => {
    t = await startGateway({ WEBHOOK_SECRET: SECRET });
    await addUser(t.gw.db.prisma, { username: 'admin1', password: 'admin-pw-0001', role: 'admin' });
    await addUser(t.gw.db.prisma, { username: 'guard1', password: 'guard-pw-0001', role: 'guard' });
    await addUser(t.gw.db.prisma, { username: 'r-1', password: 'resident-pw-01', role: 'resident' });
    api = apiClient(t.httpUrl);
    admin = await api.login({ username: 'admin1', password: 'admin-pw-0001' });
    guard = await api.login({ username: 'guard1', password: 'guard-pw-0001' });
    resident = await api.login({ username: 'r-1', password: 'resident-pw-01' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const ok = async (method: string, path: string, body?: unknown, status = method === 'POST' ? 201 : 200) => {
    const r = await api.call(method, path, admin, body);
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    return r.body;
  };
  const lastAudit = async (entityId: string) => {
    const page = AuditPage.parse(await ok('GET', `/api/v1/admin/audit?entityId=${entityId}&limit=1`));
    expect(page.entries).toHaveLength(1);
    return page.entries[0]!;
  };

  it('creates a compound → building → unit → household → resident in order, each with an audit row', async () => {
    const c = CompoundView.parse(await ok('POST', '/api/v1/admin/compounds', { name: '长庆坊小区', address: '西安市碑林区长庆坊1号', latitude: 34.2583, longitude: 108.9286, timezone: 'Asia/Shanghai' }));
    ids.compound = c.id;
    expect(c).toMatchObject({ name: '长庆坊小区', active: true, timezone: 'Asia/Shanghai' });
    const b = BuildingView.parse(await ok('POST', '/api/v1/admin/buildings', { compoundId: c.id, number: 3 }));
    ids.building = b.id;
    expect(b).toMatchObject({ name: '3号楼', number: 3, compoundId: c.id });
    const u = UnitView.parse(await ok('POST', '/api/v1/admin/units', { buildingId: b.id, number: 2 }));
    ids.unit = u.id;
    const g = GridView.parse(await ok('POST', '/api/v1/admin/grids', { compoundId: c.id, name: '第一网格' }));
    ids.grid = g.id;
    const h = HouseholdView.parse(await ok('POST', '/api/v1/admin/households', { unitId: u.id, room: '501', tags: ['elderly_alone', 'party_member'], gridId: g.id }));
    ids.household = h.id;
    expect(h).toMatchObject({ label: '3-2-501', tags: ['elderly_alone', 'party_member'], gridId: g.id, compoundId: c.id, buildingId: b.id });
    const r = AdminResidentView.parse(await ok('POST', '/api/v1/admin/residents', { householdId: h.id, name: '王建国', phone: '13812345678', relation: 'owner', moveInAt: '2020-05-01T00:00:00+08:00' }));
    ids.resident = r.id;
    expect(r).toMatchObject({ householdLabel: '3-2-501', name: '王建国', phoneMasked: '138****5678', status: 'active', relation: 'owner', faceConsent: false });

    const audit = await lastAudit(h.id);
    expect(audit).toMatchObject({ actor: 'admin:admin1', action: 'household.create', entity: 'Household', entityId: h.id, detail: { before: null, after: { label: '3-2-501' } } });
    // The audit row never holds a full phone number.
    const created = await lastAudit(r.id);
    expect(created.detail).toMatchObject({ after: { phone: '138****5678' } });
    expect(JSON.stringify(created)).not.toContain('13812345678');
  });

  it('lists what it created, filtered by tag and by grid', async () => {
    expect(CompoundList.parse(await ok('GET', '/api/v1/admin/compounds')).compounds.map((c) => c.id)).toContain(ids.compound);
    expect(HouseholdList.parse(await ok('GET', '/api/v1/admin/households?tag=elderly_alone')).households.map((h) => h.id)).toEqual([ids.household]);
    expect(HouseholdList.parse(await ok('GET', `/api/v1/admin/households?gridId=${ids.grid}`)).households.map((h) => h.id)).toEqual([ids.household]);
    expect(HouseholdList.parse(await ok('GET', '/api/v1/admin/households?tag=vacant')).households).toEqual([]);
  });

  it('edits with before and after in the audit log; renumbering a building relabels its households', async () => {
    await ok('PATCH', `/api/v1/admin/buildings/${ids.building}`, { number: 7 });
    expect(HouseholdView.parse(await ok('GET', `/api/v1/admin/households/${ids.household}`)).label).toBe('7-2-501');
    const audit = await lastAudit(ids.building);
    expect(audit).toMatchObject({ action: 'building.update', detail: { before: { number: 3 }, after: { number: 7 } } });

    await ok('PATCH', `/api/v1/admin/households/${ids.household}`, { tags: ['empty_nest'] });
    expect((await lastAudit(ids.household)).detail).toMatchObject({ before: { tags: ['elderly_alone', 'party_member'] }, after: { tags: ['empty_nest'] } });

    await ok('PATCH', `/api/v1/admin/households/${ids.household}`, { active: false });
    expect((await lastAudit(ids.household))).toMatchObject({ action: 'household.deactivate', detail: { before: { active: true }, after: { active: false } } });
    await ok('PATCH', `/api/v1/admin/households/${ids.household}`, { active: true });
  });

  it('answers 400 with the field path for bad input', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/api/v1/admin/compounds', { name: '小区', latitude: 34, longitude: 108, timezone: 'China/Beijing' }, '/timezone'],
      ['POST', '/api/v1/admin/compounds', { name: '小区', latitude: 34, longitude: 108, timezone: 'CST' }, '/timezone'],
      ['POST', '/api/v1/admin/compounds', { name: '小区', latitude: 95, longitude: 108 }, '/latitude'],
      ['POST', '/api/v1/admin/compounds', { name: '小区', latitude: 34, longitude: 108, colour: 'red' }, '/'],
      ['POST', '/api/v1/admin/households', { unitId: 'x', room: '5 01' }, '/room'],
      ['POST', '/api/v1/admin/households', { unitId: 'x', room: '501', tags: ['rich'] }, '/tags/0'],
      ['POST', '/api/v1/admin/households', { unitId: 'x', room: '501', tags: ['vacant', 'vacant'] }, '/tags'],
      ['POST', '/api/v1/admin/residents', { householdId: 'x', name: '张三', phone: '12345' }, '/phone'],
      ['POST', '/api/v1/admin/escalation-contacts', { name: '网格员', level: 1, webhookUrl: 'ftp://x' }, '/webhookUrl'],
      ['PATCH', `/api/v1/admin/buildings/${'b'}`, {}, '/'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await api.call(method, path, admin, body);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      const e = ErrorReply.parse(r.body);
      expect(e.issues?.map((i) => i.path), JSON.stringify(e)).toContain(field);
    }
    // A valid IANA zone other than Shanghai is accepted.
    const c = CompoundView.parse(await ok('POST', '/api/v1/admin/compounds', { name: '乌鲁木齐小区', latitude: 43.8, longitude: 87.6, timezone: 'Asia/Urumqi' }));
    expect(c.timezone).toBe('Asia/Urumqi');
  });

  it('answers 400 naming the field when a referenced row does not exist', async () => {
    for (const [path, body, field] of [
      ['/api/v1/admin/buildings', { compoundId: 'nope', number: 1 }, '/compoundId'],
      ['/api/v1/admin/units', { buildingId: 'nope', number: 1 }, '/buildingId'],
      ['/api/v1/admin/households', { unitId: 'nope', room: '101' }, '/unitId'],
      ['/api/v1/admin/households', { unitId: ids.unit, room: '102', gridId: 'nope' }, '/gridId'],
      ['/api/v1/admin/residents', { householdId: 'nope', name: '张三' }, '/householdId'],
      ['/api/v1/admin/escalation-contacts', { name: '网格员', level: 1, gridId: 'nope' }, '/gridId'],
      ['/api/v1/admin/escalation-contacts', { name: '网格员', level: 9 }, '/level'],
    ] as const) {
      const r = await api.post(path, admin, body);
      expect(r.status, path).toBe(400);
      expect(ErrorReply.parse(r.body).issues?.map((i) => i.path)).toContain(field);
    }
  });

  it('refuses duplicates with 409', async () => {
    expect((await api.post('/api/v1/admin/buildings', admin, { compoundId: ids.compound, number: 7 })).status).toBe(409);
    expect((await api.post('/api/v1/admin/units', admin, { buildingId: ids.building, number: 2 })).status).toBe(409);
    expect((await api.post('/api/v1/admin/households', admin, { unitId: ids.unit, room: '501' })).status).toBe(409);
    expect((await api.post('/api/v1/admin/grids', admin, { compoundId: ids.compound, name: '第一网格' })).status).toBe(409);
  });

  it('stores grid workers as escalation contacts, with the phone masked in the audit log', async () => {
    const w = ContactView.parse(await ok('POST', '/api/v1/admin/escalation-contacts', { name: '网格员张敏', level: 1, gridId: ids.grid, phone: '13900001111', webhookUrl: 'https://grid.example/hook?token=abc' }));
    ids.contact = w.id;
    const g = GridView.parse(await ok('GET', `/api/v1/admin/grids/${ids.grid}`));
    expect(g).toMatchObject({ households: 1, workers: [{ id: w.id, name: '网格员张敏', level: 1 }] });
    const audit = await lastAudit(w.id);
    expect(audit.detail).toMatchObject({ after: { phone: '139****1111', webhookUrl: 'https://grid.example/hook?[redacted]' } });
    expect(JSON.stringify(audit)).not.toContain('token=abc');
  });

  it('deletes only what nothing refers to, and says what does (409)', async () => {
    const inUse = await api.call('DELETE', `/api/v1/admin/households/${ids.household}`, admin);
    expect(inUse.status).toBe(409);
    expect(ErrorReply.parse(inUse.body)).toMatchObject({ error: 'CONFLICT', details: { referencedBy: { residents: 1 } } });
    const grid = await api.call('DELETE', `/api/v1/admin/grids/${ids.grid}`, admin);
    expect(grid.status).toBe(409);
    expect(ErrorReply.parse(grid.body).details).toEqual({ referencedBy: { households: 1, contacts: 1 } });
    const compound = await api.call('DELETE', `/api/v1/admin/compounds/${ids.compound}`, admin);
    expect(compound.status).toBe(409);
    expect(ErrorReply.parse(compound.body).details).toEqual({ referencedBy: { buildings: 1, grids: 1 } });

    // A resident entered by mistake (nothing refers to them) can be deleted; the audit keeps who and what.
    const typo = AdminResidentView.parse(await ok('POST', '/api/v1/admin/residents', { householdId: ids.household, name: '王建困' }));
    expect((await api.call('DELETE', `/api/v1/admin/residents/${typo.id}`, admin)).status).toBe(204);
    expect(await lastAudit(typo.id)).toMatchObject({ action: 'resident.delete', detail: { before: { name: '王建困' }, after: null } });
    const u2 = UnitView.parse(await ok('POST', '/api/v1/admin/units', { buildingId: ids.building, number: 3 }));
    expect((await api.call('DELETE', `/api/v1/admin/units/${u2.id}`, admin)).status).toBe(204);
    expect((await api.get(`/api/v1/admin/units/${u2.id}`, admin)).status).toBe(404);
    expect((await api.call('DELETE', `/api/v1/admin/escalation-contacts/${ids.contact}`, admin)).status).toBe(204);
  });

  it('records face consent from a paper form only with its reference', async () => {
    const missing = await api.call('PUT', `/api/v1/admin/residents/${ids.resident}/face-consent`, admin, { consent: true });
    expect(missing.status).toBe(400);
    expect(ErrorReply.parse(missing.body).issues?.map((i) => i.path)).toContain('/paperFormRef');
    const r = AdminResidentView.parse(await ok('PUT', `/api/v1/admin/residents/${ids.resident}/face-consent`, { consent: true, paperFormRef: 'CQF-2026-0042' }));
    expect(r).toMatchObject({ faceConsent: true, faceConsentBy: 'paper_form', faceConsentRef: 'CQF-2026-0042' });
    expect((await lastAudit(ids.resident))).toMatchObject({ action: 'face_consent.give', detail: { before: { faceConsent: false }, after: { faceConsent: true, faceConsentRef: 'CQF-2026-0042' } } });
  });

  it('gives guards and residents 403 on every admin route, and 401 without a token', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/v1/admin/compounds'],
      ['POST', '/api/v1/admin/compounds', { name: 'x', latitude: 1, longitude: 1 }],
      ['GET', `/api/v1/admin/compounds/${ids.compound}`],
      ['PATCH', `/api/v1/admin/compounds/${ids.compound}`, { name: 'x' }],
      ['DELETE', `/api/v1/admin/compounds/${ids.compound}`],
      ['GET', '/api/v1/admin/buildings'],
      ['POST', '/api/v1/admin/buildings', { compoundId: ids.compound, number: 99 }],
      ['GET', `/api/v1/admin/buildings/${ids.building}`],
      ['PATCH', `/api/v1/admin/buildings/${ids.building}`, { name: 'x' }],
      ['DELETE', `/api/v1/admin/buildings/${ids.building}`],
      ['GET', '/api/v1/admin/units'],
      ['POST', '/api/v1/admin/units', { buildingId: ids.building, number: 9 }],
      ['GET', `/api/v1/admin/units/${ids.unit}`],
      ['PATCH', `/api/v1/admin/units/${ids.unit}`, { active: false }],
      ['DELETE', `/api/v1/admin/units/${ids.unit}`],
      ['GET', '/api/v1/admin/households'],
      ['POST', '/api/v1/admin/households', { unitId: ids.unit, room: '909' }],
      ['GET', `/api/v1/admin/households/${ids.household}`],
      ['PATCH', `/api/v1/admin/households/${ids.household}`, { active: false }],
      ['DELETE', `/api/v1/admin/households/${ids.household}`],
      ['GET', '/api/v1/admin/residents'],
      ['POST', '/api/v1/admin/residents', { householdId: ids.household, name: 'x' }],
      ['GET', `/api/v1/admin/residents/${ids.resident}`],
      ['PATCH', `/api/v1/admin/residents/${ids.resident}`, { active: false }],
      ['PUT', `/api/v1/admin/residents/${ids.resident}/face-consent`, { consent: false }],
      ['POST', `/api/v1/admin/residents/${ids.resident}/move-out`, {}],
      ['DELETE', `/api/v1/admin/residents/${ids.resident}`],
      ['GET', '/api/v1/admin/grids'],
      ['POST', '/api/v1/admin/grids', { compoundId: ids.compound, name: 'x' }],
      ['GET', `/api/v1/admin/grids/${ids.grid}`],
      ['PATCH', `/api/v1/admin/grids/${ids.grid}`, { active: false }],
      ['DELETE', `/api/v1/admin/grids/${ids.grid}`],
      ['GET', '/api/v1/admin/escalation-contacts'],
      ['POST', '/api/v1/admin/escalation-contacts', { name: 'x', level: 1 }],
      ['GET', '/api/v1/admin/escalation-contacts/esc-x'],
      ['PATCH', '/api/v1/admin/escalation-contacts/esc-x', { active: false }],
      ['DELETE', '/api/v1/admin/escalation-contacts/esc-x'],
      ['GET', '/api/v1/admin/audit'],
    ];
    const auditBefore = await t.gw.db.prisma.auditLog.count();
    for (const [method, path, body] of routes) {
      for (const [who, token] of [['guard', guard], ['resident', resident]] as const) {
        const r = await api.call(method, path, token, body);
        expect(r.status, `${who} ${method} ${path}`).toBe(403);
      }
      expect((await api.call(method, path, undefined, body)).status, `anonymous ${method} ${path}`).toBe(401);
    }
    // Nothing was changed by any of them.
    expect(await t.gw.db.prisma.auditLog.count()).toBe(auditBefore);
    expect((await api.get(`/api/v1/admin/residents/${ids.resident}`, admin)).body).toMatchObject({ status: 'active' });
  });

  it('filters the audit log by entity, actor, action prefix and time, newest first, in pages', async () => {
    const all = AuditPage.parse(await ok('GET', '/api/v1/admin/audit?action=household.&limit=2'));
    expect(all.entries).toHaveLength(2);
    expect(all.entries.every((e) => e.action.startsWith('household.'))).toBe(true);
    expect(all.entries[0]!.id).toBeGreaterThan(all.entries[1]!.id);
    expect(all.nextBefore).toBe(all.entries[1]!.id);
    const next = AuditPage.parse(await ok('GET', `/api/v1/admin/audit?action=household.&limit=2&before=${all.nextBefore}`));
    expect(next.entries[0]!.id).toBeLessThan(all.entries[1]!.id);
    const byActor = AuditPage.parse(await ok('GET', '/api/v1/admin/audit?actor=admin:admin1&entity=Building&limit=500'));
    expect(byActor.entries.map((e) => e.action)).toEqual(['building.update', 'building.create']);
    const future = AuditPage.parse(await ok('GET', `/api/v1/admin/audit?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`));
    expect(future.entries).toEqual([]);
    expect((await api.get('/api/v1/admin/audit?limit=0', admin)).status).toBe(400);
  });

  it('keeps a property manager inside their compound (scope read from the principal)', async () => {
    // Accounts with the property_manager role come with the user accounts work; the scope itself is enforced below
    // the routes, so it is exercised here through the same repository the routes call.
    const repo = masterDataRepo(t.gw.db.prisma);
    const other = CompoundView.parse(await ok('POST', '/api/v1/admin/compounds', { name: '希格玛小区', latitude: 39.9, longitude: 116.3 }));
    const scoped = { actor: 'property_manager:pm1', scope: other.id, at: new Date() };
    expect((await repo.compounds(other.id)).map((c) => c.id)).toEqual([other.id]);
    expect(await repo.compound(ids.compound, other.id)).toBeNull();
    expect(await repo.household(ids.household, other.id)).toBeNull();
    expect(await repo.households(other.id, {})).toEqual([]);
    expect(await repo.updateHousehold(ids.household, { active: false }, scoped)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await repo.createBuilding({ compoundId: ids.compound, number: 50, x: 0, y: 0, width: 20, depth: 12, floors: 6 }, scoped)).toMatchObject({ ok: false, code: 'VALIDATION', path: '/compoundId' });
    expect(await repo.createCompound({ name: 'x', address: '', latitude: 1, longitude: 1, timezone: 'Asia/Shanghai' }, scoped)).toMatchObject({ ok: false });
    const own = await repo.createBuilding({ compoundId: other.id, number: 1, x: 0, y: 0, width: 20, depth: 12, floors: 6 }, scoped);
    expect(own).toMatchObject({ ok: true, value: { compoundId: other.id } });
  });

  it('documents every admin route in the OpenAPI document', async () => {
    const doc = (await api.get('/docs/json')).body;
    const paths = Object.keys((doc as { paths: Record<string, unknown> }).paths);
    for (const p of ['/api/v1/admin/compounds', '/api/v1/admin/compounds/{id}', '/api/v1/admin/buildings', '/api/v1/admin/units/{id}', '/api/v1/admin/households', '/api/v1/admin/residents/{id}/move-out', '/api/v1/admin/residents/{id}/face-consent', '/api/v1/admin/grids/{id}', '/api/v1/admin/escalation-contacts', '/api/v1/admin/audit']) {
      expect(paths).toContain(p);
    }
  });
});
