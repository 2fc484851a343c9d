import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { type AccessOutcome, FaceTerminal, mqttLinks } from '../devices-sim/src/devices';
import { lookupHash } from '../gateway/src/auth/hash';
import { qrSigningKey } from '../gateway/src/auth/pass-code';
import { tokenFromResidentQr } from '../gateway/src/auth/resident-qr';
import { CredentialList } from '../gateway/src/contracts/api/credentials';
import { PersonalQrIssued } from '../gateway/src/contracts/api/personal-qr';
import { type AccessCompound, addAccessCompound } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';

const reply = (o: AccessOutcome) => (o.ok ? { decision: o.reply.decision, reason: o.reply.reason, displayName: o.reply.displayName } : { decision: 'none', reason: o.reason });

/**
 * A resident's personal QR credential (issue 16, item 5) over real HTTP and real MQTT: issued by the resident, stored
 * as a keyed hash, admitted at the doors of the household's route like the resident's card, replaced (the old code
 * refused), removed, and untouched by withdrawing face consent. Other households get 404, other roles 403.
 */
describe('personal QR credential', () => {
  let t: TestGateway;
  let c: AccessCompound;
  let api: ApiClient;
  let tok: { a: string; b: string; guard: string; admin: string };
  const clock = new AcceleratedClock();
  let doors: { main: FaceTerminal; b1: FaceTerminal; b2: FaceTerminal };

  beforeAll(async () => {
    // Refused codes count towards the keypad lockout; this file refuses a few on purpose.
    t = await startGateway({ ACCESS_API_RATE_PER_MINUTE: '1000', ACCESS_PIN_LOCKOUT_LIMIT: '50' });
    c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    await t.gw.access.reload();
    const link = mqttLinks({ url: t.mqttUrl });
    doors = { main: new FaceTerminal({ ...c.doors.main, link, clock }), b1: new FaceTerminal({ ...c.doors.b1, link, clock }), b2: new FaceTerminal({ ...c.doors.b2, link, clock }) };
    for (const d of Object.values(doors)) expect(await d.start()).toEqual({ ok: true });
    api = apiClient(t.httpUrl);
    tok = { a: await api.login(c.users.a), b: await api.login(c.users.b), guard: await api.login(c.users.guard), admin: await api.login(c.users.admin) };
  });
  afterAll(async () => {
    for (const d of Object.values(doors ?? {})) await d.close();
    clock.stop();
    await t?.close();
  });

  const issue = async (residentId: string, token: string) => {
    const r = await api.post(`/api/v1/residents/${residentId}/personal-qr`, token);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return PersonalQrIssued.parse(r.body);
  };
  const scan = async (door: FaceTerminal, value: string) => reply(await door.requestAccess({ type: 'qr', value }, 'in'));

  it('issues a QR the doors of the household route admit as the resident, stored only as a keyed hash', async () => {
    const qr = await issue(c.residents.a, tok.a);
    expect(qr.qr.payload).toMatch(/^LINLIR1:/);
    expect(qr.qr.image).toMatch(/^data:image\/png;base64,/);
    expect(qr.credential).toMatchObject({ residentId: c.residents.a, type: 'qr', hint: null, status: 'active' });

    expect(await scan(doors.main, qr.qr.payload)).toEqual({ decision: 'grant', reason: 'resident', displayName: '王*' });
    expect(await scan(doors.b1, qr.qr.payload)).toMatchObject({ decision: 'grant', reason: 'resident' });
    expect(await scan(doors.b2, qr.qr.payload)).toMatchObject({ decision: 'deny', reason: 'not_allowed_here' });

    // The row holds HMAC(key, "qr" + token) and nothing of the payload; the audit row neither.
    const token = tokenFromResidentQr(qrSigningKey(t.gw.credentialKey), qr.qr.payload);
    const row = await t.gw.db.prisma.credential.findUnique({ where: { id: qr.credential.id } });
    expect(row?.lookupHash).toBe(lookupHash(t.gw.credentialKey, 'qr', token ?? ''));
    expect(JSON.stringify(row)).not.toContain(token);
    const audit = await t.gw.db.prisma.auditLog.findFirst({ where: { action: 'credential.qr_issue', entityId: qr.credential.id } });
    expect(audit?.actor).toBe('resident:r-a');
    expect(audit?.detail).not.toContain(token);

    const list = CredentialList.parse((await api.get(`/api/v1/residents/${c.residents.a}/credentials`, tok.a)).body);
    expect(list.credentials.filter((x) => x.type === 'qr').map((x) => x.id)).toEqual([qr.credential.id]);
  });

  it('refuses the old code once a new one is issued, and a forged signature', async () => {
    const old = await issue(c.residents.a, tok.a);
    const fresh = await issue(c.residents.a, tok.a);
    expect(await scan(doors.main, old.qr.payload)).toMatchObject({ decision: 'deny', reason: 'unknown_credential' });
    expect(await scan(doors.main, fresh.qr.payload)).toMatchObject({ decision: 'grant', reason: 'resident' });
    expect(await t.gw.db.prisma.credential.count({ where: { residentId: c.residents.a, type: 'qr' } })).toBe(1);
    const replaced = await t.gw.db.prisma.auditLog.findFirst({ where: { action: 'credential.qr_issue', entityId: fresh.credential.id } });
    expect(JSON.parse(replaced?.detail ?? '{}').replaced).toEqual([old.credential.id]);
    const last = fresh.qr.payload.at(-1) === 'A' ? 'B' : 'A';
    expect(await scan(doors.main, fresh.qr.payload.slice(0, -1) + last)).toMatchObject({ decision: 'deny', reason: 'unknown_credential' });
  });

  it('answers another household with the same 404 as a missing resident; only the resident issues', async () => {
    const foreign = await api.post(`/api/v1/residents/${c.residents.a}/personal-qr`, tok.b);
    const missing = await api.post('/api/v1/residents/res-doesnotexist0/personal-qr', tok.b);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(missing.body);
    const foreignDelete = await api.call('DELETE', `/api/v1/residents/${c.residents.a}/personal-qr`, tok.b);
    expect(foreignDelete.status).toBe(404);
    expect((await api.post(`/api/v1/residents/${c.residents.a}/personal-qr`, tok.guard)).status).toBe(403);
    expect((await api.post(`/api/v1/residents/${c.residents.a}/personal-qr`, tok.admin)).status).toBe(403);
    expect((await api.post(`/api/v1/residents/${'x'.repeat(65)}/personal-qr`, tok.a)).status).toBe(400);
  });

  it('keeps working after face consent is withdrawn', async () => {
    const qr = await issue(c.residents.b, tok.b);
    expect((await api.call('PUT', `/api/v1/residents/${c.residents.b}/face-consent`, tok.b, { consent: false })).status).toBe(200);
    expect(reply(await doors.b2.requestAccess({ type: 'face', value: c.values.faceB }, 'in')).decision).toBe('deny');
    expect(await scan(doors.b2, qr.qr.payload)).toEqual({ decision: 'grant', reason: 'resident', displayName: '李*' });
  });

  it('is removed by the resident or the office, and suspended by the office, at once', async () => {
    const b = await issue(c.residents.b, tok.b);
    expect((await api.call('DELETE', `/api/v1/residents/${c.residents.b}/personal-qr`, tok.b)).status).toBe(204);
    expect(await scan(doors.main, b.qr.payload)).toMatchObject({ decision: 'deny', reason: 'unknown_credential' });
    expect(await t.gw.db.prisma.auditLog.count({ where: { action: 'credential.qr_remove', entityId: c.residents.b } })).toBe(1);

    const a = await issue(c.residents.a, tok.a);
    expect((await api.call('PATCH', `/api/v1/credentials/${a.credential.id}`, tok.admin, { status: 'suspended' })).status).toBe(200);
    expect(await scan(doors.main, a.qr.payload)).toMatchObject({ decision: 'deny', reason: 'suspended' });
    expect((await api.call('DELETE', `/api/v1/residents/${c.residents.a}/personal-qr`, tok.admin)).status).toBe(204);
    expect(await t.gw.db.prisma.credential.count({ where: { residentId: c.residents.a, type: 'qr' } })).toBe(0);
  });
});
