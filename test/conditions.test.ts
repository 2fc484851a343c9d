import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { AlarmButton, FaceTerminal, Streetlight, mqttLinks } from '../devices-sim/src/devices';
import { Heartbeat, topicFor } from '../gateway/src/contracts';
import { LiveAlertChange } from '../gateway/src/contracts/live';
import { daylightAt } from '../gateway/src/rules/streetlight';
import { addPlacedDevice, login, tagHousehold } from './helpers/alert-fixtures';
import { rawDevice } from './helpers/device-client';
import { addUser, ensureHousehold } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { SseClient } from './helpers/sse';

const change = (f: { data: unknown }) => LiveAlertChange.parse(f.data);
const clock = () => new AcceleratedClock();

/** Device supervision, welfare checks, streetlights and device health, end to end through the live stream. */
describe('alert conditions', () => {
  let t: TestGateway;
  let s: SseClient;
  const closers: Array<{ close(opts?: { abrupt?: boolean }): Promise<void> }> = [];
  const frame = (type: string, action: string, deviceOrHousehold: string) =>
    s.next((f) => {
      if (f.event !== 'alert') return false;
      const c = change(f);
      return c.alert.type === type && c.action === action && (c.alert.deviceId === deviceOrHousehold || c.alert.householdId === deviceOrHousehold);
    });

  beforeAll(async () => {
    t = await startGateway({
      SUPERVISION_GRACE_SEC: '0.3',
      SUPERVISION_SEC_INDOOR_ALARM: '1',
      ALERT_SWEEP_MS: '100',
      WELFARE_SILENCE_HOURS: '0.0005',
      WELFARE_CHECK_SEC: '1',
      BAD_PAYLOAD_ALERT_COUNT: '3',
    });
    const prisma = t.gw.db.prisma;
    await addPlacedDevice(prisma, { id: 'alarm-sup-1', kind: 'outdoor_alarm', secret: 'alarm-sup-1-secret', placeKind: 'outdoor' });
    await addPlacedDevice(prisma, { id: 'alarm-silent', kind: 'indoor_alarm', secret: 'alarm-silent-secret', placeKind: 'household', householdId: 'hh-silent' });
    await addPlacedDevice(prisma, { id: 'lamp-cond-1', kind: 'streetlight', secret: 'lamp-cond-1-secret', placeKind: 'outdoor', name: '路灯 001' });
    await addPlacedDevice(prisma, { id: 'door-cond', kind: 'face_terminal', secret: 'door-cond-secret', placeKind: 'unit_door' });
    await addUser(prisma, { username: 'guard1', password: 'night-shift-pw', role: 'guard' });
    s = await SseClient.open(`${t.httpUrl}/api/v1/live/alerts`, { token: await login(t.httpUrl, 'guard1', 'night-shift-pw') });
    await s.next((f) => f.event === 'snapshot');
  });
  afterAll(async () => {
    await s.close();
    for (const c of closers) await c.close();
    await t.close();
  });

  it('raises device_offline when a device vanishes (its Will) and clears it when it is back', async () => {
    const b = new AlarmButton({ id: 'alarm-sup-1', kind: 'outdoor_alarm', secret: 'alarm-sup-1-secret', link: mqttLinks({ url: t.mqttUrl, reconnect: false }), clock: clock() });
    await b.start();
    await b.close({ abrupt: true });
    const down = change(await frame('device_offline', 'raised', 'alarm-sup-1'));
    expect(down.alert).toMatchObject({ severity: 'major', category: 'maintenance', deadlineKind: 'on_site' });
    expect(['closed', 'status_offline']).toContain(down.alert.detail.cause);
    const again = new AlarmButton({ id: 'alarm-sup-1', kind: 'outdoor_alarm', secret: 'alarm-sup-1-secret', link: mqttLinks({ url: t.mqttUrl }), clock: clock() });
    closers.push(again);
    await again.start();
    const up = change(await frame('device_offline', 'cleared', 'alarm-sup-1'));
    expect(up.alert).toMatchObject({ status: 'cleared', clearedBy: 'system' });
  });

  it('raises device_offline for a connected device that stays silent past its kind\'s window', async () => {
    const { client } = await rawDevice(t.mqttUrl, { id: 'alarm-silent', kind: 'indoor_alarm', secret: 'alarm-silent-secret' });
    closers.push({ close: () => client.endAsync() });
    const f = change(await frame('device_offline', 'raised', 'alarm-silent'));
    expect(f.alert.detail).toMatchObject({ cause: 'silence', windowSec: 1 });
    expect(f.alert.place.label).toBe('1号楼1单元hh-silent');
    await client.publishAsync(topicFor('heartbeat', 'alarm-silent'), JSON.stringify(Heartbeat.parse({ eventId: 'hb-1', ts: new Date().toISOString(), uptimeSec: 3 })), { qos: 1 });
    await frame('device_offline', 'cleared', 'alarm-silent');
  });

  it('raises a welfare check for an elderly person living alone with no door activity, and ends it on a grant', async () => {
    await ensureHousehold(t.gw.db.prisma, 'hh-lonely');
    await tagHousehold(t.gw.db.prisma, 'hh-lonely', ['elderly_alone']);
    const raised = change(await frame('welfare_check', 'raised', 'hh-lonely'));
    expect(raised.alert).toMatchObject({ category: 'welfare', severity: 'major', deviceId: null, tags: ['elderly_alone'], place: { label: '1号楼1单元hh-lonely', kind: 'household' } });
    t.gw.bus.emit('access-decision', {
      accessEventId: 'ae-1', deviceId: 'door-cond', decision: 'grant', reason: 'resident', credentialType: 'face',
      residentId: 'res-lonely', householdId: 'hh-lonely', passId: null, offline: false, at: new Date(),
    });
    const ended = change(await frame('welfare_check', 'cleared', 'hh-lonely'));
    expect(ended.note).toBe('household_activity');
  });

  it('judges a streetlight by the sun at the community\'s coordinates', async () => {
    const lamp = new Streetlight({ id: 'lamp-cond-1', secret: 'lamp-cond-1-secret', link: mqttLinks({ url: t.mqttUrl }), clock: clock() });
    closers.push(lamp);
    await lamp.start();
    const now = daylightAt(new Date(), 34.2583, 108.9286, 20);
    if (now === 'night') {
      await lamp.setLight(false);
      expect(change(await frame('light_not_lit', 'raised', 'lamp-cond-1')).alert.place.label).toBe('路灯 001');
      await lamp.setLight(true);
      await frame('light_not_lit', 'cleared', 'lamp-cond-1');
    } else if (now === 'day') {
      await lamp.setLight(true);
      expect(change(await frame('light_lit_in_daylight', 'raised', 'lamp-cond-1')).alert.severity).toBe('warning');
      await lamp.setLight(false);
      await frame('light_lit_in_daylight', 'cleared', 'lamp-cond-1');
    }
    await lamp.fail('leakage');
    expect(change(await frame('light_fault', 'raised', 'lamp-cond-1')).alert).toMatchObject({ severity: 'major', detail: { fault: 'leakage' } });
  });

  it('raises a device that keeps sending invalid payloads, and tamper', async () => {
    const door = new FaceTerminal({ id: 'door-cond', secret: 'door-cond-secret', link: mqttLinks({ url: t.mqttUrl }), clock: clock() });
    closers.push(door);
    await door.start();
    for (let i = 0; i < 3; i++) await door.sendRaw('doorState', '{"state":"ajar"}');
    expect(change(await frame('invalid_payloads', 'raised', 'door-cond')).alert.detail).toMatchObject({ count: 3 });
    await door.tamper('case_open');
    expect(change(await frame('tamper', 'raised', 'door-cond')).alert).toMatchObject({ severity: 'major', place: { label: '1号楼1单元门' } });
  });
});
