import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSecrets, populationOf } from '../devices-sim/src/population';
import { createWorld } from '../devices-sim/src/world';
import { DeviceAdminList, DeviceAdminView, DeviceSecretReply } from '../gateway/src/contracts/api/devices';
import { api, login } from './helpers/alert-fixtures';
import { addUser, ensureHousehold } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { closedBy, connectClient, refusal } from './helpers/mqtt';

/** Waits for `check` to hold, up to a generous bound (a shared, busy machine). */
async function until(what: string, check: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Device provisioning over HTTP, checked where it matters: real MQTT logins through the gateway's broker. */
describe('device provisioning', () => {
  let t: TestGateway;
  let admin: string;
  let guard: string;
  let resident: string;
  const call = (token: string | null, method: string, path: string, body?: unknown) => api(t.httpUrl, token, method, path, body);
  const mqttLogin = (id: string, secret: string) => connectClient(t.mqttUrl, { clientId: id, username: id, password: secret });
  const door = { id: 'door-b01-u1', kind: 'face_terminal', name: '1号楼1单元门', communityId: 'test-community', placeKind: 'unit_door', buildingId: 'b01', unitId: 'b01-u1', x: 40, y: 25 };
  let provisioned: DeviceSecretReply;

  beforeAll(async () => {
    t = await startGateway();
    const prisma = t.gw.db.prisma;
    await ensureHousehold(prisma, 'hh-101');
    await prisma.community.create({ data: { id: 'other-community', name: '别的小区', latitude: 34, longitude: 108 } });
    await addUser(prisma, { username: 'boss', password: 'admin-password-1', role: 'admin' });
    await addUser(prisma, { username: 'guard1', password: 'night-shift-pw', role: 'guard' });
    await addUser(prisma, { username: 'r-101', password: 'resident-pw-1', role: 'resident', householdId: 'hh-101' });
    admin = await login(t.httpUrl, 'boss', 'admin-password-1');
    guard = await login(t.httpUrl, 'guard1', 'night-shift-pw');
    resident = await login(t.httpUrl, 'r-101', 'resident-pw-1');
  });
  afterAll(() => t.close());

  it('refuses guards and residents (403) and the anonymous (401)', async () => {
    for (const token of [guard, resident]) {
      expect((await call(token, 'GET', '/api/v1/devices')).status).toBe(403);
      expect((await call(token, 'POST', '/api/v1/devices', door)).status).toBe(403);
      expect((await call(token, 'PATCH', '/api/v1/devices/any-device', { enabled: false })).status).toBe(403);
      expect((await call(token, 'POST', '/api/v1/devices/any-device/rotate', {})).status).toBe(403);
      expect((await call(token, 'POST', '/api/v1/devices/any-device/decommission')).status).toBe(403);
      expect((await call(token, 'GET', '/api/v1/devices/any-device')).status).toBe(403);
    }
    expect((await call(null, 'GET', '/api/v1/devices')).status).toBe(401);
  });

  it('answers invalid devices with 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...door, id: 'Door 1' }, '/id'],
      [{ ...door, kind: 'toaster' }, '/kind'],
      [{ ...door, unitId: undefined }, 'unitId'],
      [{ ...door, communityId: 'nope' }, 'communityId'],
      [{ ...door, unitId: 'no-unit' }, 'unitId'],
      [{ ...door, supervisionSec: 1 }, '/supervisionSec'],
      [{ ...door, secret: 'mine' }, 'secret'],
    ];
    for (const [body, path] of cases) {
      const r = await call(admin, 'POST', '/api/v1/devices', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(r.body)).toContain(path);
    }
  });

  it('provisions a door terminal: the secret once, as a file and a QR code; only its hash is stored; audited', async () => {
    const r = await call(admin, 'POST', '/api/v1/devices', door);
    expect(r.status).toBe(201);
    provisioned = DeviceSecretReply.parse(r.body);
    const { secret } = provisioned;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(provisioned.device).toMatchObject({ id: door.id, status: 'active', criticality: 'security', supervisionSec: 90, x: 40, y: 25 });
    expect(provisioned.file.devices[door.id]).toEqual({ secret, kind: 'face_terminal', placeKind: 'unit_door', name: door.name });
    expect(provisioned.file.gateway?.mqttUrl).toBe(`mqtt://127.0.0.1:${t.ports.mqtt}`);
    expect(provisioned.fileName).toBe(`linli-device-${door.id}.json`);
    expect(JSON.parse(provisioned.qr.payload)).toEqual({ v: 1, id: door.id, secret, mqtt: `mqtt://127.0.0.1:${t.ports.mqtt}` });
    expect(provisioned.qr.image).toMatch(/^data:image\/png;base64,/);

    const row = await t.gw.db.prisma.device.findUniqueOrThrow({ where: { id: door.id } });
    expect(row.secretHash).toMatch(/^hmac-sha256\$[\w-]{43}$/);
    expect(row.supervisionSec).toBe(90);
    // Never again: not in a read, not in the list, not in the audit log.
    const again = await call(admin, 'GET', `/api/v1/devices/${door.id}`);
    expect(DeviceAdminView.parse(again.body).id).toBe(door.id);
    expect(JSON.stringify(again.body)).not.toContain(secret);
    expect(JSON.stringify((await call(admin, 'GET', '/api/v1/devices')).body)).not.toContain(secret);
    const audit = await t.gw.db.prisma.auditLog.findMany({ where: { entity: 'Device', entityId: door.id } });
    expect(audit.map((a) => [a.actor, a.action])).toEqual([['admin:boss', 'device.create']]);
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({ before: null, after: { kind: 'face_terminal', supervisionSec: 90, status: 'active' } });
    expect(audit[0]!.detail).not.toContain(secret);
    expect((await call(admin, 'POST', '/api/v1/devices', door)).status).toBe(409);
  });

  it('lets a devices-sim terminal connect with the downloaded provisioning file; its heartbeat shows firmware and drift', async () => {
    const file = join(t.dir, provisioned.fileName);
    writeFileSync(file, JSON.stringify(provisioned.file), { mode: 0o600 });
    const loaded = loadSecrets(file);
    if (!loaded.ok) throw new Error(loaded.message);
    const world = createWorld({ population: populationOf(loaded.secrets), seed: 1, speed: 1, startMs: Date.now(), url: loaded.secrets.gateway!.mqttUrl });
    try {
      const terminal = await world.roster.faceTerminal(door.id);
      await until('the terminal online', async () => t.gw.broker.isConnected(door.id));
      await terminal.publish('heartbeat', { uptimeSec: 5, firmware: 'ft-2.4.1' });
      await until('firmware and drift listed', async () => {
        const list = DeviceAdminList.parse((await call(admin, 'GET', '/api/v1/devices')).body);
        const d = list.devices.find((x) => x.id === door.id);
        return d?.firmware === 'ft-2.4.1' && d.clockDriftSec !== null && d.online && d.lastSeenAt !== null;
      });
    } finally {
      await world.close();
    }
  });

  it('rotates a secret at once: the live session is closed, the old secret refused, the new one accepted', async () => {
    const live = await mqttLogin(door.id, provisioned.secret);
    const closed = closedBy(live);
    const r = await call(admin, 'POST', `/api/v1/devices/${door.id}/rotate`, {});
    const rotated = DeviceSecretReply.parse(r.body);
    expect(rotated.secret).not.toBe(provisioned.secret);
    await closed;
    live.end(true);
    expect(await refusal(t.mqttUrl, { clientId: door.id, username: door.id, password: provisioned.secret })).toBe(4);
    const fresh = await mqttLogin(door.id, rotated.secret);
    expect(fresh.connected).toBe(true);
    await fresh.endAsync();
    provisioned = rotated;
    const actions = (await t.gw.db.prisma.auditLog.findMany({ where: { entity: 'Device', entityId: door.id } })).map((a) => a.action);
    expect(actions).toEqual(['device.create', 'device.rotate_secret']);
  });

  it('rotates with a grace period: both secrets work until it ends, then only the new one', async () => {
    const r = await call(admin, 'POST', `/api/v1/devices/${door.id}/rotate`, { graceMinutes: 30 });
    const rotated = DeviceSecretReply.parse(r.body);
    expect(rotated.device.previousSecretUntil).not.toBeNull();
    for (const secret of [provisioned.secret, rotated.secret]) {
      const c = await mqttLogin(door.id, secret);
      expect(c.connected).toBe(true);
      await c.endAsync();
    }
    // The grace period ends (as if 30 minutes passed): the old secret is refused, the new one still works.
    await t.gw.db.prisma.device.update({ where: { id: door.id }, data: { prevSecretUntil: new Date(Date.now() - 1_000) } });
    expect(await refusal(t.mqttUrl, { clientId: door.id, username: door.id, password: provisioned.secret })).toBe(4);
    const c = await mqttLogin(door.id, rotated.secret);
    await c.endAsync();
    provisioned = rotated;
    expect((await call(admin, 'POST', `/api/v1/devices/${door.id}/rotate`, { graceMinutes: -1 })).status).toBe(400);
  });

  it('disables a device (its session closes at once, logins refused) and enables it again', async () => {
    const live = await mqttLogin(door.id, provisioned.secret);
    const closed = closedBy(live);
    const off = await call(admin, 'PATCH', `/api/v1/devices/${door.id}`, { enabled: false });
    expect(DeviceAdminView.parse(off.body).status).toBe('disabled');
    await closed;
    live.end(true);
    expect(await refusal(t.mqttUrl, { clientId: door.id, username: door.id, password: provisioned.secret })).toBe(5);
    expect((await call(admin, 'PATCH', `/api/v1/devices/${door.id}`, { enabled: true })).status).toBe(200);
    const back = await mqttLogin(door.id, provisioned.secret);
    await back.endAsync();
    const audit = await t.gw.db.prisma.auditLog.findMany({ where: { entity: 'Device', entityId: door.id, action: 'device.disable' } });
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({ before: { status: 'active' }, after: { status: 'disabled' } });
  });

  it('places a device on the site plan and changes its criticality (its supervision window follows)', async () => {
    const moved = DeviceAdminView.parse((await call(admin, 'PATCH', `/api/v1/devices/${door.id}`, { x: 12.5, y: 80, criticality: 'life_safety' })).body);
    expect(moved).toMatchObject({ x: 12.5, y: 80, criticality: 'life_safety', supervisionSec: 60 });
    const site = (await call(admin, 'GET', '/api/v1/site')).body as { devices: Array<{ id: string; x: number; y: number }> };
    expect(site.devices.find((d) => d.id === door.id)).toMatchObject({ x: 12.5, y: 80 });
    expect((await call(admin, 'PATCH', `/api/v1/devices/${door.id}`, {})).status).toBe(400);
  });

  it('supervises each device by its own window: a silent alarm post with 10 s is offline long before its kind\'s 60 s', async () => {
    const r = await call(admin, 'POST', '/api/v1/devices', { id: 'post-07', kind: 'outdoor_alarm', name: '一键报警柱07', communityId: 'test-community', placeKind: 'outdoor', supervisionSec: 10 });
    expect(DeviceSecretReply.parse(r.body).device.supervisionSec).toBe(10);
    await until('device_offline for post-07', async () => (await t.gw.db.prisma.alert.count({ where: { deviceId: 'post-07', type: 'device_offline' } })) > 0, 45_000);
    const alert = await t.gw.db.prisma.alert.findFirstOrThrow({ where: { deviceId: 'post-07', type: 'device_offline' } });
    expect(JSON.parse(alert.detail)).toMatchObject({ cause: 'silence', windowSec: 10 });
  }, 180_000);

  it('decommissions a device for good: refused at login, kept in the list as decommissioned', async () => {
    const live = await mqttLogin(door.id, provisioned.secret);
    const closed = closedBy(live);
    const r = await call(admin, 'POST', `/api/v1/devices/${door.id}/decommission`);
    expect(DeviceAdminView.parse(r.body).status).toBe('decommissioned');
    await closed;
    live.end(true);
    expect(await refusal(t.mqttUrl, { clientId: door.id, username: door.id, password: provisioned.secret })).toBe(5);
    expect((await call(admin, 'POST', `/api/v1/devices/${door.id}/rotate`, {})).status).toBe(409);
    const list = DeviceAdminList.parse((await call(admin, 'GET', '/api/v1/devices?status=decommissioned')).body);
    expect(list.devices.map((d) => d.id)).toEqual([door.id]);
  });

  it('keeps a property manager to their own compound', async () => {
    const pm = await call(admin, 'POST', '/api/v1/users', { username: 'pm-other', displayName: '别的物业', role: 'property_manager', communityId: 'other-community' });
    const { oneTimePassword } = pm.body as { oneTimePassword: string };
    const token = await login(t.httpUrl, 'pm-other', oneTimePassword);
    expect((await call(token, 'POST', '/api/v1/auth/password', { currentPassword: oneTimePassword, newPassword: 'compound-two-bamboo' })).status).toBe(204);
    expect(DeviceAdminList.parse((await call(token, 'GET', '/api/v1/devices')).body).devices).toEqual([]);
    expect((await call(token, 'GET', '/api/v1/devices/post-07')).status).toBe(404);
    expect((await call(token, 'POST', '/api/v1/devices', { ...door, id: 'door-x' })).status).toBe(404);
    const own = await call(token, 'POST', '/api/v1/devices', { id: 'lamp-o1', kind: 'streetlight', name: '路灯1', communityId: 'other-community', placeKind: 'outdoor' });
    expect(DeviceSecretReply.parse(own.body).device).toMatchObject({ criticality: 'service', supervisionSec: 900 });
  });
});
