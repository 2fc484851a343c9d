import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmButton, mqttLinks } from '../devices-sim/src/devices';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { Alert, AlertDetail, AlertList, ResponseTimeReport } from '../gateway/src/contracts/api/alerts';
import { LiveAlertChange, LiveHello, LiveSnapshot, LiveTicketReply } from '../gateway/src/contracts/live';
import { addPlacedDevice, api, login, tagHousehold } from './helpers/alert-fixtures';
import { addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { SseClient } from './helpers/sse';

const BUTTON = { id: 'alarm-in-1-1-501', kind: 'indoor_alarm', secret: 'alarm-secret-501x', placeKind: 'household', householdId: 'hh-501' } as const;
const POST = { id: 'alarm-out-07', kind: 'outdoor_alarm', secret: 'alarm-secret-post7', placeKind: 'outdoor', name: '户外一键报警柱 07' } as const;
const DOOR = { id: 'door-b01-u1', kind: 'face_terminal', secret: 'door-secret-b01u1', placeKind: 'unit_door' } as const;

const isAlert = (f: { event: string }) => f.event === 'alert';
const change = (f: { data: unknown }) => LiveAlertChange.parse(f.data);

describe('alerts at the guard station', () => {
  let t: TestGateway;
  let guard: string;
  const buttons: AlarmButton[] = [];
  const streams: SseClient[] = [];
  const live = `/api/v1/live/alerts`;

  const button = async (d: { id: string; kind: 'indoor_alarm' | 'outdoor_alarm'; secret: string }) => {
    const b = new AlarmButton({ id: d.id, kind: d.kind, secret: d.secret, link: mqttLinks({ url: t.mqttUrl }), clock: new AcceleratedClock() });
    buttons.push(b);
    expect(await b.start()).toEqual({ ok: true });
    return b;
  };
  const stream = async (opts: { lastEventId?: number; query?: string } = {}) => {
    const s = await SseClient.open(`${t.httpUrl}${live}${opts.query ?? ''}`, { token: guard, ...(opts.lastEventId !== undefined ? { lastEventId: opts.lastEventId } : {}) });
    streams.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await startGateway({ LIVE_HEARTBEAT_SEC: '0.5', LIVE_ACK_TIMEOUT_SEC: '1.5' });
    const prisma = t.gw.db.prisma;
    for (const d of [BUTTON, POST, DOOR]) await addPlacedDevice(prisma, d);
    await tagHousehold(prisma, 'hh-501', ['elderly_alone']);
    await addUser(prisma, { username: 'guard1', password: 'night-shift-pw', role: 'guard' });
    await addUser(prisma, { username: 'r-501', password: 'resident-pw-1', role: 'resident', householdId: 'hh-501' });
    guard = await login(t.httpUrl, 'guard1', 'night-shift-pw');
  });
  afterAll(async () => {
    await Promise.all(streams.map((s) => s.close()));
    await Promise.all(buttons.map((b) => b.close()));
    await t.close();
  });

  it('shows an alarm pressed over MQTT on the live stream, with the place in words and the household\'s tags', async () => {
    const s = await stream();
    const hello = LiveHello.parse((await s.next((f) => f.event === 'hello')).data);
    expect(hello).toMatchObject({ resumed: false, heartbeatSec: 0.5, ackWithinSec: null });
    LiveSnapshot.parse((await s.next((f) => f.event === 'snapshot')).data);
    const b = await button(BUTTON);
    const sent = await b.press();
    expect(sent.ok).toBe(true);
    const frame = change(await s.next(isAlert));
    expect(frame).toMatchObject({ action: 'raised', actor: 'system' });
    expect(frame.alert).toMatchObject({
      type: 'alarm_press',
      severity: 'critical',
      status: 'open',
      latched: true,
      deviceId: BUTTON.id,
      householdId: 'hh-501',
      tags: ['elderly_alone'],
      place: { label: '1号楼1单元hh-501', kind: 'household', householdId: 'hh-501' },
      escalationTarget: 'guard_station',
      deadlineKind: 'ack',
    });
  });

  it('keeps a latched alarm after the device cancels, records the request, and ends it only by a guard\'s reset', async () => {
    const s = await stream();
    const snap = LiveSnapshot.parse((await s.next((f) => f.event === 'snapshot')).data);
    const alarm = snap.alerts.find((a) => a.deviceId === BUTTON.id);
    expect(alarm).toBeDefined();
    await buttons[0]!.cancel();
    const cancel = change(await s.next(isAlert));
    expect(cancel).toMatchObject({ action: 'cancel_requested', actor: `device:${BUTTON.id}`, alert: { status: 'open', id: alarm!.id } });
    expect(cancel.alert.cancelRequestedAt).not.toBeNull();

    const ack = await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${alarm!.id}/acknowledge`, { note: '已电话联系住户' });
    expect(ack.status).toBe(200);
    expect(Alert.parse(ack.body)).toMatchObject({ status: 'acknowledged', ackedBy: 'guard1', ackNote: '已电话联系住户', nextDeadlineAt: null });
    const again = await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${alarm!.id}/acknowledge`, {});
    expect(again).toMatchObject({ status: 409, body: { error: 'CONFLICT', details: { ackedBy: 'guard1' } } });
    expect((await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${alarm!.id}/clear`, {})).status).toBe(400);

    const reset = await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${alarm!.id}/clear`, { note: '到场确认：老人误按，已复位' });
    expect(Alert.parse(reset.body)).toMatchObject({ status: 'cleared', clearedBy: 'guard1', clearNote: '到场确认：老人误按，已复位' });
    await s.next((f) => isAlert(f) && change(f).action === 'cleared');
    expect(s.frames.filter(isAlert).map((f) => change(f)).filter((c) => c.alert.id === alarm!.id).map((c) => c.action)).toEqual(['cancel_requested', 'acknowledged', 'cleared']);

    const detail = AlertDetail.parse((await api(t.httpUrl, guard, 'GET', `/api/v1/alerts/${alarm!.id}`)).body);
    expect(detail.history.map((h) => h.action)).toEqual(['raised', 'cancel_requested', 'acknowledged', 'cleared']);
    expect(detail.history.map((h) => h.actor)).toEqual(['system', `device:${BUTTON.id}`, 'guard1', 'guard1']);
    const audit = await t.gw.db.prisma.auditLog.findMany({ where: { entity: 'Alert', entityId: alarm!.id }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['alert.raised', 'alert.cancel_requested', 'alert.acknowledged', 'alert.cleared']);
  });

  it('folds repeated presses into one open alert with a count', async () => {
    const b = await button(POST);
    await b.press();
    await t.gw.alerts.idle();
    await b.press();
    await b.press();
    await t.gw.alerts.idle();
    const list = AlertList.parse((await api(t.httpUrl, guard, 'GET', `/api/v1/alerts?deviceId=${POST.id}`)).body);
    expect(list.total).toBe(1);
    expect(list.alerts[0]).toMatchObject({ count: 3, place: { label: '户外一键报警柱 07', kind: 'outdoor', x: 12, y: 34 } });
  });

  it('raises door incidents reported by access control on the bus', async () => {
    const s = await stream();
    await s.next((f) => f.event === 'snapshot');
    t.gw.bus.emit('access-incident', { type: 'forced_entry', deviceId: DOOR.id, at: new Date(), detail: { openSec: 3 } });
    const frame = change(await s.next(isAlert));
    expect(frame.alert).toMatchObject({ type: 'forced_entry', severity: 'critical', category: 'security', place: { label: '1号楼1单元门', kind: 'unit_door' }, detail: { openSec: 3 } });
  });

  it('sorts the most urgent first: an elderly person living alone above another critical alarm', async () => {
    await buttons[0]!.press();
    await t.gw.alerts.idle();
    const list = AlertList.parse((await api(t.httpUrl, guard, 'GET', '/api/v1/alerts?severity=critical')).body);
    expect(list.alerts[0]).toMatchObject({ deviceId: BUTTON.id, tags: ['elderly_alone'] });
    expect(list.alerts.map((a) => a.priority)).toEqual([...list.alerts.map((a) => a.priority)].sort((x, y) => y - x));
  });

  it('sends a disconnected client exactly the changes it missed when it reconnects with its last id', async () => {
    const watcher = await stream();
    await watcher.next((f) => f.event === 'snapshot');
    const dropped = await stream();
    await dropped.next((f) => f.event === 'snapshot');
    const lastSeen = dropped.lastId!;
    await dropped.close();

    // Changes while it is away: an acknowledgement, a forced door, an assignment.
    const open = AlertList.parse((await api(t.httpUrl, guard, 'GET', `/api/v1/alerts?deviceId=${POST.id}`)).body).alerts[0]!;
    await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${open.id}/acknowledge`, { note: '巡逻员前往' });
    t.gw.bus.emit('access-incident', { type: 'held_open', deviceId: DOOR.id, at: new Date(), detail: { openSec: 75 } });
    await t.gw.alerts.idle();
    await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${open.id}/assign`, { assignee: 'patrol-2' });
    await t.gw.alerts.idle();

    const resumed = await stream({ lastEventId: lastSeen });
    expect(LiveHello.parse((await resumed.next((f) => f.event === 'hello')).data).resumed).toBe(true);
    const missed = watcher.frames.filter((f) => f.event === 'alert' && f.id! > lastSeen);
    expect(missed.length).toBe(3);
    const last = missed.at(-1)!.id!;
    await resumed.next((f) => f.id === last);
    // Then live again: the next change reaches both, once.
    t.gw.bus.emit('access-incident', { type: 'repeated_denials', deviceId: DOOR.id, at: new Date(), detail: { denials: 5 } });
    const next = await watcher.next((f) => isAlert(f) && f.id! > last);
    await resumed.next((f) => f.id === next.id);

    const got = resumed.frames.filter(isAlert);
    expect(resumed.frames.some((f) => f.event === 'snapshot')).toBe(false);
    expect(got.map((f) => f.id)).toEqual([...missed.map((f) => f.id), next.id]);
    expect(got.map((f) => f.data)).toEqual([...missed.map((f) => f.data), next.data]);
  });

  it('gives a client without a usable last id a fresh snapshot', async () => {
    const s = await stream({ lastEventId: 10_000_000 });
    expect(LiveHello.parse((await s.next((f) => f.event === 'hello')).data).resumed).toBe(false);
    const snap = LiveSnapshot.parse((await s.next((f) => f.event === 'snapshot')).data);
    expect(snap.alerts.every((a) => a.status !== 'cleared')).toBe(true);
  });

  it('sends heartbeats, and drops a supervised client that stops acknowledging them', async () => {
    const quiet = await stream({ query: '?ack=1' });
    const hello = LiveHello.parse((await quiet.next((f) => f.event === 'hello')).data);
    expect(hello.ackWithinSec).toBe(1.5);
    await quiet.next((f) => f.event === 'heartbeat');
    const acking = await stream({ query: '?ack=1' });
    const id = LiveHello.parse((await acking.next((f) => f.event === 'hello')).data).connectionId;
    const pump = setInterval(() => void api(t.httpUrl, guard, 'POST', '/api/v1/live/ack', { connectionId: id }), 300);
    const started = Date.now();
    await quiet.closed;
    clearInterval(pump);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(acking.res.closed).toBe(false);
    expect((await api(t.httpUrl, guard, 'POST', '/api/v1/live/ack', { connectionId: 'nope' })).status).toBe(404);
  });

  it('lets only guards and admins in; a token in the URL never works, a single-use ticket opens one stream', async () => {
    await expect(SseClient.open(`${t.httpUrl}${live}`)).rejects.toMatchObject({ status: 401 });
    const resident = await login(t.httpUrl, 'r-501', 'resident-pw-1');
    await expect(SseClient.open(`${t.httpUrl}${live}`, { token: resident })).rejects.toMatchObject({ status: 403 });
    expect((await api(t.httpUrl, resident, 'GET', '/api/v1/alerts')).status).toBe(403);
    expect((await api(t.httpUrl, resident, 'POST', '/api/v1/live/ticket')).status).toBe(403);
    await expect(SseClient.open(`${t.httpUrl}${live}?token=${guard}`)).rejects.toMatchObject({ status: 401 });
    expect((await api(t.httpUrl, null, 'GET', `/api/v1/alerts?token=${guard}`)).status).toBe(401);

    const issued = await fetch(`${t.httpUrl}/api/v1/live/ticket`, { method: 'POST', headers: { authorization: `Bearer ${guard}` } });
    expect(issued.status).toBe(200);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const { ticket } = LiveTicketReply.parse(await issued.json());
    const viaTicket = await SseClient.open(`${t.httpUrl}${live}?ticket=${ticket}`);
    streams.push(viaTicket);
    await viaTicket.next((f) => f.event === 'snapshot');
    // Used up: the same URL, copied from a log or a browser history, opens nothing.
    await expect(SseClient.open(`${t.httpUrl}${live}?ticket=${ticket}`)).rejects.toMatchObject({ status: 401 });
  });

  it('shows residents their own household\'s alarms and whether they were answered', async () => {
    const resident = await login(t.httpUrl, 'r-501', 'resident-pw-1');
    const mine = AlertList.parse((await api(t.httpUrl, resident, 'GET', '/api/v1/my/alarms')).body);
    expect(mine.alerts.length).toBeGreaterThan(0);
    expect(mine.alerts.every((a) => a.householdId === 'hh-501' && a.type === 'alarm_press')).toBe(true);
    expect(mine.alerts.some((a) => a.status === 'cleared' && a.clearNote === '到场确认：老人误按，已复位')).toBe(true);
    expect((await api(t.httpUrl, guard, 'GET', '/api/v1/my/alarms')).status).toBe(403);
  });

  it('answers 404 for an unknown alert and 409 for changing a cleared one', async () => {
    expect((await api(t.httpUrl, guard, 'POST', '/api/v1/alerts/nope/acknowledge', {})).status).toBe(404);
    const cleared = AlertList.parse((await api(t.httpUrl, guard, 'GET', '/api/v1/alerts?status=cleared')).body).alerts[0]!;
    expect((await api(t.httpUrl, guard, 'POST', `/api/v1/alerts/${cleared.id}/assign`, { assignee: 'x' })).status).toBe(409);
  });

  it('documents the alert and live routes in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${t.httpUrl}/docs/json`)).json()) as { paths: Record<string, unknown> };
    for (const path of ['/api/v1/alerts', '/api/v1/alerts/{id}', '/api/v1/alerts/{id}/clear', '/api/v1/live/alerts', '/api/v1/alerts/report/response-times']) expect(doc.paths).toHaveProperty([path]);
  });

  it('reports response times per day and type', async () => {
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const r = await api(t.httpUrl, guard, 'GET', `/api/v1/alerts/report/response-times?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(r.status).toBe(200);
    const report = ResponseTimeReport.parse(r.body);
    const alarm = report.rows.find((row) => row.type === 'alarm_press');
    expect(alarm).toMatchObject({ acknowledged: expect.any(Number), cleared: 1 });
    expect(alarm?.ackP50Sec).not.toBeNull();
  });
});
