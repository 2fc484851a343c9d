import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassCreated } from '../gateway/src/contracts/api/passes';
import { ResidentTicketReply } from '../gateway/src/contracts/api/resident';
import { ResidentWalkIn, ResidentWalkInList, WalkInRequestView } from '../gateway/src/contracts/api/walk-ins';
import { type AccessCompound, addAccessCompound } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';
import { SseClient } from './helpers/sse';

const visitor = { visitorName: '赵六', phone: '13812345678', idLast4: '123X', household: '1-1-101', reason: '送药' };

async function householdStream(t: TestGateway, api: ApiClient, token: string): Promise<SseClient> {
  const ticket = ResidentTicketReply.parse((await api.post('/api/v1/resident/live/ticket', token)).body).ticket;
  const s = await SseClient.open(`${t.httpUrl}/api/v1/resident/live?ticket=${ticket}`);
  await s.next((f) => f.event === 'hello', { timeoutMs: 30_000 });
  return s;
}

/**
 * Walk-in approval in the resident app (issue 16, item 3), the API alone: the guard asks, the host household hears of
 * it on its own stream only, answers once, the guard's long poll returns the answer, an approval yields the one-entry
 * pass; another household gets 404 exactly like a missing request; bad bodies are 400.
 */
describe('walk-in approval API', () => {
  let t: TestGateway;
  let c: AccessCompound;
  let api: ApiClient;
  let tok: { a: string; b: string; guard: string; admin: string };
  let streamA: SseClient;
  let streamB: SseClient;

  beforeAll(async () => {
    t = await startGateway({ ACCESS_API_RATE_PER_MINUTE: '1000' });
    c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    await t.gw.access.reload();
    api = apiClient(t.httpUrl);
    tok = { a: await api.login(c.users.a), b: await api.login(c.users.b), guard: await api.login(c.users.guard), admin: await api.login(c.users.admin) };
    streamA = await householdStream(t, api, tok.a);
    streamB = await householdStream(t, api, tok.b);
  });
  afterAll(async () => {
    await streamA?.close();
    await streamB?.close();
    await t?.close();
  });

  const ask = async (body: Record<string, unknown> = visitor) => {
    const r = await api.post('/api/v1/visitors/walk-in/requests', tok.guard, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return WalkInRequestView.parse(r.body);
  };

  it('sends the request to the host household only, with the phone masked and no ID digits', async () => {
    const req = await ask();
    expect(req).toMatchObject({ householdId: 'hh-a', householdLabel: '1-1-101', visitorName: '赵六', phoneMasked: '138****5678', idLast4: '123X', state: 'pending', answeredBy: null, passId: null });
    expect(Date.parse(req.answerBy) - Date.parse(req.createdAt)).toBe(180_000);

    const frame = await streamA.next((f) => f.event === 'walk_in' && ResidentWalkIn.parse(f.data).id === req.id, { timeoutMs: 30_000 });
    const seen = ResidentWalkIn.parse(frame.data);
    expect(seen).toMatchObject({ visitorName: '赵六', phoneMasked: '138****5678', reason: '送药', state: 'pending' });
    expect(JSON.stringify(frame.data)).not.toContain('123X');
    expect(JSON.stringify(frame.data)).not.toContain('13812345678');

    // B's stream hears of B's own request, and never of A's before it.
    const forB = await ask({ ...visitor, household: 'hh-b' });
    await streamB.next((f) => f.event === 'walk_in' && ResidentWalkIn.parse(f.data).id === forB.id, { timeoutMs: 30_000 });
    expect(streamB.of<ResidentWalkIn>('walk_in').map((w) => w.id)).toEqual([forB.id]);

    const listA = ResidentWalkInList.parse((await api.get('/api/v1/resident/walk-ins', tok.a)).body);
    expect(listA.requests.map((w) => w.id)).toContain(req.id);
    expect(listA.requests.map((w) => w.id)).not.toContain(forB.id);

    const audit = await t.gw.db.prisma.auditLog.findFirst({ where: { action: 'walk_in.ask', entityId: req.id } });
    expect(audit?.actor).toBe('guard:guard1');
    expect(JSON.parse(audit?.detail ?? '{}')).toMatchObject({ householdId: 'hh-a', reason: '送药', idLast4: '123X' });
  });

  it('answers another household and a missing id with the same 404, and keeps roles apart', async () => {
    const req = await ask();
    const foreign = await api.post(`/api/v1/resident/walk-ins/${req.id}/answer`, tok.b, { answer: 'approve' });
    const missing = await api.post('/api/v1/resident/walk-ins/wi-doesnotexist00/answer', tok.b, { answer: 'approve' });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(missing.body);
    // Still pending: the foreign answer changed nothing.
    expect(WalkInRequestView.parse((await api.get(`/api/v1/visitors/walk-in/requests/${req.id}`, tok.guard)).body).state).toBe('pending');
    // Guards do not answer for residents; residents do not read the guard's view or collect passes.
    expect((await api.post(`/api/v1/resident/walk-ins/${req.id}/answer`, tok.guard, { answer: 'approve' })).status).toBe(403);
    expect((await api.get(`/api/v1/visitors/walk-in/requests/${req.id}`, tok.a)).status).toBe(403);
    expect((await api.post(`/api/v1/visitors/walk-in/requests/${req.id}/pass`, tok.a)).status).toBe(403);
    expect((await api.post('/api/v1/visitors/walk-in/requests', tok.a, visitor)).status).toBe(403);
  });

  it('refuses bad bodies with 400 naming the field', async () => {
    const bad = async (body: Record<string, unknown>, field: string) => {
      const r = await api.post('/api/v1/visitors/walk-in/requests', tok.guard, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(r.body)).toContain(field);
    };
    await bad({ ...visitor, household: '9-9-999' }, 'household');
    await bad({ ...visitor, idLast4: '12' }, 'idLast4');
    await bad({ ...visitor, phone: '12345' }, 'phone');
    await bad({ ...visitor, reason: '' }, 'reason');
    await bad({ ...visitor, visitorName: '<b>x</b>' }, 'visitorName');
    await bad({ ...visitor, status: 'approved' }, 'status');
    const req = await ask();
    for (const body of [{ answer: 'maybe' }, {}, { answer: 'approve', passId: 'x' }]) {
      expect((await api.post(`/api/v1/resident/walk-ins/${req.id}/answer`, tok.a, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await api.get(`/api/v1/visitors/walk-in/requests/${req.id}?waitSec=99`, tok.guard)).status).toBe(400);
  });

  it("returns the household's approval to the guard's waiting long poll, then issues the one-entry pass once", async () => {
    const req = await ask();
    const waiting = api.get(`/api/v1/visitors/walk-in/requests/${req.id}?unlessState=pending&waitSec=25`, tok.guard);
    await streamA.next((f) => f.event === 'walk_in' && ResidentWalkIn.parse(f.data).id === req.id, { timeoutMs: 30_000 });
    const answered = await api.post(`/api/v1/resident/walk-ins/${req.id}/answer`, tok.a, { answer: 'approve' });
    expect(answered.status).toBe(200);
    expect(ResidentWalkIn.parse(answered.body).state).toBe('approved');
    const seen = WalkInRequestView.parse((await waiting).body);
    expect(seen).toMatchObject({ state: 'approved', answeredBy: '王*' });
    // Every phone of the flat sees it settled.
    await streamA.next((f) => f.event === 'walk_in' && ResidentWalkIn.parse(f.data).id === req.id && ResidentWalkIn.parse(f.data).state === 'approved', { timeoutMs: 30_000 });
    // Once only.
    expect((await api.post(`/api/v1/resident/walk-ins/${req.id}/answer`, tok.a, { answer: 'refuse' })).status).toBe(409);

    const r = await api.post(`/api/v1/visitors/walk-in/requests/${req.id}/pass`, tok.guard);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const pass = PassCreated.parse(r.body);
    expect(pass).toMatchObject({ householdId: 'hh-a', visitorName: '赵六', phoneMasked: '138****5678', maxEntries: 1 });
    expect([...pass.allowedDoors].sort()).toEqual(['door-b01-u1', 'gate-main']);
    expect(Date.parse(pass.validUntil) - Date.parse(pass.validFrom)).toBe(30 * 60_000);
    expect((await api.post(`/api/v1/visitors/walk-in/requests/${req.id}/pass`, tok.guard)).status).toBe(409);
    expect(WalkInRequestView.parse((await api.get(`/api/v1/visitors/walk-in/requests/${req.id}`, tok.guard)).body).passId).toBe(pass.id);

    const residentA = c.residents.a;
    const approve = await t.gw.db.prisma.auditLog.findFirst({ where: { action: 'walk_in.approve', entityId: req.id } });
    expect(approve?.actor).toBe('resident:r-a');
    const issued = await t.gw.db.prisma.auditLog.findFirst({ where: { action: 'pass.walk_in', entityId: pass.id } });
    expect(JSON.parse(issued?.detail ?? '{}')).toMatchObject({ hostConfirmed: 'app', walkInRequestId: req.id, answeredBy: residentA, reason: '送药', idLast4: '123X' });
    const row = await t.gw.db.prisma.walkInRequest.findUnique({ where: { id: req.id } });
    expect(row).toMatchObject({ status: 'approved', answeredBy: residentA, passId: pass.id });
  });

  it('records a refusal, and an approved-only pass is refused for it', async () => {
    const req = await ask();
    const r = await api.post(`/api/v1/resident/walk-ins/${req.id}/answer`, tok.a, { answer: 'refuse' });
    expect(ResidentWalkIn.parse(r.body).state).toBe('refused');
    expect(WalkInRequestView.parse((await api.get(`/api/v1/visitors/walk-in/requests/${req.id}?unlessState=pending&waitSec=25`, tok.guard)).body).state).toBe('refused');
    expect((await api.post(`/api/v1/visitors/walk-in/requests/${req.id}/pass`, tok.guard)).status).toBe(409);
    expect(await t.gw.db.prisma.auditLog.count({ where: { action: 'walk_in.refuse', entityId: req.id } })).toBe(1);
  });
});

describe('walk-in approval deadline', () => {
  let t: TestGateway;
  let c: AccessCompound;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startGateway({ ACCESS_API_RATE_PER_MINUTE: '1000', WALK_IN_ANSWER_SEC: '1' });
    c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    await t.gw.access.reload();
    api = apiClient(t.httpUrl);
  });
  afterAll(async () => t?.close());

  it('marks a request nobody answered as unanswered (audited), tells the waiting guard, and refuses a late answer', async () => {
    const guard = await api.login(c.users.guard);
    const a = await api.login(c.users.a);
    const stream = await householdStream(t, api, a);
    const req = WalkInRequestView.parse((await api.post('/api/v1/visitors/walk-in/requests', guard, visitor)).body);
    // The guard's long poll returns when the deadline passes.
    const seen = WalkInRequestView.parse((await api.get(`/api/v1/visitors/walk-in/requests/${req.id}?unlessState=pending&waitSec=25`, guard)).body);
    expect(seen.state).toBe('unanswered');
    await stream.next((f) => f.event === 'walk_in' && ResidentWalkIn.parse(f.data).state === 'unanswered', { timeoutMs: 30_000 });
    await expect.poll(async () => (await t.gw.db.prisma.walkInRequest.findUnique({ where: { id: req.id } }))?.status, { timeout: 30_000 }).toBe('unanswered');
    expect(await t.gw.db.prisma.auditLog.count({ where: { action: 'walk_in.unanswered', entityId: req.id } })).toBe(1);
    expect((await api.post(`/api/v1/resident/walk-ins/${req.id}/answer`, a, { answer: 'approve' })).status).toBe(409);
    expect((await api.post(`/api/v1/visitors/walk-in/requests/${req.id}/pass`, guard)).status).toBe(409);
    await stream.close();
  });
});
