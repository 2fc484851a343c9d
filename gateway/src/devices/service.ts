import { actorOf } from '../api/auth';
import type { Principal } from '../contracts/api/auth';
import { CRITICALITY_SUPERVISION_SEC, type DeviceAdminView, type DeviceCreateBody, type DevicePatchBody, type DeviceStatus, type RotateBody } from '../contracts/api/devices';
import type { DeviceRecord, DeviceWrite } from '../db/device-admin';
import { AppError } from '../errors';
import { type DeviceContext, type DeviceEndpoints, type DeviceServiceDeps, announce, audited, deviceContext, mustGet, reloadIfDoor, viewOf } from './context';
import { healthListener } from './health';
import { createDevice, decommission, rotateSecret } from './secrets';

export type { DeviceEndpoints, DeviceServiceDeps } from './context';

/**
 * The endpoints as seen from `host`: plain MQTT always, MQTT over TLS when it listens, WebSocket over TLS when HTTP has
 * a certificate. One function for the running gateway and the CLI.
 */
export function deviceEndpoints(host: string, p: { http: number; mqtt: number; mqtts?: number | undefined; httpTls?: boolean }): DeviceEndpoints {
  const name = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    mqttUrl: `mqtt://${name}:${p.mqtt}`,
    wsUrl: `${p.httpTls === true ? 'wss' : 'ws'}://${name}:${p.http}/mqtt`,
    ...(p.mqtts !== undefined ? { mqttsUrl: `mqtts://${name}:${p.mqtts}` } : {}),
  };
}

/** A change of name, place, state or criticality: written with its audit row; a disabled device's session closes. */
async function patchDevice(ctx: DeviceContext, p: Principal, id: string, body: DevicePatchBody): Promise<DeviceAdminView> {
  const before = await mustGet(ctx, p, id);
  if (before.decommissionedAt !== null) throw new AppError('CONFLICT', 'the device is decommissioned');
  const data: DeviceWrite = {};
  if (body.name !== undefined) data.name = body.name;
  if (body.x !== undefined) data.x = body.x;
  if (body.y !== undefined) data.y = body.y;
  if (body.enabled !== undefined) data.enabled = body.enabled;
  if (body.criticality !== undefined) {
    data.criticality = body.criticality;
    if (body.supervisionSec === undefined) data.supervisionSec = CRITICALITY_SUPERVISION_SEC[body.criticality];
  }
  if (body.supervisionSec !== undefined) data.supervisionSec = body.supervisionSec;
  const action = body.enabled === false && before.enabled ? 'device.disable' : body.enabled === true && !before.enabled ? 'device.enable' : 'device.update';
  const d = await ctx.repo.update(id, data, { actor: actorOf(p), action, entity: 'Device', entityId: id, detail: { before: audited(before), after: audited({ ...before, ...data }) } });
  if (action === 'device.disable') ctx.broker.disconnect(id);
  announce(ctx, d);
  if (action !== 'device.update') await reloadIfDoor(ctx, d);
  ctx.log.info({ deviceId: id, action, by: p.username }, 'device changed');
  return viewOf(ctx, d);
}

/**
 * Device provisioning: create a device with its secret (shown once, as a file and a QR code; only its argon2id hash
 * is stored), rotate the secret (the old one stops at once, or after a grace period during which both work),
 * disable, enable, decommission, place it on the site plan, and set how critical it is (its supervision window).
 * A disabled or rotated device's live MQTT session is closed at once. The parts share one DeviceContext
 * (context.ts); the secret's life is in secrets.ts, heartbeat health in health.ts.
 */
export function createDeviceService(deps: DeviceServiceDeps) {
  const ctx = deviceContext(deps);
  const { repo, bus } = ctx;
  const view = (d: DeviceRecord) => viewOf(ctx, d);
  const onHeartbeat = healthListener(ctx);
  return {
    /** Follows heartbeats for firmware and clock drift. Owned, so the lifecycle check sees whose it is; released in close(). */
    start() {
      bus.subscriber('devices').on('device-event', onHeartbeat);
    },
    async list(p: Principal, q: { communityId?: string | undefined; status?: DeviceStatus | undefined }): Promise<DeviceAdminView[]> {
      const communityId = p.role === 'property_manager' ? (p.communityId ?? '\0none') : q.communityId;
      return (await repo.list({ ...(communityId !== undefined ? { communityId } : {}), ...(q.status ? { status: q.status } : {}) })).map(view);
    },
    get: async (p: Principal, id: string) => view(await mustGet(ctx, p, id)),
    create: (p: Principal, input: DeviceCreateBody, host: string) => createDevice(ctx, p, input, host),
    rotate: (p: Principal, id: string, input: RotateBody, host: string) => rotateSecret(ctx, p, id, input, host),
    patch: (p: Principal, id: string, body: DevicePatchBody) => patchDevice(ctx, p, id, body),
    /** For good: disabled, its secret replaced by one nobody knows, the session closed; the row stays for the history. */
    decommission: (p: Principal, id: string) => decommission(ctx, p, id),
    close() {
      bus.release('devices');
      for (const t of ctx.graceTimers.values()) clearTimeout(t);
      ctx.graceTimers.clear();
    },
  };
}

export type DeviceService = ReturnType<typeof createDeviceService>;
