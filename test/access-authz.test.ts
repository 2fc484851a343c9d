import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassCreated, PassList } from '../gateway/src/contracts/api/passes';
import { type AccessCompound, addAccessCompound, addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

describe('access API authorisation', () => {
  let t: TestGateway;
  let c: AccessCompound;
  let api: ApiClient;
  let tok: { a: string; b: string; guard: string; admin: string };
  let passB: PassCreated;

  beforeAll(async () => {
    t = await startGateway({ PASS_CREATE_PER_HOUR: '6', ACCESS_API_RATE_PER_MINUTE: '1000' });
    c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    await t.gw.access.reload();
    api = apiClient(t.httpUrl);
    tok = { a: await api.login(c.users.a), b: await api.login(c.users.b), guard: await api.login(c.users.guard), admin: await api.login(c.users.admin) };
    const r = await api.post('/api/v1/passes', tok.b, { visitorName: '赵六', validUntil: inHours(2) });
    passB = PassCreated.parse(r.body);
  });
  afterAll(async () => t?.close());

  describe("resident A and household B's objects", () => {
    const routes = (): Array<[string, string, unknown?]> => [
      ['GET', `/api/v1/passes/${passB.id}`],
      ['POST', `/api/v1/passes/${passB.id}/revoke`, {}],
      ['GET', `/api/v1/residents/${c.residents.b}`],
      ['GET', `/api/v1/residents/${c.residents.b}/credentials`],
      ['PUT', `/api/v1/residents/${c.residents.b}/face-consent`, { consent: false }],
      ['GET', '/api/v1/residents?householdId=hh-b'],
    ];

    it('answers every route with the same 404 as an id that does not exist', async () => {
      for (const [method, path, body] of routes()) {
        const r = await api.call(method, path, tok.a, body);
        expect(r.status, `${method} ${path}`).toBe(404);
        expect(r.body).toMatchObject({ error: 'NOT_FOUND' });
        const missing = await api.call(method, path.replace(passB.id, 'pass-doesnotexist0').replace(c.residents.b, 'res-nobody'), tok.a, body);
        if (missing.status === 404) expect((missing.body as { message: string }).message).toBe((r.body as { message: string }).message);
      }
      // Nothing changed on B's side.
      expect((await api.get(`/api/v1/passes/${passB.id}`, tok.b)).body).toMatchObject({ status: 'active' });
      expect((await api.get(`/api/v1/residents/${c.residents.b}`, tok.b)).body).toMatchObject({ faceConsent: true });
    });

    it("never lists B's passes, residents or door events to A", async () => {
      expect(PassList.parse((await api.get('/api/v1/passes?scope=all', tok.a)).body).passes.some((p) => p.id === passB.id)).toBe(false);
      const residents = (await api.get('/api/v1/residents', tok.a)).body as { residents: { householdId: string }[] };
      expect(residents.residents.every((r) => r.householdId === 'hh-a')).toBe(true);
      const events = (await api.get(`/api/v1/access-events?passId=${passB.id}`, tok.a)).body as { events: unknown[] };
      expect(events.events).toEqual([]);
    });

    it("refuses to open B's building for A's visitor", async () => {
      const r = await api.post('/api/v1/passes', tok.a, { visitorName: '张三', validUntil: inHours(1), allowedDoors: ['gate-main', 'door-b02-u1'] });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: 'VALIDATION', details: { issues: [{ path: '/allowedDoors/1' }] } });
    });

    it("lets A change only A's own face consent, not a housemate's", async () => {
      expect((await api.call('PUT', `/api/v1/residents/${c.residents.a}/face-consent`, tok.a, { consent: true })).status).toBe(200);
      await t.gw.db.prisma.resident.create({ data: { id: 'res-a-2', householdId: 'hh-a', name: '王小红' } });
      expect((await api.call('PUT', '/api/v1/residents/res-a-2/face-consent', tok.a, { consent: true })).status).toBe(403);
    });

    it("lets staff read B's pass and guards revoke it, with an audit row", async () => {
      expect((await api.get(`/api/v1/passes/${passB.id}`, tok.admin)).status).toBe(200);
      expect((await api.post(`/api/v1/passes/${passB.id}/revoke`, tok.guard)).status).toBe(200);
      expect(await t.gw.db.prisma.auditLog.count({ where: { action: 'pass.revoke', entityId: passB.id, actor: 'guard:guard1' } })).toBe(1);
    });
  });

  describe('roles', () => {
    const staff: Array<[string, string, unknown?]> = [
      ['GET', '/api/v1/visitors/expected'],
      ['GET', '/api/v1/doors'],
      ['POST', '/api/v1/doors/gate-main/open', { reason: '测试开门原因' }],
      ['GET', '/api/v1/blacklist'],
      ['POST', '/api/v1/blacklist', { type: 'card', value: '1234567890', reason: '测试' }],
    ];
    const admin: Array<[string, string, unknown?]> = [
      ['POST', '/api/v1/residents/res-r-a/credentials', { type: 'pin' }],
      ['PATCH', '/api/v1/credentials/cred-a-card', { status: 'suspended' }],
      ['DELETE', '/api/v1/credentials/cred-a-card'],
      ['DELETE', '/api/v1/blacklist/bl-anything'],
    ];

    it('refuses guard and admin routes to residents with 403, and everything to anonymous callers with 401', async () => {
      for (const [method, path, body] of [...staff, ...admin]) {
        expect((await api.call(method, path, tok.a, body)).status, `${method} ${path}`).toBe(403);
        expect((await api.call(method, path, undefined, body)).status, `${method} ${path}`).toBe(401);
      }
      expect((await api.call('POST', '/api/v1/passes', undefined, { visitorName: 'x', validUntil: inHours(1) })).status).toBe(401);
    });

    it('refuses admin routes to guards, and pass creation to staff', async () => {
      for (const [method, path, body] of admin) expect((await api.call(method, path, tok.guard, body)).status, `${method} ${path}`).toBe(403);
      expect((await api.post('/api/v1/passes', tok.guard, { visitorName: '张三', validUntil: inHours(1) })).status).toBe(403);
    });

    it('lets an admin enrol a generated PIN (shown once) and refuses a face without consent', async () => {
      const pin = await api.post(`/api/v1/residents/${c.residents.b}/credentials`, tok.admin, { type: 'pin' });
      expect(pin.status).toBe(201);
      expect(pin.body).toMatchObject({ type: 'pin', hint: null, pin: expect.stringMatching(/^\d{6}$/) });
      const face = await api.post('/api/v1/residents/res-a-2/credentials', tok.admin, { type: 'face', faceTemplateRef: 'ft-new-000001' });
      expect(face.status).toBe(409);
      const listed = (await api.get(`/api/v1/residents/${c.residents.b}/credentials`, tok.b)).body as { credentials: object[] };
      expect(JSON.stringify(listed)).not.toContain((pin.body as { pin: string }).pin);
    });
  });

  describe('pass validation', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['an empty visitor name', { visitorName: '' }, 'visitorName'],
      ['a name with control characters', { visitorName: '张\u0007三' }, 'visitorName'],
      ['a long name', { visitorName: '张'.repeat(33) }, 'visitorName'],
      ['a bad phone', { phone: '12345' }, 'phone'],
      ['a bad plate', { plate: 'ABC' }, 'plate'],
      ['a missing end', { validUntil: undefined }, 'validUntil'],
      ['an end before the start', { validFrom: inHours(2), validUntil: inHours(1) }, 'validUntil'],
      ['a window beyond the maximum', { validUntil: inHours(24 * 10) }, 'validUntil'],
      ['a start in the past', { validFrom: inHours(-3) }, 'validFrom'],
      ['a start too far ahead', { validFrom: inHours(24 * 60), validUntil: inHours(24 * 60 + 1) }, 'validFrom'],
      ['an unknown door', { allowedDoors: ['door-b99-u9'] }, 'allowedDoors'],
      ['the vehicle gate without a plate', { allowedDoors: ['gate-vehicle'] }, 'allowedDoors'],
      ['zero entries', { maxEntries: 0 }, 'maxEntries'],
      ['too many entries', { maxEntries: 21 }, 'maxEntries'],
      ['a household', { householdId: 'hh-b' }, 'householdId'],
      ['a status', { status: 'active' }, 'status'],
      ['entries used', { entriesUsed: -5 }, 'entriesUsed'],
      ['a chosen code', { code: '0000000000' }, 'code'],
    ];
    for (const [what, body, field] of cases) {
      it(`answers ${what} with 400 naming ${field}`, async () => {
        const r = await api.post('/api/v1/passes', tok.a, { visitorName: '张三', validUntil: inHours(2), ...body });
        expect(r.status).toBe(400);
        expect(JSON.stringify(r.body)).toContain(field);
      });
    }
  });

  it('rate-limits pass creation per user with 429, counting created passes only', async () => {
    await addUser(t.gw.db.prisma, { username: 'r-a2', password: 'resident-a2-pw', role: 'resident', householdId: 'hh-a' });
    const token = await api.login({ username: 'r-a2', password: 'resident-a2-pw' });
    // Ten invalid requests (a window in the past) are refused with 400 and use up nothing of the hourly quota.
    for (let i = 0; i < 10; i++) expect((await api.post('/api/v1/passes', token, { visitorName: '错', validUntil: inHours(-1) })).status).toBe(400);
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await api.post('/api/v1/passes', token, { visitorName: `访客${i}`, validUntil: inHours(1) })).status);
    expect(codes).toEqual([201, 201, 201, 201, 201, 201, 429]);
    // Another resident is not affected by this one's limit.
    expect((await api.post('/api/v1/passes', tok.b, { visitorName: '钱七', validUntil: inHours(1) })).status).toBe(201);
  });
});

describe('access API rate limit', () => {
  it('answers 429 once a user exceeds the per-minute limit', async () => {
    const t = await startGateway({ ACCESS_API_RATE_PER_MINUTE: '5' });
    try {
      const c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
      await t.gw.access.reload();
      const api = apiClient(t.httpUrl);
      const token = await api.login(c.users.guard);
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) codes.push((await api.get('/api/v1/doors', token)).status);
      expect(codes.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(codes.slice(5)).toEqual([429, 429]);
      expect((await api.get('/api/v1/doors', token)).body).toMatchObject({ error: 'RATE_LIMITED' });
    } finally {
      await t.close();
    }
  });
});
