import { z } from 'zod';
import { AccessReason, DeviceId, DeviceKind, PlaceKind } from '..';

export const DoorParam = z.object({ deviceId: DeviceId }).strict();

/** A guard opening a door from the guard room must say why; the reason goes into the audit log. */
export const RemoteOpenBody = z
  .object({ reason: z.string().trim().min(4, 'reason: at least 4 characters, e.g. 快递员送货').max(200) })
  .strict();

export const RemoteOpenReply = z.object({
  deviceId: z.string(),
  commandId: z.string(),
  sentAt: z.iso.datetime({ offset: true }),
});

export const DoorView = z.object({
  id: z.string(),
  name: z.string(),
  kind: DeviceKind,
  placeKind: PlaceKind,
  buildingId: z.string().nullable(),
  unitId: z.string().nullable(),
  online: z.boolean(),
  /** Door monitoring: open since (null when closed or unknown). */
  openSince: z.iso.datetime({ offset: true }).nullable(),
});
export const DoorList = z.object({ doors: z.array(DoorView) });

export const AccessEventsQuery = z
  .object({
    deviceId: DeviceId.optional(),
    passId: z.string().min(1).max(64).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export const AccessEventView = z.object({
  id: z.string(),
  deviceId: z.string(),
  at: z.iso.datetime({ offset: true }),
  direction: z.string(),
  credentialType: z.string(),
  decision: z.enum(['grant', 'deny']),
  reason: z.union([AccessReason, z.literal('remote_open')]),
  residentId: z.string().nullable(),
  passId: z.string().nullable(),
  householdId: z.string().nullable(),
  offline: z.boolean(),
});
export type AccessEventView = z.infer<typeof AccessEventView>;
export const AccessEventList = z.object({ events: z.array(AccessEventView) });
