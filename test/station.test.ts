import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginReply } from '../gateway/src/contracts/api/auth';
import { StationView, ThisStation } from '../gateway/src/contracts/api/station';
import { LiveAlertChange, LiveHello, LiveSnapshot, LiveTicketReply } from '../gateway/src/contracts/live';
import { addPlacedDevice, login } from './helpers/alert-fixtures';
import { addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { SseClient } from './helpers/sse';

const DOOR = { id: 'door-b01-u1', kind: 'face_terminal', secret: 'door-secret-b01u1', placeKind: 'unit_door' } as const;
const PIN = '408317';

/**
 * Guard stations over HTTP (docs/security.md, "Guard stations"): registration by admins only, the httpOnly station
 * cookie, PIN sign-in only on a registered station, wrong PINs and the lock, and the read-only board ticket whose
 * stream carries alarms without people's notes and ends when the station is revoked.
 */
describe('guard stations and PIN sign-in', () => {
  let t: TestGateway;
  let admin: string;
  let guard: string;
  let cookie: string;
  let stationId: string;
  const streams: SseClient[] = [];
  const boardAcks: Array<ReturnType<typeof setInterval>> = [];
  const req = (method: string, path: string, opts: { token?: string; cookie?: string; body?: unknown } = {}) =>
    fetch(`${t.httpUrl}${path}`, {
      method,
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.cookie ? { cookie: opts.cookie } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
  const pinLogin = (username: string, pin: string, c: string | null = cookie) => req('POST', '/api/v1/auth/pin-login', { body: { username, pin }, ...(c !== null ? { cookie: c } : {}) });

  beforeAll(async () => {
    t = await startGateway({ PIN_MAX_FAILURES: '3', PIN_LOCK_MINUTES: '10', LIVE_HEARTBEAT_SEC: '0.5', LIVE_ACK_TIMEOUT_SEC: '2' });
    const prisma = t.gw.db.prisma;
    await addPlacedDevice(prisma, DOOR);
    await addUser(prisma, { username: 'admin', password: 'admin-pw-0001', role: 'admin' });
    await addUser(prisma, { username: 'guard1', password: 'night-shift-pw1', role: 'guard' });
    await addUser(prisma, { username: 'guard2', password: 'night-shift-pw2', role: 'guard' });
    await addUser(prisma, { username: 'r-501', password: 'resident-pw-1', role: 'resident', householdId: 'hh-501' });
    admin = await login(t.httpUrl, 'admin', 'admin-pw-0001');
    guard = await login(t.httpUrl, 'guard1', 'night-shift-pw1');
  });
  afterAll(async () => {
    for (const a of boardAcks) clearInterval(a);
    await Promise.all(streams.map((s) => s.close()));
    await t.close();
  });

  it('registers a station for admins only, handing the token over as an httpOnly, SameSite=Strict cookie', async () => {
    expect((await req('POST', '/api/v1/stations', { token: guard, body: { name: '东门岗亭' } })).status).toBe(403);
    expect((await req('POST', '/api/v1/stations', { body: { name: '东门岗亭' } })).status).toBe(401);
    const r = await req('POST', '/api/v1/stations', { token: admin, body: { name: '东门岗亭' } });
    expect(r.status).toBe(201);
    const station = StationView.parse(await r.json());
    stationId = station.id;
    expect(station).toMatchObject({ name: '东门岗亭', createdBy: 'admin', revokedAt: null });
    const set = r.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/^linli_station=[A-Za-z0-9_-]{40,};/);
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).toMatch(/Path=\/api\/v1/);
    cookie = set.split(';')[0] ?? '';
    // The token is not in the body, and only its hash is stored.
    const row = await t.gw.db.prisma.guardStation.findUniqueOrThrow({ where: { id: stationId } });
    expect(row.tokenHash).not.toBe(cookie.split('=')[1]);
    expect(ThisStation.parse(await (await req('GET', '/api/v1/station', { cookie })).json())).toMatchObject({ registered: true, name: '东门岗亭' });
    expect(ThisStation.parse(await (await req('GET', '/api/v1/station')).json())).toMatchObject({ registered: false });
    const audit = await t.gw.db.prisma.auditLog.findMany({ where: { entity: 'GuardStation', entityId: stationId } });
    expect(audit.map((a) => [a.actor, a.action])).toEqual([['admin', 'station_registered']]);
  });

  it('sets PINs: an admin for a guard, a guard for themself with the password; never guessable ones', async () => {
    expect((await req('PUT', '/api/v1/users/guard1/pin', { token: guard, body: { pin: PIN } })).status).toBe(403);
    expect((await req('PUT', '/api/v1/users/guard1/pin', { token: admin, body: { pin: '123456' } })).status).toBe(400);
    expect((await req('PUT', '/api/v1/users/guard1/pin', { token: admin, body: { pin: '12345' } })).status).toBe(400);
    expect((await req('PUT', '/api/v1/users/r-501/pin', { token: admin, body: { pin: PIN } })).status).toBe(400);
    expect((await req('PUT', '/api/v1/users/nobody/pin', { token: admin, body: { pin: PIN } })).status).toBe(404);
    expect((await req('PUT', '/api/v1/users/guard1/pin', { token: admin, body: { pin: PIN } })).status).toBe(204);
    expect((await req('PUT', '/api/v1/auth/pin', { token: guard, body: { password: 'wrong-password', pin: '902714' } })).status).toBe(403);
    const g2 = await login(t.httpUrl, 'guard2', 'night-shift-pw2');
    expect((await req('PUT', '/api/v1/auth/pin', { token: g2, body: { password: 'night-shift-pw2', pin: '902714' } })).status).toBe(204);
    const user = await t.gw.db.prisma.user.findUniqueOrThrow({ where: { username: 'guard1' } });
    expect(user.pinHash).toMatch(/^\$argon2id\$/);
    const audit = await t.gw.db.prisma.auditLog.findMany({ where: { action: 'pin_set' }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.actor, JSON.parse(a.detail)])).toEqual([
      ['admin', { by: 'admin' }],
      ['guard2', { by: 'self' }],
    ]);
  });

  it('signs a guard in with the PIN on the registered station only', async () => {
    // No station cookie, or a made-up one: 403 whatever the PIN.
    expect((await pinLogin('guard1', PIN, null)).status).toBe(403);
    expect((await pinLogin('guard1', PIN, 'linli_station=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(403);
    const r = await pinLogin('guard1', PIN);
    expect(r.status).toBe(200);
    const reply = LoginReply.parse(await r.json());
    expect(reply.user).toMatchObject({ username: 'guard1', role: 'guard' });
    const me = await req('GET', '/api/v1/auth/me', { token: reply.token });
    expect(me.status).toBe(200);
    // A PIN session cannot set the PIN without the password.
    expect((await req('PUT', '/api/v1/auth/pin', { token: reply.token, body: { password: PIN, pin: '551903' } })).status).toBe(403);
    // The password still works as a PIN? No: the PIN field takes the PIN only.
    expect((await pinLogin('guard1', 'night-shift-pw1')).status).toBe(401);
    expect((await pinLogin('admin', PIN)).status).toBe(401);
    expect((await pinLogin('nobody', PIN)).status).toBe(401);
  });

  it('locks a PIN after wrong attempts in a row (the right PIN is refused too, and the lock is audited)', async () => {
    expect((await pinLogin('guard2', '111112')).status).toBe(401);
    expect((await pinLogin('guard2', '111113')).status).toBe(401);
    const third = await pinLogin('guard2', '111114');
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(500);
    const right = await pinLogin('guard2', '902714');
    expect(right.status).toBe(429);
    const body: unknown = await right.json();
    expect(body).toMatchObject({ error: 'RATE_LIMITED' });
    const audit = await t.gw.db.prisma.auditLog.findMany({ where: { action: 'pin_locked' } });
    expect(audit.map((a) => a.actor)).toEqual([`station:${stationId}`]);
    // The password still signs in, and an admin setting the PIN again lifts the lock.
    expect(await login(t.httpUrl, 'guard2', 'night-shift-pw2')).toBeTruthy();
    expect((await req('PUT', '/api/v1/users/guard2/pin', { token: admin, body: { pin: '902714' } })).status).toBe(204);
    expect((await pinLogin('guard2', '902714')).status).toBe(200);
  });

  it('gives a registered station a read-only board: alarms without notes, heartbeats acknowledged on the station cookie, ended on revocation', async () => {
    expect((await req('POST', '/api/v1/live/board-ticket')).status).toBe(403);
    const r = await req('POST', '/api/v1/live/board-ticket', { cookie });
    expect(r.status).toBe(200);
    const { ticket } = LiveTicketReply.parse(await r.json());
    const board = await SseClient.open(`${t.httpUrl}/api/v1/live/alerts?ticket=${encodeURIComponent(ticket)}&ack=1`);
    streams.push(board);
    // Supervised like a guard's screen: it acknowledges heartbeats on its station cookie (below).
    const hello = LiveHello.parse((await board.next((f) => f.event === 'hello')).data);
    expect(hello.ackWithinSec).not.toBeNull();
    const ackEvery = setInterval(() => void req('POST', '/api/v1/live/board-ack', { cookie, body: { connectionId: hello.connectionId } }), 500);
    boardAcks.push(ackEvery);
    await board.next((f) => f.event === 'snapshot', { timeoutMs: 8_000 });
    // The ticket was single-use.
    await expect(SseClient.open(`${t.httpUrl}/api/v1/live/alerts?ticket=${encodeURIComponent(ticket)}`)).rejects.toMatchObject({ status: 401 });

    t.gw.bus.emit('access-incident', { type: 'forced_entry', deviceId: DOOR.id, at: new Date(), detail: { openSec: 3 } });
    const raised = LiveAlertChange.parse((await board.next((f) => f.event === 'alert', { timeoutMs: 8_000 })).data);
    expect(raised.alert).toMatchObject({ type: 'forced_entry', severity: 'critical', status: 'open', detail: {} });
    const ack = await req('POST', `/api/v1/alerts/${raised.alert.id}/acknowledge`, { token: guard, body: { note: '已电话联系住户王先生 13912345678' } });
    expect(ack.status).toBe(200);
    const acked = LiveAlertChange.parse((await board.next((f) => f.event === 'alert' && LiveAlertChange.parse(f.data).action === 'acknowledged')).data);
    expect(acked.alert).toMatchObject({ status: 'acknowledged', ackedBy: 'guard1', ackNote: null });
    expect(acked.note).toBeNull();
    expect(JSON.stringify(board.frames)).not.toContain('13912345678');

    // A fresh board connection's snapshot is redacted as well.
    const again = LiveTicketReply.parse(await (await req('POST', '/api/v1/live/board-ticket', { cookie })).json());
    const second = await SseClient.open(`${t.httpUrl}/api/v1/live/alerts?ticket=${encodeURIComponent(again.ticket)}&ack=1`);
    streams.push(second);
    const snap = LiveSnapshot.parse((await second.next((f) => f.event === 'snapshot')).data);
    expect(snap.alerts.find((a) => a.id === raised.alert.id)).toMatchObject({ ackNote: null, detail: {} });
    const secondHello = LiveHello.parse((await second.next((f) => f.event === 'hello')).data);
    const boardAck = (body: unknown, c: string | null = cookie) => req('POST', '/api/v1/live/board-ack', { body, ...(c ? { cookie: c } : {}) });
    // Heartbeat acks need the station's cookie, and count only for a stream of that station.
    expect((await boardAck({ connectionId: secondHello.connectionId }, null)).status).toBe(403);
    expect((await boardAck({ connectionId: 'not-a-connection' })).status).toBe(404);
    expect((await boardAck({ connectionId: secondHello.connectionId })).status).toBe(204);
    // This second stream stops acknowledging: the gateway drops it (a frozen screen), while the first, acking, stays.
    await second.closed;
    expect(board.res.closed).toBe(false);
    const third = LiveTicketReply.parse(await (await req('POST', '/api/v1/live/board-ticket', { cookie })).json());
    const reopened = await SseClient.open(`${t.httpUrl}/api/v1/live/alerts?ticket=${encodeURIComponent(third.ticket)}`);
    streams.push(reopened);
    await reopened.next((f) => f.event === 'snapshot');

    // Revoked: the open board ends, no more tickets, no PIN sign-in, and the browser is told to forget the cookie.
    expect((await req('POST', `/api/v1/stations/${stationId}/revoke`, { token: guard })).status).toBe(403);
    const revoked = await req('POST', `/api/v1/stations/${stationId}/revoke`, { token: admin });
    expect(StationView.parse(await revoked.json()).revokedAt).not.toBeNull();
    await Promise.all([board.closed, reopened.closed]);
    for (const a of boardAcks) clearInterval(a);
    expect((await req('POST', '/api/v1/live/board-ticket', { cookie })).status).toBe(403);
    expect((await pinLogin('guard1', PIN)).status).toBe(403);
    const mine = await req('GET', '/api/v1/station', { cookie });
    expect(ThisStation.parse(await mine.json()).registered).toBe(false);
    expect(mine.headers.get('set-cookie')).toMatch(/linli_station=;.*Max-Age=0/);
  });
});
