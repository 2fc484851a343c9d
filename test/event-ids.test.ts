import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { AlarmPress, Presence, topicFor } from '../gateway/src/contracts';
import { addPlacedDevice } from './helpers/alert-fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { connectClient } from './helpers/mqtt';

const BUTTON = { id: 'alarm-reboots', kind: 'indoor_alarm', secret: 'alarm-reboots-secret', placeKind: 'household', householdId: 'hh-301' } as const;

describe('event ids that repeat', () => {
  let t: TestGateway;
  let c: MqttClient;
  const topic = topicFor('alarmPress', BUTTON.id);

  beforeAll(async () => {
    t = await startGateway();
    await addPlacedDevice(t.gw.db.prisma, BUTTON);
    c = await connectClient(t.mqttUrl, { clientId: BUTTON.id, username: BUTTON.id, password: BUTTON.secret });
  });
  afterAll(async () => {
    await c.endAsync(true);
    await t.close();
  });

  const rows = () => t.gw.db.prisma.deviceEvent.findMany({ where: { deviceId: BUTTON.id, channel: 'alarm/press' }, orderBy: { seq: 'asc' } });
  const alerts = async () => {
    await t.gw.alerts.idle();
    return t.gw.db.prisma.alert.findMany({ where: { deviceId: BUTTON.id }, select: { type: true, count: true } });
  };

  it('keeps a retransmission with the same content harmless, and stores, alerts and flags a reused id with new content', async () => {
    const first = JSON.stringify(AlarmPress.parse({ eventId: 'e-1', ts: '2026-12-01T08:00:00.000+08:00' }));
    await c.publishAsync(topic, first, { qos: 1 });
    await expect.poll(alerts, { timeout: 10_000 }).toEqual([{ type: 'alarm_press', count: 1 }]);

    // The same bytes again: a retransmission. Acknowledged, not stored twice, not counted twice.
    await c.publishAsync(topic, first, { qos: 1 });
    expect(await rows()).toHaveLength(1);

    // The button rebooted and its counter started over: same id, another time. A new press, not a duplicate.
    const again = JSON.stringify(AlarmPress.parse({ eventId: 'e-1', ts: '2026-12-01T09:30:00.000+08:00' }));
    await c.publishAsync(topic, again, { qos: 1 });
    const stored = await rows();
    expect(stored).toHaveLength(2);
    expect(stored[0]).toMatchObject({ eventId: 'e-1', reusedEventId: false, payload: first });
    expect(stored[1]).toMatchObject({ reusedEventId: true, payload: again });
    expect(stored[1]!.eventId).toMatch(/^e-1~[0-9a-f]{16}$/);
    await expect.poll(alerts, { timeout: 10_000 }).toEqual(
      expect.arrayContaining([
        { type: 'alarm_press', count: 2 },
        { type: 'event_id_reused', count: 1 },
      ]),
    );

    // The reused press resent (no PUBACK reached the device): recognised under its derived id, counted once.
    await c.publishAsync(topic, again, { qos: 1 });
    expect(await rows()).toHaveLength(2);
    expect(await alerts()).toEqual(expect.arrayContaining([{ type: 'alarm_press', count: 2 }]));
    expect(await t.gw.db.prisma.alertOutbox.count()).toBe(0);
  });

  it('stores an online status and a Will that share a timestamp (their ids are made from it) without calling it a counter reset', async () => {
    const ts = '2026-12-01T10:00:00.000+08:00';
    for (const status of ['online', 'offline'] as const) await c.publishAsync(topicFor('presence', BUTTON.id), JSON.stringify(Presence.parse({ status, ts })), { qos: 1 });
    const presence = await t.gw.db.prisma.deviceEvent.findMany({ where: { deviceId: BUTTON.id, channel: 'status' }, orderBy: { seq: 'asc' } });
    expect(presence.map((r) => r.reusedEventId)).toEqual([false, true]);
    // A press after them goes through the same writer: once it is counted, anything they raised would be too.
    await c.publishAsync(topic, JSON.stringify(AlarmPress.parse({ eventId: 'e-2', ts: new Date().toISOString() })), { qos: 1 });
    await expect.poll(alerts, { timeout: 10_000 }).toEqual(expect.arrayContaining([{ type: 'alarm_press', count: 3 }]));
    expect((await alerts()).filter((a) => a.type === 'event_id_reused')).toEqual([{ type: 'event_id_reused', count: 1 }]);
  });
});
