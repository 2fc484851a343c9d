import QRCode from 'qrcode';
import { actorOf } from '../api/auth';
import { hashDeviceSecret, newSecret } from '../auth/hash';
import type { Principal } from '../contracts/api/auth';
import {
  CRITICALITY_SUPERVISION_SEC,
  DEFAULT_CRITICALITY,
  type DeviceAdminView,
  type DeviceCreateBody,
  DeviceCreateBody as CreateSchema,
  type DeviceSecretReply,
  type RotateBody,
  RotateBody as RotateSchema,
} from '../contracts/api/devices';
import type { DeviceRecord } from '../db/device-admin';
import { AppError } from '../errors';
import { type DeviceContext, announce, assertScope, audited, mustGet, reloadIfDoor, viewOf } from './context';

/*
 * A device's secret over its life: created with the device (shown once, as a file and a QR code; only its hash is
 * stored), rotated (the old one stops at once, or after a grace period during which both work), and replaced by one
 * nobody knows when the device is decommissioned.
 */

/** The secret as the provisioning screen shows it once: the device file to download and the QR code to scan. */
async function secretReply(ctx: DeviceContext, d: DeviceRecord, secret: string, host: string): Promise<DeviceSecretReply> {
  const at = ctx.now();
  const endpoints = ctx.endpoints(host);
  const file = {
    version: 1 as const,
    communityId: d.communityId,
    createdAt: at.toISOString(),
    gateway: endpoints,
    devices: { [d.id]: { secret, kind: d.kind, placeKind: d.placeKind, name: d.name } },
    users: {},
    credentials: [],
  };
  // A terminal that can speak TLS is given the TLS address in the QR code too.
  const payload = JSON.stringify({ v: 1, id: d.id, secret, mqtt: endpoints.mqttUrl, ...(endpoints.mqttsUrl !== undefined ? { mqtts: endpoints.mqttsUrl } : {}) });
  const image = await QRCode.toDataURL(payload, { errorCorrectionLevel: 'M', margin: 2, width: 320 });
  return { device: viewOf(ctx, d), secret, fileName: `linli-device-${d.id}.json`, file, qr: { payload, image } };
}

function scheduleGraceEnd(ctx: DeviceContext, id: string, until: Date): void {
  const { graceTimers } = ctx;
  clearTimeout(graceTimers.get(id));
  const t = setTimeout(() => {
    graceTimers.delete(id);
    // A session that logged in with the old secret must not outlive the grace period: the device reconnects,
    // and only the new secret is accepted from now on.
    if (ctx.broker.disconnect(id)) ctx.log.info({ deviceId: id }, 'grace period of the old secret ended; session closed');
  }, Math.max(0, until.getTime() - ctx.now().getTime()));
  t.unref();
  graceTimers.set(id, t);
}

/** A new device with its secret, placed where the body says (the repository checks the place exists). */
export async function createDevice(ctx: DeviceContext, p: Principal, input: DeviceCreateBody, host: string): Promise<DeviceSecretReply> {
  const { repo } = ctx;
  const body = CreateSchema.parse(input);
  assertScope(p, body.communityId);
  if (await repo.exists(body.id)) throw new AppError('CONFLICT', `a device ${body.id} exists already`);
  const problem = await repo.placeProblem(body);
  if (problem !== null) throw new AppError('VALIDATION', problem, { details: { path: problem.split(':')[0] } });
  const criticality = body.criticality ?? DEFAULT_CRITICALITY[body.kind];
  const supervisionSec = body.supervisionSec ?? CRITICALITY_SUPERVISION_SEC[criticality];
  const secret = newSecret();
  const data = {
    id: body.id,
    kind: body.kind,
    name: body.name,
    communityId: body.communityId,
    placeKind: body.placeKind,
    buildingId: body.buildingId ?? null,
    unitId: body.unitId ?? null,
    householdId: body.householdId ?? null,
    x: body.x,
    y: body.y,
    criticality,
    supervisionSec,
  };
  const d = await repo.create(
    { ...data, secretHash: hashDeviceSecret(ctx.credentialKey, data.id, secret) },
    { actor: actorOf(p), action: 'device.create', entity: 'Device', entityId: body.id, detail: { before: null, after: { ...data, status: 'active' } } },
  );
  announce(ctx, d);
  await reloadIfDoor(ctx, d);
  ctx.log.info({ deviceId: d.id, kind: d.kind, supervisionSec, by: p.username }, 'device provisioned');
  return secretReply(ctx, d, secret, host);
}

/** A new secret; the old one keeps working for `graceMinutes` (0: it stops now, and so does its session). */
export async function rotateSecret(ctx: DeviceContext, p: Principal, id: string, input: RotateBody, host: string): Promise<DeviceSecretReply> {
  const { repo } = ctx;
  const { graceMinutes } = RotateSchema.parse(input);
  const before = await mustGet(ctx, p, id);
  if (before.decommissionedAt !== null) throw new AppError('CONFLICT', 'the device is decommissioned');
  const secret = newSecret();
  const current = await repo.secretHashOf(id);
  const until = graceMinutes > 0 ? new Date(ctx.now().getTime() + graceMinutes * 60_000) : null;
  const d = await repo.update(
    id,
    { secretHash: hashDeviceSecret(ctx.credentialKey, id, secret), authMemo: null, prevSecretHash: until ? current : null, prevSecretUntil: until },
    { actor: actorOf(p), action: 'device.rotate_secret', entity: 'Device', entityId: id, detail: { before: audited(before), after: { ...audited(before), previousSecretUntil: until?.toISOString() ?? null }, graceMinutes } },
  );
  if (until) scheduleGraceEnd(ctx, id, until);
  else {
    clearTimeout(ctx.graceTimers.get(id));
    // The old secret stops at once, and so does a session opened with it.
    ctx.broker.disconnect(id);
  }
  ctx.log.info({ deviceId: id, graceMinutes, by: p.username }, 'device secret rotated');
  return secretReply(ctx, d, secret, host);
}

/** For good: disabled, its secret replaced by one nobody knows, the session closed; the row stays for the history. */
export async function decommission(ctx: DeviceContext, p: Principal, id: string): Promise<DeviceAdminView> {
  const before = await mustGet(ctx, p, id);
  if (before.decommissionedAt !== null) throw new AppError('CONFLICT', 'the device is decommissioned already');
  const d = await ctx.repo.update(
    id,
    { enabled: false, decommissionedAt: ctx.now(), secretHash: hashDeviceSecret(ctx.credentialKey, id, newSecret()), authMemo: null, prevSecretHash: null, prevSecretUntil: null },
    { actor: actorOf(p), action: 'device.decommission', entity: 'Device', entityId: id, detail: { before: audited(before), after: { ...audited(before), status: 'decommissioned' } } },
  );
  clearTimeout(ctx.graceTimers.get(id));
  ctx.broker.disconnect(id);
  announce(ctx, d);
  await reloadIfDoor(ctx, d);
  ctx.log.info({ deviceId: id, by: p.username }, 'device decommissioned');
  return viewOf(ctx, d);
}
