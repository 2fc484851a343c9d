import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { FaceTerminal, Streetlight, mqttLinks } from '../devices-sim/src/devices';
import { siteRepo } from '../gateway/src/db/site';
import { AccessLog, DeviceEventList, DeviceStates, SitePlan } from '../gateway/src/contracts/api/site';
import { addPlacedDevice } from './helpers/alert-fixtures';
import { type AccessCompound, addAccessCompound } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';

describe('site plan, device states, device events and the access log', () => {
  let t: TestGateway;
  let c: AccessCompound;
  let api: ApiClient;
  let guard: string;
  let resident: string;
  const clock = new AcceleratedClock();
  let door: FaceTerminal;
  let lamp: Streetlight;

  beforeAll(async () => {
    t = await startGateway({ UI_DIST_DIR: '' });
    c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    await addPlacedDevice(t.gw.db.prisma, { id: 'lamp-001', kind: 'streetlight', secret: 'lamp-secret-0001x', placeKind: 'outdoor', name: '路灯 001' });
    await t.gw.access.reload();
    const link = mqttLinks({ url: t.mqttUrl });
    door = new FaceTerminal({ ...c.doors.b1, link, clock });
    lamp = new Streetlight({ id: 'lamp-001', secret: 'lamp-secret-0001x', link, clock });
    for (const d of [door, lamp]) expect(await d.start()).toEqual({ ok: true });
    api = apiClient(t.httpUrl);
    guard = await api.login(c.users.guard);
    resident = await api.login(c.users.a);
  });
  afterAll(async () => {
    await door?.close();
    await lamp?.close();
    clock.stop();
    await t?.close();
  });

  const states = async () => DeviceStates.parse((await api.get('/api/v1/devices/states', guard)).body);
  const stateOf = async (id: string) => (await states()).devices.find((d) => d.id === id);

  it('draws the compound: buildings with their units, every device with its position and household', async () => {
    const r = await api.get('/api/v1/site', guard);
    expect(r.status).toBe(200);
    const plan = SitePlan.parse(r.body);
    expect(plan.community.name).toBe('测试小区');
    expect(plan.buildings.map((b) => b.name)).toEqual(['1号楼', '2号楼']);
    expect(plan.buildings[0]!.units).toEqual([{ id: 'b01-u1', number: 1 }]);
    expect(plan.devices.find((d) => d.id === 'door-b01-u1')).toMatchObject({ kind: 'face_terminal', placeKind: 'unit_door', buildingId: 'b01' });
    expect(plan.width).toBeGreaterThan(0);
  });

  it('follows a door from closed to open, and a lamp\'s state, as the devices report them', async () => {
    await door.reportDoor('closed', 'exit_button');
    await expect.poll(async () => (await stateOf(door.id))?.door?.state).toBe('closed');
    const before = await states();
    await door.reportDoor('open', 'exit_button');
    await expect.poll(async () => (await stateOf(door.id))?.door).toMatchObject({ state: 'open', cause: 'exit_button' });
    expect((await states()).version).toBeGreaterThan(before.version);
    expect(await stateOf(door.id)).toMatchObject({ online: true });
    await door.reportDoor('closed', 'exit_button');

    await lamp.setLight(true, 80);
    await expect.poll(async () => (await stateOf('lamp-001'))?.lamp).toMatchObject({ on: true, brightness: 80, fault: null });
    await lamp.fail('lamp_failure');
    await expect.poll(async () => (await stateOf('lamp-001'))?.lamp).toMatchObject({ on: false, fault: 'lamp_failure' });
  });

  it('finds the latest stored state message of each device (where states start after a restart)', async () => {
    const latest = await siteRepo(t.gw.db).latestStates();
    expect(latest.find((m) => m.deviceId === 'lamp-001' && m.channel === 'light/state')).toBeDefined();
    expect(latest.find((m) => m.deviceId === door.id && m.channel === 'door/state')).toBeDefined();
  });

  it('lists a device\'s recent events without heartbeats or credential values', async () => {
    await door.requestAccess({ type: 'card', value: c.values.cardA }, 'in');
    const r = await api.get(`/api/v1/devices/${door.id}/events?limit=10`, guard);
    expect(r.status).toBe(200);
    const list = DeviceEventList.parse(r.body);
    expect(list.events.length).toBeGreaterThan(0);
    expect(list.events.every((e) => e.channel !== 'heartbeat' && e.channel !== 'access/request')).toBe(true);
    expect(list.events.find((e) => e.channel === 'door/state')?.detail).toMatchObject({ state: 'closed', cause: 'exit_button' });
    expect(JSON.stringify(list)).not.toContain(c.values.cardA);
    expect((await api.get('/api/v1/devices/no-such-device/events', guard)).status).toBe(404);
  });

  it('searches the access log by household and filters by decision, with names masked', async () => {
    await door.requestAccess({ type: 'card', value: '0000000000' }, 'in');
    // The reply goes out before the decision's group commit: wait for both rows.
    await expect.poll(async () => AccessLog.parse((await api.get('/api/v1/access-log', guard)).body).total).toBeGreaterThanOrEqual(2);
    const mine = AccessLog.parse((await api.get(`/api/v1/access-log?q=${encodeURIComponent('1-1-101')}`, guard)).body);
    expect(mine.entries.length).toBeGreaterThan(0);
    expect(mine.entries.every((e) => e.householdLabel === '1-1-101')).toBe(true);
    expect(mine.entries[0]).toMatchObject({ decision: 'grant', deviceName: 'door-b01-u1', person: { kind: 'resident', name: '王*' } });
    const denied = AccessLog.parse((await api.get('/api/v1/access-log?decision=deny', guard)).body);
    expect(denied.entries.length).toBeGreaterThan(0);
    expect(denied.entries.every((e) => e.decision === 'deny')).toBe(true);
    const byName = AccessLog.parse((await api.get(`/api/v1/access-log?q=${encodeURIComponent('王小明')}`, guard)).body);
    expect(byName.total).toBe(mine.total);
    // A door's name typed in another case finds it, on SQLite (LIKE) and PostgreSQL (ILIKE) alike.
    const byDoor = AccessLog.parse((await api.get(`/api/v1/access-log?q=${encodeURIComponent('DOOR-B01-U1')}`, guard)).body);
    expect(byDoor.total).toBeGreaterThan(0);
    expect(byDoor.entries.every((e) => e.deviceName === 'door-b01-u1')).toBe(true);
    const future = AccessLog.parse((await api.get(`/api/v1/access-log?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, guard)).body);
    expect(future.total).toBe(0);
  });

  it('lets only guards and admins read the site routes', async () => {
    for (const path of ['/api/v1/site', '/api/v1/devices/states', `/api/v1/devices/${door.id}/events`, '/api/v1/access-log']) {
      expect((await api.get(path)).status, path).toBe(401);
      expect((await api.get(path, resident)).status, path).toBe(403);
    }
  });
});

describe('serving the guard station UI', () => {
  let t: TestGateway;
  const dist = mkdtempSync(join(tmpdir(), 'linli-ui-'));

  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>门卫值班台</title>');
    writeFileSync(join(dist, 'assets', 'app-abc123.js'), 'console.log(1)');
    t = await startGateway({ UI_DIST_DIR: dist });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('serves index.html at / and for the app\'s own routes, with no-cache and a strict CSP', async () => {
    for (const path of ['/', '/board', '/map/door-b01-u1']) {
      const r = await fetch(`${t.httpUrl}${path}`);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type')).toContain('text/html');
      expect(r.headers.get('cache-control')).toBe('no-cache');
      expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(await r.text()).toContain('门卫值班台');
    }
  });

  it('serves hashed assets as immutable and answers 404 for missing files', async () => {
    const r = await fetch(`${t.httpUrl}/assets/app-abc123.js`);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${t.httpUrl}/assets/missing.js`)).status).toBe(404);
    // A path that climbs out of the folder is never a file there: at most it is the app's page.
    expect(await (await fetch(`${t.httpUrl}/..%2f..%2fetc%2fpasswd`)).text()).not.toContain('root:');
  });

  it('keeps API routes first: known ones answer, unknown ones stay JSON 404s', async () => {
    expect((await fetch(`${t.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.httpUrl}/api/v1/alerts`)).status).toBe(401);
    const missing = await fetch(`${t.httpUrl}/api/v1/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'NOT_FOUND' });
    expect((await fetch(`${t.httpUrl}/docs/json`)).status).toBe(200);
  });
});
