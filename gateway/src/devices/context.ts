import type { Broker } from '../broker';
import type { Bus } from '../bus';
import type { DeviceKind } from '../contracts';
import type { Principal } from '../contracts/api/auth';
import type { DeviceAdminView, DeviceStatus } from '../contracts/api/devices';
import type { DeviceAdminRepo, DeviceRecord } from '../db/device-admin';
import { AppError } from '../errors';
import type { Logger } from '../log';

export interface DeviceServiceDeps {
  repo: DeviceAdminRepo;
  broker: Pick<Broker, 'disconnect'>;
  bus: Bus;
  /** The access directory re-reads its doors (a door terminal added, disabled or back). */
  reloadAccess: () => Promise<void>;
  /** SUPERVISION_SEC_<KIND>: the window of a device without its own. */
  kindSupervisionSec: Record<DeviceKind, number>;
  /** Device secrets are stored as HMAC under the credential key (auth/hash.ts). */
  credentialKey: string;
  /** Where devices connect, as seen from a browser that reached the gateway at `host`. */
  endpoints: (host: string) => DeviceEndpoints;
  log: Logger;
  now?: () => Date;
}

/** Where a provisioned device connects; mqttsUrl only when MQTT over TLS is configured. */
export interface DeviceEndpoints {
  mqttUrl: string;
  wsUrl?: string;
  mqttsUrl?: string;
}

/**
 * What the device service's parts share (service.ts: listing and changes; secrets.ts: provisioning, rotation and
 * decommissioning; health.ts: firmware and clock drift from heartbeats). createDeviceService builds it once.
 */
export interface DeviceContext extends Omit<DeviceServiceDeps, 'now'> {
  readonly now: () => Date;
  /** When an old secret's grace period ends, by device: its session is closed then. */
  readonly graceTimers: Map<string, NodeJS.Timeout>;
  /** Firmware and clock drift from the latest heartbeat, ahead of what is stored (health.ts writes it in steps). */
  readonly health: Map<string, { firmware: string | null; driftSec: number }>;
}

export function deviceContext(deps: DeviceServiceDeps): DeviceContext {
  return { ...deps, now: deps.now ?? (() => new Date()), graceTimers: new Map(), health: new Map() };
}

export const statusOf = (d: DeviceRecord): DeviceStatus => (d.decommissionedAt !== null ? 'decommissioned' : d.enabled ? 'active' : 'disabled');

/** The audited picture of a device: never its secret or a hash of it. */
export const audited = (d: DeviceRecord) => ({
  name: d.name,
  kind: d.kind,
  communityId: d.communityId,
  placeKind: d.placeKind,
  x: d.x,
  y: d.y,
  status: statusOf(d),
  criticality: d.criticality,
  supervisionSec: d.supervisionSec,
  previousSecretUntil: d.prevSecretUntil?.toISOString() ?? null,
});

/** A device as the administration sees it: its effective supervision window, its latest health, never a secret. */
export const viewOf = (ctx: DeviceContext, d: DeviceRecord): DeviceAdminView => ({
  id: d.id,
  kind: d.kind,
  name: d.name,
  communityId: d.communityId,
  placeKind: d.placeKind,
  buildingId: d.buildingId,
  unitId: d.unitId,
  householdId: d.householdId,
  x: d.x,
  y: d.y,
  status: statusOf(d),
  criticality: d.criticality,
  supervisionSec: d.supervisionSec ?? ctx.kindSupervisionSec[d.kind],
  online: d.online,
  lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
  firmware: ctx.health.get(d.id)?.firmware ?? d.firmware,
  clockDriftSec: ctx.health.get(d.id)?.driftSec ?? d.clockDriftSec,
  previousSecretUntil: d.prevSecretUntil !== null && d.prevSecretUntil > ctx.now() ? d.prevSecretUntil.toISOString() : null,
  createdAt: d.createdAt.toISOString(),
});

/** Property managers act only within their own compound; anything else answers 404 (ids cannot be probed). */
export function assertScope(p: Principal, communityId: string): void {
  if (p.role === 'property_manager' && p.communityId !== communityId) throw new AppError('NOT_FOUND', 'no such device');
}

export async function mustGet(ctx: DeviceContext, p: Principal, id: string): Promise<DeviceRecord> {
  const d = await ctx.repo.get(id);
  if (!d) throw new AppError('NOT_FOUND', 'no such device');
  assertScope(p, d.communityId);
  return d;
}

/** Tells the other features (supervision, access) that a device's configuration changed. */
export const announce = (ctx: DeviceContext, d: DeviceRecord) =>
  ctx.bus.emit('device-config', { deviceId: d.id, kind: d.kind, enabled: d.enabled && d.decommissionedAt === null, supervisionSec: d.supervisionSec, at: ctx.now() });

const isDoor = (d: DeviceRecord) => d.kind === 'face_terminal' || d.kind === 'vehicle_gate';

export async function reloadIfDoor(ctx: DeviceContext, d: DeviceRecord): Promise<void> {
  if (!isDoor(d)) return;
  await ctx.reloadAccess().catch((err: unknown) => ctx.log.error({ err, deviceId: d.id }, 'access directory reload failed after a device change'));
}
