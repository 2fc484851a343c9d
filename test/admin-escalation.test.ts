import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { AlarmButton, mqttLinks } from '../devices-sim/src/devices';
import { AlertNotification } from '../gateway/src/contracts/api/alerts';
import { ContactView, GridView } from '../gateway/src/contracts/api/admin';
import { EscalationChain } from '../gateway/src/contracts/api/escalation';
import { addPlacedDevice } from './helpers/alert-fixtures';
import { addUser, ensureHousehold } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';
import { webhookReceiver } from './helpers/webhook-receiver';

const SECRET = 'webhook-secret-for-tests-0123456789abcdef';

/**
 * Escalation by the household's grid: an alarm in a household of a grid reaches that grid's worker (a contact stored
 * through the admin API); a household without a grid escalates along ESCALATION_CHAIN, the default. Real alarm
 * buttons over MQTT, real webhook receivers.
 */
describe('escalation routes by the household’s grid', () => {
  let t: TestGateway;
  let api: ApiClient;
  let admin: string;
  let chainHook: Awaited<ReturnType<typeof webhookReceiver>>;
  let workerHook: Awaited<ReturnType<typeof webhookReceiver>>;
  let officeHook: Awaited<ReturnType<typeof webhookReceiver>>;
  const buttons: AlarmButton[] = [];

  beforeAll(async () => {
    [chainHook, workerHook, officeHook] = await Promise.all([webhookReceiver(), webhookReceiver(), webhookReceiver()]);
    t = await startGateway({
      ESCALATION_CHAIN: JSON.stringify([{ name: 'guard_station' }, { name: 'grid_worker', url: chainHook.url }, { name: 'community_office' }]),
      WEBHOOK_SECRET: SECRET,
      ALERT_ACK_SEC_CRITICAL: '1',
      ON_SITE_MINUTES: '10',
      ALERT_SWEEP_MS: '100',
    });
    await ensureHousehold(t.gw.db.prisma, 'hh-grid');
    await ensureHousehold(t.gw.db.prisma, 'hh-nogrid');
    await addPlacedDevice(t.gw.db.prisma, { id: 'alarm-grid', kind: 'indoor_alarm', secret: 'alarm-grid-secret', placeKind: 'household', householdId: 'hh-grid' });
    await addPlacedDevice(t.gw.db.prisma, { id: 'alarm-nogrid', kind: 'indoor_alarm', secret: 'alarm-nogrid-secret', placeKind: 'household', householdId: 'hh-nogrid' });
    await addUser(t.gw.db.prisma, { username: 'admin1', password: 'admin-pw-0001', role: 'admin' });
    api = apiClient(t.httpUrl);
    admin = await api.login({ username: 'admin1', password: 'admin-pw-0001' });
  });
  afterAll(async () => {
    for (const b of buttons) await b.close();
    await t?.close();
    await Promise.all([chainHook, workerHook, officeHook].map((h) => h?.close()));
  });

  /** Where the alert's notifications went (each is a row written with the escalation, before any is sent). */
  const targets = async (alertId: string) => (await t.gw.db.prisma.notificationDelivery.findMany({ where: { alertId } })).map((d) => d.target);

  const press = async (id: string) => {
    const b = new AlarmButton({ id, kind: 'indoor_alarm', secret: `${id}-secret`, link: mqttLinks({ url: t.mqttUrl }), clock: new AcceleratedClock() });
    buttons.push(b);
    expect(await b.start()).toEqual({ ok: true });
    await b.press();
    await t.gw.alerts.idle();
    return (await t.gw.db.prisma.alert.findFirstOrThrow({ where: { deviceId: id }, orderBy: { firstAt: 'desc' } })).id;
  };

  it("tells the grid's worker, not the chain, once the household is put in a grid through the admin API", async () => {
    const grid = GridView.parse((await api.post('/api/v1/admin/grids', admin, { compoundId: 'test-community', name: '第一网格' })).body);
    const worker = await api.post('/api/v1/admin/escalation-contacts', admin, { name: '网格员张敏', level: 1, gridId: grid.id, phone: '13900001111', webhookUrl: workerHook.url });
    expect(worker.status, JSON.stringify(worker.body)).toBe(201);
    expect(ContactView.parse(worker.body).gridId).toBe(grid.id);
    expect((await api.call('PATCH', '/api/v1/admin/households/hh-grid', admin, { gridId: grid.id })).status).toBe(200);

    const id = await press('alarm-grid');
    const [call] = await workerHook.received(1, 20_000);
    const n = AlertNotification.parse(JSON.parse(call!.body));
    expect(n).toMatchObject({ event: 'alert.escalated', level: 1, levelName: '网格员张敏', alert: { id, householdId: 'hh-grid' } });
    expect(await targets(id)).toEqual([workerHook.url]);
  });

  it('escalates a household without a grid along ESCALATION_CHAIN (the default)', async () => {
    const id = await press('alarm-nogrid');
    await expect.poll(() => chainHook.calls.map((c) => AlertNotification.parse(JSON.parse(c.body)).alert.id), { timeout: 20_000 }).toContain(id);
    expect(await targets(id)).toEqual([chainHook.url]);
  });

  it('uses an installation-wide contact stored for a level instead of the environment’s, live', async () => {
    const office = await api.post('/api/v1/admin/escalation-contacts', admin, { name: '社区办公室', level: 1, webhookUrl: officeHook.url });
    expect(office.status, JSON.stringify(office.body)).toBe(201);
    // A new button: a repeat press of the first one would only update its open alert.
    await addPlacedDevice(t.gw.db.prisma, { id: 'alarm-nogrid-b', kind: 'indoor_alarm', secret: 'alarm-nogrid-b-secret', placeKind: 'household', householdId: 'hh-nogrid' });
    const fresh = await press('alarm-nogrid-b');
    await expect.poll(() => officeHook.calls.map((c) => AlertNotification.parse(JSON.parse(c.body)).alert.id), { timeout: 20_000 }).toContain(fresh);
    expect(await targets(fresh)).toEqual([officeHook.url]);
    // The guard station's view of the chain lists the stored contacts of level 1: the office replaces the
    // environment's level, the grid's worker is there for their grid.
    const chain = EscalationChain.parse((await api.get('/api/v1/alerts/escalation-chain', admin)).body);
    const level1 = chain.levels.find((l) => l.level === 1);
    expect(level1?.contacts).toEqual(expect.arrayContaining([
      { name: '社区办公室', gridId: null, channel: 'webhook' },
      { name: '网格员张敏', gridId: expect.any(String), channel: 'webhook' },
    ]));
    expect(level1?.contacts).toHaveLength(2);
    expect(chain.levels.find((l) => l.level === 2)?.contacts).toEqual([]);
  });

  it('falls back to the chain when the grid is deactivated', async () => {
    const grid = (await t.gw.db.prisma.grid.findFirstOrThrow({ where: { name: '第一网格' } })).id;
    expect((await api.call('PATCH', `/api/v1/admin/grids/${grid}`, admin, { active: false })).status).toBe(200);
    // Remove the installation-wide contact too, so level 1 is the environment's again.
    const office = await t.gw.db.prisma.escalationContact.findFirstOrThrow({ where: { gridId: null } });
    expect((await api.call('DELETE', `/api/v1/admin/escalation-contacts/${office.id}`, admin)).status).toBe(204);
    await addPlacedDevice(t.gw.db.prisma, { id: 'alarm-grid-b', kind: 'indoor_alarm', secret: 'alarm-grid-b-secret', placeKind: 'household', householdId: 'hh-grid' });
    const id = await press('alarm-grid-b');
    await expect.poll(() => chainHook.calls.map((c) => AlertNotification.parse(JSON.parse(c.body)).alert.id), { timeout: 20_000 }).toContain(id);
    expect(await targets(id)).toEqual([chainHook.url]);
    // Neither the deactivated grid's worker nor the removed contact is in the chain any more.
    const chain = EscalationChain.parse((await api.get('/api/v1/alerts/escalation-chain', admin)).body);
    expect(chain.levels.find((l) => l.level === 1)).toMatchObject({ name: 'grid_worker', channel: 'webhook', contacts: [] });
  });
});
