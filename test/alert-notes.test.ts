import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { AlarmButton, FaceTerminal, mqttLinks } from '../devices-sim/src/devices';
import { SystemNote } from '../gateway/src/contracts/api/alert-notes';
import { AlertDetail, AlertList } from '../gateway/src/contracts/api/alerts';
import { addPlacedDevice, login } from './helpers/alert-fixtures';
import { addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { webhookReceiver } from './helpers/webhook-receiver';

/** Chinese (CJK) characters: a sentence written by the gateway instead of a code the UI translates. */
const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;

/**
 * No developer text on the guard's screen (issue 13): everything the alert engine, its rules, the escalation and the
 * notifier write into an alert's history is a code from SystemNote, with its parameters in `detail`, so the UI can
 * say it in the guard's language. This drives every kind of system note through a real gateway (MQTT devices, the
 * escalation sweep, a failing webhook) and reads what the UI reads: GET /alerts and GET /alerts/{id}.
 */
describe('alert notes sent to the UI are codes', () => {
  let t: TestGateway;
  let token: string;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  const clock = new AcceleratedClock();
  const closers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    hook = await webhookReceiver(() => 500);
    t = await startGateway({
      ESCALATION_CHAIN: JSON.stringify([{ name: 'guard_station' }, { name: 'grid_worker', url: hook.url }, { name: 'street_office' }]),
      WEBHOOK_SECRET: 'webhook-secret-for-tests-0123456789abcdef',
      WEBHOOK_MAX_ATTEMPTS: '1',
      ALERT_ACK_SEC_CRITICAL: '1',
      ALERT_ACK_SEC_MAJOR: '1',
      ALERT_SWEEP_MS: '100',
      SUPERVISION_GRACE_SEC: '0.3',
    });
    const prisma = t.gw.db.prisma;
    await addPlacedDevice(prisma, { id: 'alarm-notes', kind: 'indoor_alarm', secret: 'alarm-notes-secret', placeKind: 'household', householdId: 'hh-notes' });
    await addPlacedDevice(prisma, { id: 'door-notes', kind: 'face_terminal', secret: 'door-notes-secret', placeKind: 'unit_door' });
    await addPlacedDevice(prisma, { id: 'post-notes', kind: 'outdoor_alarm', secret: 'post-notes-secret', placeKind: 'outdoor' });
    await addUser(prisma, { username: 'guard1', password: 'night-shift-pw', role: 'guard' });
    token = await login(t.httpUrl, 'guard1', 'night-shift-pw');
  });
  afterAll(async () => {
    for (const c of closers) await c.close();
    clock.stop();
    await t.close();
    await hook.close();
  });

  const get = async (path: string) => (await fetch(`${t.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })).json();
  const history = async () => {
    const list = AlertList.parse(await get('/api/v1/alerts?status=open,acknowledged,cleared&limit=500'));
    const all = [];
    for (const a of list.alerts) all.push(...AlertDetail.parse(await get(`/api/v1/alerts/${a.id}`)).history);
    return all;
  };
  const notesOf = async (action: string) => (await history()).filter((h) => h.action === action).map((h) => h.note);

  it('drives every kind of system note', async () => {
    const link = mqttLinks({ url: t.mqttUrl });
    // A one-key alarm and the resident's cancel; nobody answers: escalation (webhook fails), then the top.
    const alarm = new AlarmButton({ id: 'alarm-notes', kind: 'indoor_alarm', secret: 'alarm-notes-secret', link, clock });
    closers.push(alarm);
    await alarm.start();
    await alarm.press();
    await alarm.cancel();
    // A door held open, then closed.
    const door = new FaceTerminal({ id: 'door-notes', secret: 'door-notes-secret', link, clock });
    closers.push(door);
    await door.start();
    t.gw.bus.emit('access-incident', { type: 'held_open', deviceId: 'door-notes', at: new Date(), detail: { openSec: 75 } });
    await t.gw.alerts.idle();
    await door.reportDoor('closed', 'exit_button');
    // A device that vanishes and comes back.
    const post = new AlarmButton({ id: 'post-notes', kind: 'outdoor_alarm', secret: 'post-notes-secret', link: mqttLinks({ url: t.mqttUrl, reconnect: false }), clock });
    await post.start();
    await post.close({ abrupt: true });
    await expect.poll(async () => (await notesOf('raised')).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const back = new AlarmButton({ id: 'post-notes', kind: 'outdoor_alarm', secret: 'post-notes-secret', link, clock });
    closers.push(back);
    await back.start();

    await expect.poll(() => notesOf('cancel_requested'), { timeout: 10_000 }).toEqual(['resident_cancel']);
    await expect.poll(async () => (await notesOf('condition_ended')).concat(await notesOf('cleared')), { timeout: 10_000 }).toEqual(expect.arrayContaining(['door_closed', 'device_online']));
    await expect.poll(() => notesOf('notification_failed'), { timeout: 15_000 }).toContain('notify_failed');
    await expect.poll(() => notesOf('escalated'), { timeout: 15_000 }).toContain('escalated_no_ack');
  });

  it('every note the gateway wrote is a code with no CJK characters; the webhook reason too', async () => {
    const rows = await history();
    expect(rows.length).toBeGreaterThanOrEqual(8);
    const written = rows.filter((h) => h.actor === 'system' || h.actor.startsWith('device:'));
    for (const h of written) {
      if (h.note === null) continue;
      expect(h.note, `${h.action} by ${h.actor}`).not.toMatch(CJK);
      expect(SystemNote.options, `${h.action} by ${h.actor}: ${h.note}`).toContain(h.note);
    }
    // Escalations carry their parameters for the UI.
    const step = written.find((h) => h.note === 'escalated_no_ack');
    expect(step?.detail).toMatchObject({ target: 'grid_worker', waitedSec: 1 });
    for (const call of hook.calls) expect(JSON.parse(call.body).reason ?? '').not.toMatch(CJK);
    expect(hook.calls.length).toBeGreaterThan(0);
  });
});
