import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RenewReply } from '../gateway/src/contracts/api/auth';
import { PassCreated } from '../gateway/src/contracts/api/passes';
import { ResidentAlarmList, ResidentHome, VisitLinkReply, VisitView } from '../gateway/src/contracts/api/resident';
import { type AccessCompound, addAccessCompound } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

/** The resident app's own routes (gateway/src/resident/): household scope, the visitor link, the password change. */
describe('resident app API', () => {
  let t: TestGateway;
  let c: AccessCompound;
  let api: ApiClient;
  let tok: { a: string; b: string; guard: string };
  let passA: PassCreated;

  beforeAll(async () => {
    t = await startGateway({ ACCESS_API_RATE_PER_MINUTE: '1000' });
    c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    await t.gw.db.prisma.community.update({ where: { id: 'test-community' }, data: { timezone: 'Asia/Urumqi' } });
    await t.gw.access.reload();
    api = apiClient(t.httpUrl);
    tok = { a: await api.login(c.users.a), b: await api.login(c.users.b), guard: await api.login(c.users.guard) };
    passA = PassCreated.parse((await api.post('/api/v1/passes', tok.a, { visitorName: '张三', validUntil: inHours(2) })).body);
  });
  afterAll(async () => t?.close());

  it("answers a resident's home with the compound's zone, masked name and the default doors; staff get 403", async () => {
    const home = ResidentHome.parse((await api.get('/api/v1/resident/home', tok.a)).body);
    expect(home.community).toEqual({ name: '测试小区', timezone: 'Asia/Urumqi' });
    expect(home.household).toMatchObject({ id: 'hh-a', building: '1号楼', unit: 1, room: '101' });
    expect(home.resident.maskedName).toBe('王*');
    expect(home.defaultDoors.map((d) => d.id)).toEqual(passA.allowedDoors);
    expect((await api.get('/api/v1/resident/home', tok.guard)).status).toBe(403);
  });

  it("mints a visitor link only with the pass's code and only for the own household", async () => {
    expect((await api.post(`/api/v1/resident/passes/${passA.id}/link`, tok.a, { code: '0000000000' })).status).toBe(400);
    const foreign = await api.post(`/api/v1/resident/passes/${passA.id}/link`, tok.b, { code: passA.code });
    expect(foreign.status).toBe(404);
    const missing = await api.post('/api/v1/resident/passes/pass-doesnotexist0/link', tok.b, { code: passA.code });
    expect(foreign.body).toEqual(missing.body);
    const { token } = VisitLinkReply.parse((await api.post(`/api/v1/resident/passes/${passA.id}/link`, tok.a, { code: passA.code })).body);
    expect(token).not.toContain(passA.code);

    const view = VisitView.parse((await api.post('/api/v1/visit', undefined, { token })).body);
    expect(view).toMatchObject({ community: '测试小区', visitorName: '张三', host: '王*', place: '1号楼1单元', state: 'active', code: passA.code, qrPayload: passA.qr.payload, timezone: 'Asia/Urumqi' });
    // A flipped character is a 404, like a pass that does not exist.
    const bad = token.slice(0, 30) + (token[30] === 'A' ? 'B' : 'A') + token.slice(31);
    expect((await api.post('/api/v1/visit', undefined, { token: bad })).status).toBe(404);
    // Revoked: the page shows the state and nothing that opens a door.
    expect((await api.post(`/api/v1/passes/${passA.id}/revoke`, tok.a)).status).toBe(200);
    const after = VisitView.parse((await api.post('/api/v1/visit', undefined, { token })).body);
    expect(after).toMatchObject({ state: 'revoked', code: null, qrPayload: null });
  });

  it("lists only the household's alarms, with who answered as role and name", async () => {
    const at = new Date();
    const alarm = (id: string, householdId: string) => ({
      id, type: 'alarm_press', severity: 'critical', status: 'acknowledged', householdId, dedupKey: id, firstAt: at, lastAt: at,
      place: JSON.stringify({ label: '1号楼1单元101', kind: 'household', buildingId: null, unitId: null, householdId, x: null, y: null }),
      ackedBy: 'guard1', ackedAt: at, ackNote: 'escalated_no_ack',
    });
    await t.gw.db.prisma.alert.createMany({ data: [alarm('al-a', 'hh-a'), alarm('al-b', 'hh-b')] });
    const list = ResidentAlarmList.parse((await api.get('/api/v1/resident/alarms', tok.a)).body);
    expect(list.alarms.map((a) => a.id)).toEqual(['al-a']);
    expect(list.alarms[0]?.acknowledged).toEqual({ at: at.toISOString(), by: { role: 'guard', name: 'guard1' }, note: 'escalated_no_ack' });
    expect(JSON.stringify(list)).not.toContain('user-guard1');
  });

  it("slides a resident's sign-in while the app is in use (POST /auth/renew), never past the hard maximum", async () => {
    const before = Date.now();
    const r = await api.post('/api/v1/auth/renew', tok.a);
    expect(r.status).toBe(200);
    const body = RenewReply.parse(r.body);
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(before);
    expect(Date.parse(body.expiresAt)).toBeLessThanOrEqual(Date.parse(body.hardExpiresAt));
    expect((await api.post('/api/v1/auth/renew', undefined)).status).toBe(401);
  });

  it('changes a password with the current one and ends the other sign-ins', async () => {
    const second = await api.login(c.users.b);
    expect((await api.post('/api/v1/auth/password', tok.b, { currentPassword: 'wrong-password', newPassword: 'a-brand-new-pw-1' })).status).toBe(400);
    expect((await api.post('/api/v1/auth/password', tok.b, { currentPassword: c.users.b.password, newPassword: 'short' })).status).toBe(400);
    expect((await api.post('/api/v1/auth/password', tok.b, { currentPassword: c.users.b.password, newPassword: 'a-brand-new-pw-1' })).status).toBe(204);
    expect((await api.get('/api/v1/resident/home', tok.b)).status).toBe(200);
    expect((await api.get('/api/v1/resident/home', second)).status).toBe(401);
    await api.login({ username: c.users.b.username, password: 'a-brand-new-pw-1' });
  });
});
