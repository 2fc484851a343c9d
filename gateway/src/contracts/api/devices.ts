import { z } from 'zod';
import { DeviceId, DeviceKind, PlaceKind } from '../common';
import { SeedSecrets } from '../seed-secrets';

/**
 * How much a device matters, which sets how long it may stay silent before it counts as offline (supervision,
 * GB 50394): life_safety (alarm buttons) 60 s, security (doors, gates) 90 s, service (streetlights) 15 min.
 */
export const Criticality = z.enum(['life_safety', 'security', 'service']);
export type Criticality = z.infer<typeof Criticality>;

export const CRITICALITY_SUPERVISION_SEC: Record<Criticality, number> = { life_safety: 60, security: 90, service: 900 };

/** What a device of each kind is unless the installer says otherwise. */
export const DEFAULT_CRITICALITY: Record<DeviceKind, Criticality> = {
  indoor_alarm: 'life_safety',
  outdoor_alarm: 'life_safety',
  face_terminal: 'security',
  vehicle_gate: 'security',
  streetlight: 'service',
};

/** Site-plan coordinates in metres from the compound's south-west corner. */
const Coordinate = z.number().min(-10_000).max(10_000);

export const DeviceCreateBody = z
  .object({
    id: DeviceId,
    kind: DeviceKind,
    name: z.string().trim().min(1).max(64),
    communityId: z.string().min(1).max(64),
    placeKind: PlaceKind,
    buildingId: z.string().min(1).max(64).optional(),
    unitId: z.string().min(1).max(64).optional(),
    householdId: z.string().min(1).max(64).optional(),
    x: Coordinate.default(0),
    y: Coordinate.default(0),
    criticality: Criticality.optional(),
    /** Overrides the criticality's interval (seconds of silence before offline). */
    supervisionSec: z.number().int().min(10).max(86_400).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.placeKind === 'unit_door' && b.unitId === undefined) ctx.addIssue({ code: 'custom', path: ['unitId'], message: 'a unit door needs its unit' });
    if (b.placeKind === 'household' && b.householdId === undefined) ctx.addIssue({ code: 'custom', path: ['householdId'], message: 'a household device needs its household' });
  });
export type DeviceCreateBody = z.input<typeof DeviceCreateBody>;

export const DeviceStatus = z.enum(['active', 'disabled', 'decommissioned']);
export type DeviceStatus = z.infer<typeof DeviceStatus>;

export const DeviceAdminView = z.object({
  id: DeviceId,
  kind: DeviceKind,
  name: z.string(),
  communityId: z.string(),
  placeKind: PlaceKind,
  buildingId: z.string().nullable(),
  unitId: z.string().nullable(),
  householdId: z.string().nullable(),
  x: z.number(),
  y: z.number(),
  status: DeviceStatus,
  criticality: Criticality.nullable(),
  /** The interval supervision really uses (the device's own, or its kind's default). */
  supervisionSec: z.number().int(),
  online: z.boolean(),
  lastSeenAt: z.iso.datetime().nullable(),
  firmware: z.string().nullable(),
  /** Device clock minus gateway clock at its latest heartbeat, seconds. */
  clockDriftSec: z.number().nullable(),
  /** A rotated secret still accepted until then. */
  previousSecretUntil: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
});
export type DeviceAdminView = z.infer<typeof DeviceAdminView>;

export const DeviceAdminList = z.object({ devices: z.array(DeviceAdminView) });
export type DeviceAdminList = z.infer<typeof DeviceAdminList>;

export const DeviceListQuery = z.object({ communityId: z.string().optional(), status: DeviceStatus.optional() }).strict();

/** The provisioning file: the simulator's secrets-file format with one device and where to connect. */
export const ProvisioningFile = SeedSecrets;
export type ProvisioningFile = SeedSecrets;

/**
 * The only time a device secret is ever shown (create, rotate): the file to download, its name, and a QR code of the
 * compact form `{ v, id, secret, mqtt }` for an installer's phone. Never retrievable again: only its hash is stored.
 */
export const DeviceSecretReply = z.object({
  device: DeviceAdminView,
  secret: z.string(),
  fileName: z.string(),
  file: ProvisioningFile,
  qr: z.object({ payload: z.string(), image: z.string() }),
});
export type DeviceSecretReply = z.infer<typeof DeviceSecretReply>;

export const RotateBody = z
  .object({
    /** 0 (default): the old secret stops at once. Otherwise both work for this many minutes (at most a week). */
    graceMinutes: z.number().int().min(0).max(7 * 24 * 60).default(0),
  })
  .strict();
export type RotateBody = z.input<typeof RotateBody>;

export const DevicePatchBody = z
  .object({
    name: z.string().trim().min(1).max(64).optional(),
    x: Coordinate.optional(),
    y: Coordinate.optional(),
    enabled: z.boolean().optional(),
    criticality: Criticality.optional(),
    supervisionSec: z.number().int().min(10).max(86_400).nullable().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type DevicePatchBody = z.infer<typeof DevicePatchBody>;
