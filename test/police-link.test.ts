import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../gateway/src/alerts/notifier/webhook';
import { AlertDetail, PoliceNotification, PoliceReply } from '../gateway/src/contracts/api/alerts';
import { addPlacedDevice, api, login } from './helpers/alert-fixtures';
import { addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { webhookReceiver } from './helpers/webhook-receiver';

const SECRET = 'police-link-test-secret-0123456789abcdef';
const LINKED = { id: 'door-b01-u1', kind: 'face_terminal', secret: 'door-secret-b01u1', placeKind: 'unit_door' } as const;
const OTHER = { id: 'door-b01-u2', kind: 'face_terminal', secret: 'door-secret-b01u2', placeKind: 'unit_door' } as const;

/**
 * 警民一键通 over real HTTP: a police-linked point's alarm reaches a real local endpoint at once, signed, outside the
 * chain; a guard's 转报警 110 does the same for any alert; the outcome (delivered / failed) is in the history and audited.
 */
describe('police link', () => {
  let t: TestGateway;
  let guard: string;
  let resident: string;
  let failNext = false;
  let police: Awaited<ReturnType<typeof webhookReceiver>>;

  beforeAll(async () => {
    police = await webhookReceiver(() => (failNext ? 400 : 200));
    t = await startGateway({ POLICE_LINK_URL: police.url, POLICE_LINK_DEVICES: `${LINKED.id}, alarm-x`, WEBHOOK_SECRET: SECRET });
    const prisma = t.gw.db.prisma;
    for (const d of [LINKED, OTHER]) await addPlacedDevice(prisma, d);
    await addUser(prisma, { username: 'guard1', password: 'night-shift-pw', role: 'guard' });
    await addUser(prisma, { username: 'r-501', password: 'resident-pw-1', role: 'resident', householdId: 'hh-501' });
    guard = await login(t.httpUrl, 'guard1', 'night-shift-pw');
    resident = await login(t.httpUrl, 'r-501', 'resident-pw-1');
  });
  afterAll(async () => {
    await t.close();
    await police.close();
  });

  const history = async (id: string) => AlertDetail.parse((await api(t.httpUrl, guard, 'GET', `/api/v1/alerts/${id}`)).body).history;
  const alertOf = async (deviceId: string) => {
    const rows = await t.gw.db.prisma.alert.findMany({ where: { deviceId } });
    return rows[0]?.id;
  };

  it('posts a police-linked point\'s alarm to the police at once, signed, and records it as delivered', async () => {
    t.gw.bus.emit('access-incident', { type: 'forced_entry', deviceId: LINKED.id, at: new Date(), detail: { openSec: 3 } });
    const [call] = await police.received(1);
    const ok = verify(SECRET, { timestamp: String(call?.headers['x-linli-timestamp']), signature: String(call?.headers['x-linli-signature']) }, call?.body ?? '', Math.floor(Date.now() / 1000));
    expect(ok).toBe(true);
    const body = PoliceNotification.parse(JSON.parse(call?.body ?? ''));
    expect(body).toMatchObject({ event: 'police.alarm', reason: 'linked_point', requestedBy: 'system', alert: { type: 'forced_entry', deviceId: LINKED.id, detail: {} } });
    await t.gw.alerts.idle();
    const id = await alertOf(LINKED.id);
    await expect.poll(async () => (await history(id ?? '')).map((h) => [h.action, h.note, h.detail?.channel]), { timeout: 10_000 }).toContainEqual(['notified', 'police_delivered', 'police']);
    // The normal chain's first level (the guard station) has no channel: nobody else was told by this.
    expect(police.calls).toHaveLength(1);
  });

  it('does not send other points\' alarms; a guard\'s 转报警 110 sends any open alert, and a failure is said', async () => {
    t.gw.bus.emit('access-incident', { type: 'forced_entry', deviceId: OTHER.id, at: new Date(), detail: { openSec: 3 } });
    await t.gw.alerts.idle();
    const id = await alertOf(OTHER.id);
    expect(id).toBeDefined();
    expect(police.calls).toHaveLength(1);

    expect((await api(t.httpUrl, resident, 'POST', `/api/v1/alerts/${id}/police`)).status).toBe(403);
    expect((await api(t.httpUrl, guard, 'POST', '/api/v1/alerts/no-such/police')).status).toBe(404);
    const r = await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${id}/police`);
    expect(PoliceReply.parse(r.body)).toEqual({ outcome: 'delivered', error: null });
    const body = PoliceNotification.parse(JSON.parse(police.calls[1]?.body ?? ''));
    expect(body).toMatchObject({ reason: 'guard_request', requestedBy: 'guard1' });

    failNext = true;
    const failed = await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${id}/police`);
    expect(PoliceReply.parse(failed.body)).toEqual({ outcome: 'failed', error: 'HTTP 400' });
    failNext = false;
    await t.gw.alerts.idle();
    const rows = (await history(id ?? '')).filter((h) => h.detail?.channel === 'police');
    expect(rows.map((h) => [h.action, h.note, h.detail?.requestedBy])).toEqual([
      ['notified', 'police_delivered', 'guard1'],
      ['notification_failed', 'police_failed', 'guard1'],
    ]);
    const audit = await t.gw.db.prisma.auditLog.findMany({ where: { entity: 'Alert', entityId: id ?? '' }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['alert.notified', 'alert.notification_failed']));
  });
});
