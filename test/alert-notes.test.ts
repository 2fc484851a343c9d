import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { AlarmButton, FaceTerminal, mqttLinks } from '../devices-sim/src/devices';
import { SystemNote } from '../gateway/src/contracts/api/alert-notes';
import { Alert, AlertDetail, AlertList, PlaceCode } from '../gateway/src/contracts/api/alerts';
import { addPlacedDevice, api, login } from './helpers/alert-fixtures';
import { addUser } from './helpers/fixtures';
import { type TestGateway, freshDatabase, startGateway } from './helpers/gateway';
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

/**
 * An alert tied to no device and no household has no place in the compound's data: its place is a code the UI
 * translates (PlaceCode), never a Chinese fallback. The one the gateway raises itself: an escalation chain with no
 * channel above the guard station (the default chain) is a maintenance alert at start.
 */
describe('the gateway\'s own maintenance alert', () => {
  const db = freshDatabase();
  let t: TestGateway | undefined;

  afterAll(async () => {
    await t?.close();
  });

  const boot = async (env: Record<string, string> = {}) => {
    await t?.close();
    t = await startGateway(env, db, async (gw) => {
      await addUser(gw.db.prisma, { username: 'guard-chain', password: 'night-shift-pw', role: 'guard' }).catch(() => undefined);
    });
    return { t, guard: await login(t.httpUrl, 'guard-chain', 'night-shift-pw') };
  };
  const own = async (g: { t: TestGateway; guard: string }) => {
    await g.t.gw.alerts.idle();
    const list = AlertList.parse((await api(g.t.httpUrl, g.guard, 'GET', '/api/v1/alerts?status=open,acknowledged,cleared&type=escalation_unreachable')).body);
    return list.alerts;
  };

  it('is raised at start when no level above the guard station can be told, placed by code, and the guard acknowledges it', async () => {
    const g = await boot();
    const alerts = await own(g);
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a).toMatchObject({ type: 'escalation_unreachable', category: 'maintenance', status: 'open', deviceId: null, householdId: null, place: { label: 'gateway', kind: null } });
    expect(PlaceCode.options).toContain(a.place.label);
    expect(a.place.label).not.toMatch(CJK);
    const acked = await api(g.t.httpUrl, g.guard, 'POST', `/api/v1/alerts/${a.id}/acknowledge`, {});
    expect(acked.status).toBe(200);
    expect(Alert.parse(acked.body)).toMatchObject({ status: 'acknowledged', ackedBy: 'guard-chain' });
  });

  it('is not raised again by a restart with the same chain, and clears once a level can be told', async () => {
    const same = await boot();
    expect((await own(same)).map((a) => a.status)).toEqual(['acknowledged']);
    const working = await boot({
      ESCALATION_CHAIN: JSON.stringify([{ name: 'guard_station' }, { name: 'grid_worker', url: 'http://127.0.0.1:9/hook' }]),
      WEBHOOK_SECRET: 'webhook-secret-for-tests-0123456789abcdef',
    });
    const [a] = await own(working);
    expect(a?.status).toBe('cleared');
    const history = AlertDetail.parse((await api(working.t.httpUrl, working.guard, 'GET', `/api/v1/alerts/${a?.id}`)).body).history;
    for (const h of history.filter((x) => x.actor === 'system')) {
      if (h.note !== null) expect(SystemNote.options).toContain(h.note);
    }
    expect(history.map((h) => h.action)).toEqual(expect.arrayContaining(['raised', 'acknowledged', 'cleared']));
  });
});
