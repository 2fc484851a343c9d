import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { IngestedEvent } from '../gateway/src/bus';
import { AlarmPress, DoorState, topicFor } from '../gateway/src/contracts';
import { rawDevice } from './helpers/device-client';
import { failFdatasync, holdFdatasync, restoreFdatasync } from './helpers/fdatasync';
import { addDevice } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { closedBy } from './helpers/mqtt';

const DOOR = { id: 'door-wal-sync', kind: 'face_terminal', secret: 'wal-sync-secret-01' } as const;
const body = (eventId: string) => JSON.stringify(DoorState.parse({ eventId, ts: new Date().toISOString(), state: 'closed', cause: 'unknown' }));

// The device events' commit runs with synchronous=NORMAL and the WAL is then fdatasync'd off the event loop
// (db/event-writer.ts, db/wal-sync.ts): these tests hold or fail that fdatasync and watch the MQTT side.
describe('ingest: a PUBACK only once the WAL is on disk (the fsync off the event loop)', () => {
  let t: TestGateway;
  const events: IngestedEvent[] = [];
  const busSaw = (eventId: string) => events.filter((e) => e.deviceId === DOOR.id && 'eventId' in e.payload && e.payload.eventId === eventId).length;
  const readiness = async () => {
    const res = await fetch(`${t.httpUrl}/readyz`);
    const body = z.object({ checks: z.object({ ingest: z.object({ state: z.string() }) }) }).parse(await res.json());
    return { status: res.status, ingest: body.checks.ingest.state };
  };
  const stored = (eventId: string) => t.gw.db.prisma.deviceEvent.count({ where: { deviceId: DOOR.id, eventId } });

  beforeAll(async () => {
    t = await startGateway();
    await addDevice(t.gw.db.prisma, DOOR);
    t.gw.bus.on('device-event', (e) => events.push(e));
  });
  afterEach(restoreFdatasync);
  afterAll(() => t.close());

  it('commits the event, then holds its PUBACK and its bus event while the WAL fdatasync is pending, and sends both once it completes', async () => {
    const { client } = await rawDevice(t.mqttUrl, DOOR);
    const disk = holdFdatasync();
    let acked = false;
    const ack = client.publishAsync(topicFor('doorState', DOOR.id), body('held-1'), { qos: 1 }).then(() => {
      acked = true;
    });

    // The WAL sync was asked for: the row is committed (another connection reads it) ...
    await expect.poll(() => disk.held(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await stored('held-1')).toBe(1);
    // ... and the broker keeps serving this very connection (a SUBACK comes back), yet no PUBACK and no bus event.
    await client.subscribeAsync(topicFor('error', DOOR.id), { qos: 0 });
    expect(acked).toBe(false);
    expect(busSaw('held-1')).toBe(0);

    disk.release();
    await ack;
    expect(busSaw('held-1')).toBe(1);
    await client.endAsync();
  });

  it('acknowledges nothing when the disk fails the sync: the device is dropped unacknowledged, /readyz says ingest is failing, and its resend is taken once a sync succeeds', async () => {
    const { client } = await rawDevice(t.mqttUrl, DOOR);
    failFdatasync();
    const closed = closedBy(client);
    const payload = body('eio-1');
    let acked = false;
    void client.publishAsync(topicFor('doorState', DOOR.id), payload, { qos: 1 }).then(
      () => void (acked = true),
      () => undefined,
    );
    await closed;
    expect(acked).toBe(false);
    expect(busSaw('eio-1')).toBe(0);
    // The row itself was committed (whether it reached the disk is unknown): the resend finds it, a duplicate.
    expect(await stored('eio-1')).toBe(1);
    expect(await readiness()).toEqual({ status: 503, ingest: 'failing' });

    restoreFdatasync();
    const again = await rawDevice(t.mqttUrl, DOOR);
    await again.client.publishAsync(topicFor('doorState', DOOR.id), payload, { qos: 1, dup: true });
    expect(await stored('eio-1')).toBe(1);
    expect(await readiness()).toEqual({ status: 200, ingest: 'ok' });
    await again.client.endAsync();
  });
});

describe('the alert outbox sweep leaves alone an entry whose batch still waits for its WAL sync', () => {
  const ALARM = { id: 'alarm-wal-sync', kind: 'indoor_alarm', secret: 'wal-sync-alarm-01' } as const;
  let t: TestGateway;
  // A sweep every 100 ms: many run while the sync is held.
  beforeAll(async () => {
    t = await startGateway({ ALERT_OUTBOX_SWEEP_MS: '100' });
    await addDevice(t.gw.db.prisma, ALARM);
  });
  afterEach(restoreFdatasync);
  afterAll(() => t.close());

  const metric = async (name: string) => (await t.gw.metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value;

  it('counts a press once: the sweep does not judge it while its sync is pending, the bus brings it after', async () => {
    const { client } = await rawDevice(t.mqttUrl, ALARM);
    const disk = holdFdatasync();
    const ack = client.publishAsync(topicFor('alarmPress', ALARM.id), JSON.stringify(AlarmPress.parse({ eventId: 'press-held-1', ts: new Date().toISOString() })), { qos: 1 });
    await expect.poll(() => disk.held(), { timeout: 30_000 }).toBeGreaterThan(0);
    // The press and its outbox entry are committed, and a sweep has run since (it counts the entry as pending).
    expect(await t.gw.db.prisma.alertOutbox.count({ where: { deviceId: ALARM.id } })).toBe(1);
    await expect.poll(() => metric('linli_alert_outbox_pending'), { timeout: 30_000 }).toBe(1);
    disk.release();
    await ack;
    await expect.poll(() => t.gw.db.prisma.alertOutbox.count({ where: { deviceId: ALARM.id } }), { timeout: 30_000 }).toBe(0);
    const alerts = await t.gw.db.prisma.alert.findMany({ where: { deviceId: ALARM.id } });
    expect(alerts.map((a) => a.count)).toEqual([1]);
    expect(await metric('linli_alert_outbox_swept_total')).toBe(0);
    await client.endAsync();
  });
});
