import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HouseholdContacts, RevealReply } from '../gateway/src/contracts/api/contacts';
import { login } from './helpers/alert-fixtures';
import { addUser, ensureHousehold } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';

/** Reaching the household over HTTP: who may see what, the audit of every reveal, and the call outcome's checks. */
describe('household contacts', () => {
  let t: TestGateway;
  let guard: string;
  let resident: string;
  const PHONE = '13912345678';
  const req = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${t.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

  beforeAll(async () => {
    t = await startGateway();
    const prisma = t.gw.db.prisma;
    await addUser(prisma, { username: 'guard1', password: 'night-shift-pw', role: 'guard' });
    await addUser(prisma, { username: 'r-501', password: 'resident-pw-1', role: 'resident', householdId: 'hh-501' });
    await prisma.resident.create({ data: { id: 'res-wang', householdId: 'hh-501', name: '王建国', phone: PHONE } });
    await ensureHousehold(prisma, 'hh-502');
    await prisma.resident.create({ data: { id: 'res-li', householdId: 'hh-502', name: '李四', phone: '13700000000' } });
    guard = await login(t.httpUrl, 'guard1', 'night-shift-pw');
    resident = await login(t.httpUrl, 'r-501', 'resident-pw-1');
  });
  afterAll(() => t.close());

  it('lists a household\'s contacts masked, to guards only', async () => {
    const r = await req('GET', '/api/v1/households/hh-501/contacts', guard);
    expect(r.status).toBe(200);
    const body = HouseholdContacts.parse(await r.json());
    expect(body.contacts).toContainEqual({ id: 'res-wang', name: '王*', hasPhone: true, phoneMasked: '139****5678' });
    expect(JSON.stringify(body)).not.toContain(PHONE);
    expect((await req('GET', '/api/v1/households/hh-501/contacts', resident)).status).toBe(403);
    expect((await req('GET', '/api/v1/households/hh-nope/contacts', guard)).status).toBe(404);
  });

  it('shows one number on demand and audits each reveal; never another household\'s contact', async () => {
    const r = await req('POST', '/api/v1/households/hh-501/contacts/res-wang/phone', guard, { alertId: 'a-1' });
    expect(RevealReply.parse(await r.json())).toEqual({ contactId: 'res-wang', phone: PHONE });
    await req('POST', '/api/v1/households/hh-501/contacts/res-wang/phone', guard, {});
    const rows = await t.gw.db.prisma.auditLog.findMany({ where: { action: 'contact_phone_revealed', entityId: 'res-wang' }, orderBy: { id: 'asc' } });
    expect(rows.map((x) => [x.actor, JSON.parse(x.detail)])).toEqual([
      ['guard1', { householdId: 'hh-501', alertId: 'a-1' }],
      ['guard1', { householdId: 'hh-501', alertId: null }],
    ]);
    expect((await req('POST', '/api/v1/households/hh-501/contacts/res-li/phone', guard, {})).status).toBe(404);
    expect((await req('POST', '/api/v1/households/hh-501/contacts/res-wang/phone', resident, {})).status).toBe(403);
  });

  it('lists the households behind a device to guards only; an unknown device is 404', async () => {
    expect((await req('GET', '/api/v1/devices/no-such-device/contacts', guard)).status).toBe(404);
    expect((await req('GET', '/api/v1/devices/no-such-device/contacts', resident)).status).toBe(403);
  });

  it('records a call only for an existing alert and a contact of its household', async () => {
    expect((await req('POST', '/api/v1/alerts/no-such-alert/call', guard, { contactId: 'res-wang', outcome: 'no_answer' })).status).toBe(404);
    expect((await req('POST', '/api/v1/alerts/no-such-alert/call', guard, { contactId: 'res-wang', outcome: 'maybe' })).status).toBe(400);
  });
});
