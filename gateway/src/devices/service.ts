import QRCode from 'qrcode';
import { hashDeviceSecret, newSecret } from '../auth/hash';
import type { Broker } from '../broker';
import type { Bus, IngestedEvent } from '../bus';
import type { DeviceKind } from '../contracts';
import type { Principal } from '../contracts/api/auth';
import {
  CRITICALITY_SUPERVISION_SEC,
  DEFAULT_CRITICALITY,
  type DeviceAdminView,
  type DeviceCreateBody,
  DeviceCreateBody as CreateSchema,
  type DevicePatchBody,
  type DeviceSecretReply,
  type DeviceStatus,
  type RotateBody,
  RotateBody as RotateSchema,
} from '../contracts/api/devices';
import type { DeviceAdminRepo, DeviceRecord, DeviceWrite } from '../db/device-admin';
import { AppError } from '../errors';
import type { Logger } from '../log';
import { actorOf } from '../api/auth';

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

const statusOf = (d: DeviceRecord): DeviceStatus => (d.decommissionedAt !== null ? 'decommissioned' : d.enabled ? 'active' : 'disabled');

/** The audited picture of a device: never its secret or a hash of it. */
const audited = (d: DeviceRecord) => ({
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

/** Heartbeats move the stored drift only by this much (a device's clock wanders by milliseconds every minute). */
const DRIFT_STEP_SEC = 1;

/**
 * Device provisioning: create a device with its secret (shown once, as a file and a QR code; only its argon2id hash
 * is stored), rotate the secret (the old one stops at once, or after a grace period during which both work),
 * disable, enable, decommission, place it on the site plan, and set how critical it is (its supervision window).
 * A disabled or rotated device's live MQTT session is closed at once.
 */
export function createDeviceService(deps: DeviceServiceDeps) {
  const { repo, broker, bus, log } = deps;
  const now = deps.now ?? (() => new Date());
  const graceTimers = new Map<string, NodeJS.Timeout>();
  const health = new Map<string, { firmware: string | null; driftSec: number }>();

  const view = (d: DeviceRecord): DeviceAdminView => ({
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
    supervisionSec: d.supervisionSec ?? deps.kindSupervisionSec[d.kind],
    online: d.online,
    lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
    firmware: health.get(d.id)?.firmware ?? d.firmware,
    clockDriftSec: health.get(d.id)?.driftSec ?? d.clockDriftSec,
    previousSecretUntil: d.prevSecretUntil !== null && d.prevSecretUntil > now() ? d.prevSecretUntil.toISOString() : null,
    createdAt: d.createdAt.toISOString(),
  });

  /** Property managers act only within their own compound; anything else answers 404 (ids cannot be probed). */
  function assertScope(p: Principal, communityId: string): void {
    if (p.role === 'property_manager' && p.communityId !== communityId) throw new AppError('NOT_FOUND', 'no such device');
  }

  async function mustGet(p: Principal, id: string): Promise<DeviceRecord> {
    const d = await repo.get(id);
    if (!d) throw new AppError('NOT_FOUND', 'no such device');
    assertScope(p, d.communityId);
    return d;
  }

  const announce = (d: DeviceRecord) =>
    bus.emit('device-config', { deviceId: d.id, kind: d.kind, enabled: d.enabled && d.decommissionedAt === null, supervisionSec: d.supervisionSec, at: now() });

  const isDoor = (d: DeviceRecord) => d.kind === 'face_terminal' || d.kind === 'vehicle_gate';
  const reloadIfDoor = async (d: DeviceRecord) => {
    if (!isDoor(d)) return;
    await deps.reloadAccess().catch((err: unknown) => log.error({ err, deviceId: d.id }, 'access directory reload failed after a device change'));
  };

  async function secretReply(d: DeviceRecord, secret: string, host: string): Promise<DeviceSecretReply> {
    const at = now();
    const endpoints = deps.endpoints(host);
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
    return { device: view(d), secret, fileName: `linli-device-${d.id}.json`, file, qr: { payload, image } };
  }

  function scheduleGraceEnd(id: string, until: Date) {
    clearTimeout(graceTimers.get(id));
    const t = setTimeout(() => {
      graceTimers.delete(id);
      // A session that logged in with the old secret must not outlive the grace period: the device reconnects,
      // and only the new secret is accepted from now on.
      if (broker.disconnect(id)) log.info({ deviceId: id }, 'grace period of the old secret ended; session closed');
    }, Math.max(0, until.getTime() - now().getTime()));
    t.unref();
    graceTimers.set(id, t);
  }

  const onEvent = (e: IngestedEvent) => {
    if (e.name !== 'heartbeat') return;
    const driftSec = Math.round((e.deviceTime.getTime() - e.receivedAt.getTime()) / 100) / 10;
    const firmware = e.payload.firmware ?? null;
    const prev = health.get(e.deviceId);
    health.set(e.deviceId, { firmware: firmware ?? prev?.firmware ?? null, driftSec });
    if (prev && prev.firmware === (firmware ?? prev.firmware) && Math.abs(prev.driftSec - driftSec) < DRIFT_STEP_SEC) return;
    repo.setHealth(e.deviceId, firmware, driftSec).catch((err: unknown) => log.warn({ err, deviceId: e.deviceId }, 'could not store firmware and clock drift'));
  };
  return {
    /** Follows heartbeats for firmware and clock drift. Owned, so the lifecycle check sees whose it is; released in close(). */
    start() {
      bus.subscriber('devices').on('device-event', onEvent);
    },
    async list(p: Principal, q: { communityId?: string | undefined; status?: DeviceStatus | undefined }): Promise<DeviceAdminView[]> {
      const communityId = p.role === 'property_manager' ? (p.communityId ?? '\0none') : q.communityId;
      return (await repo.list({ ...(communityId !== undefined ? { communityId } : {}), ...(q.status ? { status: q.status } : {}) })).map(view);
    },

    get: async (p: Principal, id: string) => view(await mustGet(p, id)),

    async create(p: Principal, input: DeviceCreateBody, host: string): Promise<DeviceSecretReply> {
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
        { ...data, secretHash: hashDeviceSecret(deps.credentialKey, data.id, secret) },
        { actor: actorOf(p), action: 'device.create', entity: 'Device', entityId: body.id, detail: { before: null, after: { ...data, status: 'active' } } },
      );
      announce(d);
      await reloadIfDoor(d);
      log.info({ deviceId: d.id, kind: d.kind, supervisionSec, by: p.username }, 'device provisioned');
      return secretReply(d, secret, host);
    },

    async rotate(p: Principal, id: string, input: RotateBody, host: string): Promise<DeviceSecretReply> {
      const { graceMinutes } = RotateSchema.parse(input);
      const before = await mustGet(p, id);
      if (before.decommissionedAt !== null) throw new AppError('CONFLICT', 'the device is decommissioned');
      const secret = newSecret();
      const current = await repo.secretHashOf(id);
      const until = graceMinutes > 0 ? new Date(now().getTime() + graceMinutes * 60_000) : null;
      const d = await repo.update(
        id,
        { secretHash: hashDeviceSecret(deps.credentialKey, id, secret), authMemo: null, prevSecretHash: until ? current : null, prevSecretUntil: until },
        { actor: actorOf(p), action: 'device.rotate_secret', entity: 'Device', entityId: id, detail: { before: audited(before), after: { ...audited(before), previousSecretUntil: until?.toISOString() ?? null }, graceMinutes } },
      );
      if (until) scheduleGraceEnd(id, until);
      else {
        clearTimeout(graceTimers.get(id));
        // The old secret stops at once, and so does a session opened with it.
        broker.disconnect(id);
      }
      log.info({ deviceId: id, graceMinutes, by: p.username }, 'device secret rotated');
      return secretReply(d, secret, host);
    },

    async patch(p: Principal, id: string, body: DevicePatchBody): Promise<DeviceAdminView> {
      const before = await mustGet(p, id);
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
      const d = await repo.update(id, data, { actor: actorOf(p), action, entity: 'Device', entityId: id, detail: { before: audited(before), after: audited({ ...before, ...data }) } });
      if (action === 'device.disable') broker.disconnect(id);
      announce(d);
      if (action !== 'device.update') await reloadIfDoor(d);
      log.info({ deviceId: id, action, by: p.username }, 'device changed');
      return view(d);
    },

    /** For good: disabled, its secret replaced by one nobody knows, the session closed; the row stays for the history. */
    async decommission(p: Principal, id: string): Promise<DeviceAdminView> {
      const before = await mustGet(p, id);
      if (before.decommissionedAt !== null) throw new AppError('CONFLICT', 'the device is decommissioned already');
      const d = await repo.update(
        id,
        { enabled: false, decommissionedAt: now(), secretHash: hashDeviceSecret(deps.credentialKey, id, newSecret()), authMemo: null, prevSecretHash: null, prevSecretUntil: null },
        { actor: actorOf(p), action: 'device.decommission', entity: 'Device', entityId: id, detail: { before: audited(before), after: { ...audited(before), status: 'decommissioned' } } },
      );
      clearTimeout(graceTimers.get(id));
      broker.disconnect(id);
      announce(d);
      await reloadIfDoor(d);
      log.info({ deviceId: id, by: p.username }, 'device decommissioned');
      return view(d);
    },

    close() {
      bus.release('devices');
      for (const t of graceTimers.values()) clearTimeout(t);
      graceTimers.clear();
    },
  };
}

export type DeviceService = ReturnType<typeof createDeviceService>;
