import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { AlarmButton, mqttLinks } from '../devices-sim/src/devices';
import { LiveAlertChange } from '../gateway/src/contracts/live';
import { addPlacedDevice, login } from './helpers/alert-fixtures';
import { addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { SseClient } from './helpers/sse';

const POST = { id: 'alarm-out-trace', kind: 'outdoor_alarm', secret: 'alarm-secret-trace1', placeKind: 'outdoor' } as const;

// The alarm path's stages on the `linli:alarm` diagnostics channel (gateway/src/metrics/alarm-trace.ts), which the
// bench's diagnostic preload reads to say where an alarm's time goes: they must come in the path's order, the frame
// after the commit, one of each per press.
describe('the alarm path on the linli:alarm diagnostics channel', () => {
  let t: TestGateway;
  let button: AlarmButton;
  let stream: SseClient;
  const seen: Array<{ stage: string; deviceId: string }> = [];
  const onMessage = (m: unknown) => seen.push(m as { stage: string; deviceId: string });

  beforeAll(async () => {
    t = await startGateway();
    await addPlacedDevice(t.gw.db.prisma, POST);
    await addUser(t.gw.db.prisma, { username: 'guard1', password: 'night-shift-pw', role: 'guard' });
    stream = await SseClient.open(`${t.httpUrl}/api/v1/live/alerts`, { token: await login(t.httpUrl, 'guard1', 'night-shift-pw') });
    await stream.next((f) => f.event === 'snapshot');
    button = new AlarmButton({ id: POST.id, kind: POST.kind, secret: POST.secret, link: mqttLinks({ url: t.mqttUrl }), clock: new AcceleratedClock() });
    expect(await button.start()).toEqual({ ok: true });
    subscribe('linli:alarm', onMessage);
  });
  afterAll(async () => {
    unsubscribe('linli:alarm', onMessage);
    await stream.close();
    await button.close();
    await t.close();
  });

  it('publishes received, committed, store-turn and frame for a press, in that order, before the frame reaches the screen', async () => {
    expect((await button.press()).ok).toBe(true);
    const frame = LiveAlertChange.parse((await stream.next((f) => f.event === 'alert')).data);
    expect(frame).toMatchObject({ action: 'raised', alert: { type: 'alarm_press', deviceId: POST.id } });
    expect(seen).toEqual(['received', 'committed', 'store-turn', 'frame'].map((stage) => ({ stage, deviceId: POST.id })));
  });
});
