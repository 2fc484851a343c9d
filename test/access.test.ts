import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { type AccessOutcome, FaceTerminal, VehicleGate, mqttLinks } from '../devices-sim/src/devices';
import type { AccessIncident, IngestedEvent } from '../gateway/src/bus';
import { PassCreated, PassView } from '../gateway/src/contracts/api/passes';
import { type AccessCompound, addAccessCompound } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';

const reply = (o: AccessOutcome) => (o.ok ? { decision: o.reply.decision, reason: o.reply.reason, displayName: o.reply.displayName } : { decision: 'none', reason: o.reason });
const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

describe('access control flows over real MQTT and HTTP', () => {
  let t: TestGateway;
  let c: AccessCompound;
  let api: ApiClient;
  let tokens: { a: string; b: string; guard: string; admin: string };
  const clock = new AcceleratedClock();
  let terminals: { main: FaceTerminal; b1: FaceTerminal; b2: FaceTerminal; vehicle: VehicleGate };
  const incidents: AccessIncident[] = [];
  const doorEvents: IngestedEvent[] = [];

  beforeAll(async () => {
    t = await startGateway({ ACCESS_HELD_OPEN_SEC: '1', ACCESS_PIN_LOCKOUT_LIMIT: '3' });
    c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    await t.gw.access.reload();
    t.gw.bus.on('access-incident', (i) => incidents.push(i));
    t.gw.bus.on('door-judged', (j) => void (j.incident && incidents.push({ ...j.incident, outboxId: j.outboxId })));
    t.gw.bus.on('device-event', (e) => {
      if (e.name === 'doorState') doorEvents.push(e);
    });
    const link = mqttLinks({ url: t.mqttUrl });
    terminals = {
      main: new FaceTerminal({ ...c.doors.main, link, clock }),
      b1: new FaceTerminal({ ...c.doors.b1, link, clock }),
      b2: new FaceTerminal({ ...c.doors.b2, link, clock }),
      vehicle: new VehicleGate({ ...c.doors.vehicle, link, clock }),
    };
    for (const d of Object.values(terminals)) expect(await d.start()).toEqual({ ok: true });
    api = apiClient(t.httpUrl);
    tokens = { a: await api.login(c.users.a), b: await api.login(c.users.b), guard: await api.login(c.users.guard), admin: await api.login(c.users.admin) };
  });
  afterAll(async () => {
    for (const d of Object.values(terminals ?? {})) await d.close();
    clock.stop();
    await t?.close();
  });

  const invite = async (body: Record<string, unknown>, token = tokens.a) => {
    const r = await api.post('/api/v1/passes', token, { visitorName: '张三', validUntil: inHours(2), ...body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return PassCreated.parse(r.body);
  };

  // First in the file: a grant covers the next opening for ACCESS_GRANT_WINDOW_SEC, and later tests grant at this door.
  it('raises a forced-entry incident for a door that opens without a grant, judged on the opening stored with its outbox entry', async () => {
    await terminals.b1.reportDoor('open', 'unknown');
    await expect.poll(() => incidents.find((i) => i.type === 'forced_entry' && i.deviceId === 'door-b01-u1')).toBeDefined();
    const judged = incidents.find((i) => i.type === 'forced_entry' && i.deviceId === 'door-b01-u1');
    expect(judged?.outboxId).toEqual(expect.any(Number));
    expect(await t.gw.db.prisma.deviceEvent.count({ where: { channel: 'door/state', deviceId: 'door-b01-u1' } })).toBeGreaterThan(0);
    // The outbox entry is done in the same transaction as the alert it caused.
    await expect.poll(async () => {
      await t.gw.alerts.idle();
      return t.gw.db.prisma.alert.count({ where: { type: 'forced_entry', deviceId: 'door-b01-u1' } });
    }).toBe(1);
    expect(await t.gw.db.prisma.alertOutbox.count({ where: { id: judged?.outboxId ?? -1 } })).toBe(0);
    await terminals.b1.reportDoor('closed', 'unknown');
  });

  it('lets a visitor in through the main gate and the right unit door within the window, counting each entry', async () => {
    const pass = await invite({ phone: '13812341234' });
    expect(pass).toMatchObject({ allowedDoors: ['gate-main', 'door-b01-u1'], maxEntries: 2, phoneMasked: '138****1234', state: 'active' });
    expect(pass.qr.image).toMatch(/^data:image\/png;base64,/);
    expect(reply(await terminals.main.requestAccess({ type: 'qr', value: pass.qr.payload }, 'in'))).toEqual({ decision: 'grant', reason: 'visitor_pass', displayName: '张*' });
    expect(reply(await terminals.b1.requestAccess({ type: 'pin', value: pass.code }, 'in'))).toMatchObject({ decision: 'grant', reason: 'visitor_pass' });
    await expect.poll(async () => PassView.parse((await api.get(`/api/v1/passes/${pass.id}`, tokens.a)).body).entriesUsed).toBe(2);
    // The reply and the in-memory count do not wait for the decision's row: its commit follows (storeDecision).
    const rows = async () => (await t.gw.db.prisma.accessEvent.findMany({ where: { passId: pass.id }, orderBy: { at: 'asc' } })).map((r) => [r.deviceId, r.decision, r.reason]);
    await expect
      .poll(rows)
      .toEqual([
        ['gate-main', 'grant', 'visitor_pass'],
        ['door-b01-u1', 'grant', 'visitor_pass'],
      ]);
  });

  it('refuses the pass at another building', async () => {
    const pass = await invite({});
    expect(reply(await terminals.b2.requestAccess({ type: 'qr', value: pass.qr.payload }, 'in'))).toMatchObject({ decision: 'deny', reason: 'not_allowed_here' });
  });

  it('refuses the pass once its entries are used up', async () => {
    const pass = await invite({ maxEntries: 1 });
    expect(reply(await terminals.main.requestAccess({ type: 'qr', value: pass.qr.payload }, 'in')).decision).toBe('grant');
    expect(reply(await terminals.b1.requestAccess({ type: 'qr', value: pass.qr.payload }, 'in'))).toMatchObject({ decision: 'deny', reason: 'entries_used' });
  });

  it('refuses the pass after revocation', async () => {
    const pass = await invite({});
    const revoked = await api.post(`/api/v1/passes/${pass.id}/revoke`, tokens.a);
    expect(revoked.status).toBe(200);
    expect(PassView.parse(revoked.body).state).toBe('revoked');
    expect(reply(await terminals.main.requestAccess({ type: 'qr', value: pass.qr.payload }, 'in'))).toMatchObject({ decision: 'deny', reason: 'revoked' });
  });

  it('refuses the pass before its window and after expiry', async () => {
    const later = await invite({ validFrom: inHours(1), validUntil: inHours(3) });
    expect(PassView.parse(later).state).toBe('upcoming');
    expect(reply(await terminals.main.requestAccess({ type: 'qr', value: later.qr.payload }, 'in'))).toMatchObject({ decision: 'deny', reason: 'outside_window' });
    const pass = await invite({});
    // The pass ages past its end: moved in the database, as if the hours had gone by.
    await t.gw.db.prisma.visitorPass.update({ where: { id: pass.id }, data: { validFrom: new Date(Date.now() - 7_200_000), validUntil: new Date(Date.now() - 1_000) } });
    await t.gw.access.reload();
    expect(reply(await terminals.main.requestAccess({ type: 'qr', value: pass.qr.payload }, 'in'))).toMatchObject({ decision: 'deny', reason: 'outside_window' });
    expect(PassView.parse((await api.get(`/api/v1/passes/${pass.id}`, tokens.a)).body).state).toBe('expired');
  });

  it('refuses a forged QR code and an unknown card', async () => {
    const pass = await invite({});
    const forged = pass.qr.payload.replace(/:(\d{10}):/, ':0000000000:');
    expect(reply(await terminals.main.requestAccess({ type: 'qr', value: forged }, 'in')).reason).toBe('unknown_credential');
    expect(reply(await terminals.main.requestAccess({ type: 'card', value: '9999999999' }, 'in')).reason).toBe('unknown_credential');
  });

  it('lets a resident without face consent in with a card, at the main gate and their own building only', async () => {
    expect(reply(await terminals.main.requestAccess({ type: 'card', value: c.values.cardA }, 'in'))).toEqual({ decision: 'grant', reason: 'resident', displayName: '王*' });
    expect(reply(await terminals.b1.requestAccess({ type: 'card', value: c.values.cardA }, 'in')).decision).toBe('grant');
    expect(reply(await terminals.b2.requestAccess({ type: 'card', value: c.values.cardA }, 'in')).reason).toBe('not_allowed_here');
  });

  it('stops face entry when consent is withdrawn, and the card keeps working', async () => {
    expect(reply(await terminals.b2.requestAccess({ type: 'face', value: c.values.faceB }, 'in')).reason).toBe('resident');
    const r = await api.call('PUT', `/api/v1/residents/${c.residents.b}/face-consent`, tokens.b, { consent: false });
    expect(r.status).toBe(200);
    expect(await t.gw.db.prisma.credential.count({ where: { residentId: c.residents.b, type: 'face' } })).toBe(0);
    expect(reply(await terminals.b2.requestAccess({ type: 'face', value: c.values.faceB }, 'in')).decision).toBe('deny');
    expect(reply(await terminals.b2.requestAccess({ type: 'card', value: c.values.cardB }, 'in')).reason).toBe('resident');
    await expect.poll(() => terminals.b2.sync.entries.some((e) => e.type === 'face')).toBe(false);
  });

  it('does not raise forced entry for an opening after a grant, and raises held-open when it stays open', async () => {
    const before = incidents.length;
    const o = await terminals.main.requestAccess({ type: 'card', value: c.values.cardB }, 'in');
    expect(reply(o).decision).toBe('grant');
    await terminals.main.reportDoor('open', 'grant');
    await expect.poll(() => incidents.slice(before).map((i) => i.type), { timeout: 5_000 }).toEqual(['held_open']);
    await terminals.main.reportDoor('closed', 'grant');
  });

  it("opens a door for a guard, audits the reason, and does not count the opening as forced", async () => {
    const before = incidents.length;
    const r = await api.post('/api/v1/doors/door-b02-u1/open', tokens.guard, { reason: '快递员送大件' });
    expect(r.status).toBe(202);
    await expect.poll(() => doorEvents.some((e) => e.deviceId === 'door-b02-u1' && e.name === 'doorState' && e.payload.cause === 'remote')).toBe(true);
    expect(incidents.slice(before).filter((i) => i.type === 'forced_entry')).toEqual([]);
    const audit = await t.gw.db.prisma.auditLog.findFirst({ where: { action: 'door.remote_open', entityId: 'door-b02-u1' } });
    expect(JSON.parse(audit?.detail ?? '{}')).toMatchObject({ reason: '快递员送大件' });
    expect((await api.post('/api/v1/doors/door-b02-u1/open', tokens.guard, {})).status).toBe(400);
  });

  it('raises the gate for a resident plate and a visitor pass plate', async () => {
    expect(reply(await terminals.vehicle.readPlate(c.values.plateB, 'in'))).toMatchObject({ decision: 'grant', reason: 'resident' });
    const pass = await invite({ plate: '京B88888' });
    expect(pass.allowedDoors).toContain('gate-vehicle');
    expect(reply(await terminals.vehicle.readPlate('京B88888', 'in'))).toMatchObject({ decision: 'grant', reason: 'visitor_pass' });
    expect(reply(await terminals.vehicle.readPlate('京B88888', 'in', 0.4)).reason).toBe('low_confidence');
  });

  it('denies and alerts a blacklisted card', async () => {
    const r = await api.post('/api/v1/blacklist', tokens.guard, { type: 'card', value: '5550001111', reason: '冒用他人门禁卡' });
    expect(r.status).toBe(201);
    expect(reply(await terminals.main.requestAccess({ type: 'card', value: '5550001111' }, 'in')).reason).toBe('blacklisted');
    await expect.poll(() => incidents.some((i) => i.type === 'blacklisted_credential')).toBe(true);
    expect(await t.gw.db.prisma.auditLog.count({ where: { action: 'blacklist.add' } })).toBe(1);
  });

  it('sends each door only hashes of the credentials it accepts', async () => {
    const pass = await invite({});
    await expect.poll(() => terminals.b1.sync.entries.some((e) => e.passId === pass.id)).toBe(true);
    const text = JSON.stringify(terminals.b1.sync.entries);
    expect(text).not.toContain(pass.code);
    expect(text).not.toContain(c.values.cardA);
    expect(terminals.b1.sync.entries.some((e) => e.residentId === c.residents.b)).toBe(false);
    expect(terminals.b2.sync.entries.some((e) => e.passId === pass.id)).toBe(false);
  });

  it('enrols, suspends, resumes and removes a card, and every change reaches the doors at once (audited)', async () => {
    const card = '7000000001';
    const enrolled = await api.post(`/api/v1/residents/${c.residents.a}/credentials`, tokens.admin, { type: 'card', value: card });
    expect(enrolled.status).toBe(201);
    const id = (enrolled.body as { id: string }).id;
    const at = async () => reply(await terminals.main.requestAccess({ type: 'card', value: card }, 'in')).reason;
    expect(await at()).toBe('resident');
    expect((await api.call('PATCH', `/api/v1/credentials/${id}`, tokens.admin, { status: 'suspended' })).status).toBe(200);
    expect(await at()).toBe('suspended');
    expect((await api.call('PATCH', `/api/v1/credentials/${id}`, tokens.admin, { status: 'active' })).status).toBe(200);
    expect(await at()).toBe('resident');
    expect((await api.call('DELETE', `/api/v1/credentials/${id}`, tokens.admin)).status).toBe(204);
    expect(await at()).toBe('unknown_credential');
    const actions = (await t.gw.db.prisma.auditLog.findMany({ where: { entityId: id }, orderBy: { id: 'asc' } })).map((a) => a.action);
    expect(actions).toEqual(['credential.enrol', 'credential.suspend', 'credential.resume', 'credential.remove']);
  });

  it("lists today's expected visitors for the guard room, with the household and a masked phone", async () => {
    const pass = await invite({ visitorName: '孙八', phone: '13900001111' });
    const r = await api.get('/api/v1/visitors/expected', tokens.guard);
    expect(r.status).toBe(200);
    const visitors = (r.body as { visitors: Array<{ id: string; householdLabel: string; phoneMasked: string | null }> }).visitors;
    expect(visitors.find((v) => v.id === pass.id)).toMatchObject({ householdLabel: '1-1-101', phoneMasked: '139****1111' });
    expect((await api.get('/api/v1/visitors/expected', tokens.a)).status).toBe(403);
  });

  it('locks a door keypad after repeated wrong codes while cards keep working, and alerts repeated denials', async () => {
    for (let i = 0; i < 3; i++) expect(reply(await terminals.b2.requestAccess({ type: 'pin', value: `00000${i}` }, 'in')).reason).toBe('unknown_credential');
    expect(reply(await terminals.b2.requestAccess({ type: 'pin', value: c.values.pinB }, 'in')).reason).toBe('locked_out');
    expect(reply(await terminals.b2.requestAccess({ type: 'pin', value: c.values.pinB }, 'in')).reason).toBe('locked_out');
    expect(reply(await terminals.b2.requestAccess({ type: 'card', value: c.values.cardB }, 'in')).reason).toBe('resident');
    expect(incidents.some((i) => i.type === 'repeated_denials' && i.deviceId === 'door-b02-u1')).toBe(true);
  });
});
