import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { AlarmButton, Streetlight, mqttLinks } from '../devices-sim/src/devices';
import { Alert, AlertDetail, AlertNotification } from '../gateway/src/contracts/api/alerts';
import { verify } from '../gateway/src/alerts/notifier/webhook';
import { addPlacedDevice, api, login } from './helpers/alert-fixtures';
import { addUser } from './helpers/fixtures';
import { type TestGateway, freshDatabase, startGateway } from './helpers/gateway';
import { webhookReceiver } from './helpers/webhook-receiver';

const SECRET = 'webhook-secret-for-tests-0123456789abcdef';
const chain = (url: string, levels = ['guard_station', 'grid_worker', 'community_office', 'street_office']) =>
  JSON.stringify(levels.map((name, i) => (i === 0 ? { name } : { name, url })));
const clock = () => new AcceleratedClock();

describe('escalation and notifications', () => {
  let t: TestGateway;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  let guard: string;
  let failFirst = 0;
  const devices: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    hook = await webhookReceiver((_call, n) => (n <= failFirst ? 503 : 200));
    t = await startGateway({
      ESCALATION_CHAIN: chain(hook.url),
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_BACKOFF_MS: '50',
      ALERT_ACK_SEC_CRITICAL: '1',
      ON_SITE_MINUTES: '0.02',
      ALERT_SWEEP_MS: '100',
    });
    for (const id of ['alarm-esc-1', 'alarm-esc-2']) await addPlacedDevice(t.gw.db.prisma, { id, kind: 'outdoor_alarm', secret: `${id}-secret`, placeKind: 'outdoor' });
    for (const id of ['lamp-esc-1', 'lamp-esc-2']) await addPlacedDevice(t.gw.db.prisma, { id, kind: 'streetlight', secret: `${id}-secret`, placeKind: 'outdoor' });
    await addUser(t.gw.db.prisma, { username: 'guard1', password: 'night-shift-pw', role: 'guard' });
    guard = await login(t.httpUrl, 'guard1', 'night-shift-pw');
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.close()));
    await t.close();
    await hook.close();
  });

  const press = async (id: string) => {
    const b = new AlarmButton({ id, kind: 'outdoor_alarm', secret: `${id}-secret`, link: mqttLinks({ url: t.mqttUrl }), clock: clock() });
    devices.push(b);
    await b.start();
    await b.press();
    await t.gw.alerts.idle();
    return (await t.gw.db.prisma.alert.findFirstOrThrow({ where: { deviceId: id } })).id;
  };
  const detail = async (id: string) => AlertDetail.parse((await api(t.httpUrl, guard, 'GET', `/api/v1/alerts/${id}`)).body);

  it('escalates an unacknowledged critical alarm, and the webhook receiver gets a signed call', async () => {
    const id = await press('alarm-esc-1');
    const [call] = await hook.received(1);
    const body = call!.body;
    expect(verify(SECRET, { timestamp: call!.headers['x-linli-timestamp'] as string, signature: call!.headers['x-linli-signature'] as string }, body, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verify('another-secret-another-secret-000', { timestamp: call!.headers['x-linli-timestamp'] as string, signature: call!.headers['x-linli-signature'] as string }, body, Math.floor(Date.now() / 1000))).toBe(false);
    const n = AlertNotification.parse(JSON.parse(body));
    expect(n).toMatchObject({ event: 'alert.escalated', level: 1, levelName: 'grid_worker', alert: { id, type: 'alarm_press', escalationLevel: 1, escalationTarget: 'grid_worker' } });
    expect(n.reason).toBe('escalated_no_ack');
    expect(call!.headers['x-linli-delivery']).toBe(n.deliveryId);

    await expect.poll(async () => (await detail(id)).history.map((h) => h.action)).toEqual(expect.arrayContaining(['raised', 'escalated', 'notified']));
    const delivery = await t.gw.db.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: n.deliveryId } });
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, level: 1, target: hook.url });

    // Still nobody: the next level (community office) is told a deadline later; an acknowledgement stops the climb.
    await hook.received(2);
    const acked = Alert.parse((await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${id}/acknowledge`, {})).body);
    expect(acked).toMatchObject({ escalationLevel: 2, escalationTarget: 'community_office', nextDeadlineAt: null });
  });

  it('retries a failing receiver with backoff and records every attempt', async () => {
    failFirst = hook.calls.length + 2;
    const before = hook.calls.length;
    const id = await press('alarm-esc-2');
    await hook.received(before + 3);
    await expect.poll(() => t.gw.db.prisma.notificationDelivery.findFirst({ where: { alertId: id, level: 1 } })).toMatchObject({ status: 'delivered', attempts: 3 });
    const first = hook.calls[before]!;
    const third = hook.calls[before + 2]!;
    expect(third.headers['x-linli-delivery']).toBe(first.headers['x-linli-delivery']);
    expect(third.at - first.at).toBeGreaterThanOrEqual(50);
    await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${id}/acknowledge`, {});
  });

  it('escalates a maintenance fault nobody confirmed on site in time, with the five-minute rule as the reason', async () => {
    const lamp = new Streetlight({ id: 'lamp-esc-1', secret: 'lamp-esc-1-secret', link: mqttLinks({ url: t.mqttUrl }), clock: clock() });
    devices.push(lamp);
    await lamp.start();
    await lamp.fail('lamp_failure');
    await expect.poll(() => t.gw.db.prisma.alert.findFirst({ where: { deviceId: 'lamp-esc-1', type: 'light_fault' } }), { timeout: 5_000 }).toMatchObject({ deadlineKind: 'on_site' });
    // Acknowledging does not stop the on-site clock: somebody has to be there.
    const a = await t.gw.db.prisma.alert.findFirstOrThrow({ where: { deviceId: 'lamp-esc-1', type: 'light_fault' } });
    expect(Alert.parse((await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${a.id}/acknowledge`, {})).body).deadlineKind).toBe('on_site');
    await expect.poll(async () => (await detail(a.id)).history.find((h) => h.action === 'escalated'), { timeout: 5_000 }).toMatchObject({ note: 'escalated_no_on_site', detail: { waitedFor: 'on_site', toLevel: 1 } });
  });

  it('stops the on-site deadline when a worker confirms being there', async () => {
    const lamp = new Streetlight({ id: 'lamp-esc-2', secret: 'lamp-esc-2-secret', link: mqttLinks({ url: t.mqttUrl }), clock: clock() });
    devices.push(lamp);
    await lamp.start();
    await lamp.fail('driver_failure');
    await expect.poll(() => t.gw.db.prisma.alert.findFirst({ where: { deviceId: 'lamp-esc-2', type: 'light_fault' } }), { timeout: 5_000 }).toBeTruthy();
    const a = await t.gw.db.prisma.alert.findFirstOrThrow({ where: { deviceId: 'lamp-esc-2', type: 'light_fault' } });
    const onSite = Alert.parse((await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${a.id}/on-site`, { note: '电工已到' })).body);
    expect(onSite).toMatchObject({ onSiteBy: 'guard1', nextDeadlineAt: null, escalationLevel: 0 });
    expect((await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${a.id}/on-site`, {})).status).toBe(409);
    // Repaired: the condition ends and the system clears the fault.
    await lamp.repair();
    await expect.poll(() => t.gw.db.prisma.alert.findUnique({ where: { id: a.id } })).toMatchObject({ status: 'cleared', clearedBy: 'system' });
  });
});

describe('deadlines across a restart', () => {
  const db = freshDatabase();
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  const env = () => ({ ESCALATION_CHAIN: chain(hook.url, ['guard_station', 'grid_worker']), WEBHOOK_SECRET: SECRET, ALERT_ACK_SEC_CRITICAL: '2', ALERT_SWEEP_MS: '100' });

  beforeAll(async () => {
    hook = await webhookReceiver();
  });
  afterAll(async () => {
    await hook.close();
    rmSync(db.dir, { recursive: true, force: true });
  });

  it('fires a deadline that passed while the gateway was down exactly once after it restarts', async () => {
    const a = await startGateway(env(), db);
    await addPlacedDevice(a.gw.db.prisma, { id: 'alarm-restart', kind: 'indoor_alarm', secret: 'alarm-restart-secret', placeKind: 'household', householdId: 'hh-restart' });
    const b = new AlarmButton({ id: 'alarm-restart', kind: 'indoor_alarm', secret: 'alarm-restart-secret', link: mqttLinks({ url: a.mqttUrl, reconnect: false }), clock: clock() });
    await b.start();
    await b.press();
    await a.gw.alerts.idle();
    await b.close();
    await a.close();

    const { openDb } = await import('../gateway/src/db/client');
    const raw = await openDb(db.dbFile);
    const stored = await raw.prisma.alert.findFirstOrThrow({ where: { deviceId: 'alarm-restart' } });
    await raw.close();
    expect(stored).toMatchObject({ escalationLevel: 0, deadlineKind: 'ack' });
    expect(hook.calls).toHaveLength(0);
    // Down past the deadline.
    await new Promise((r) => setTimeout(r, Math.max(0, stored.nextDeadlineAt!.getTime() - Date.now() + 100)));

    const b2 = await startGateway(env(), db);
    await hook.received(1);
    await expect.poll(() => b2.gw.db.prisma.alertHistory.count({ where: { alertId: stored.id, action: 'notified' } })).toBe(1);
    await b2.close();

    const c = await startGateway(env(), db);
    // A few sweeps of the third process: nothing is due any more, so nothing fires again.
    await new Promise((r) => setTimeout(r, 500));
    await c.gw.alerts.idle();
    expect(hook.calls).toHaveLength(1);
    expect(await c.gw.db.prisma.alertHistory.count({ where: { alertId: stored.id, action: 'escalated' } })).toBe(1);
    expect(await c.gw.db.prisma.notificationDelivery.count({ where: { alertId: stored.id } })).toBe(1);
    expect(await c.gw.db.prisma.alert.findUniqueOrThrow({ where: { id: stored.id } })).toMatchObject({ escalationLevel: 1, nextDeadlineAt: null });
    await c.close();
  });
});
