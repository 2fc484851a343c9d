import { z } from 'zod';
import { CredentialType, DeviceId, DeviceKind, HouseholdTag, PlaceKind } from '../common';
import { Detail } from './alerts';
import { CompoundRef, DrawingMeta, PlanPoint } from './site-plan';

/**
 * What the guard station needs to draw the compound and follow its devices: the site plan (read once), device
 * states (polled while the map or the device list is open), a device's recent events, and the searchable access log.
 * Coordinates are metres from the compound's south-west corner, x east, y north (as the seed lays it out).
 */

const Iso = z.iso.datetime({ offset: true });

export const SiteBuilding = z.object({
  id: z.string(),
  number: z.number().int(),
  name: z.string(),
  x: z.number(),
  y: z.number(),
  width: z.number().positive(),
  depth: z.number().positive(),
  floors: z.number().int(),
  units: z.array(z.object({ id: z.string(), number: z.number().int() })),
  /** Where it sits on the compound's drawing (fractions from the top left); null: not placed, or no drawing. */
  plan: PlanPoint.nullable(),
});
export type SiteBuilding = z.infer<typeof SiteBuilding>;

export const SiteDevice = z.object({
  id: z.string(),
  kind: DeviceKind,
  name: z.string(),
  placeKind: PlaceKind,
  buildingId: z.string().nullable(),
  unitId: z.string().nullable(),
  householdId: z.string().nullable(),
  /** building-unit-room of a household device (3-2-501). */
  householdLabel: z.string().nullable(),
  /** 七彩图 tags of the household a device is in (an indoor alarm of an elderly person living alone). */
  tags: z.array(HouseholdTag),
  x: z.number(),
  y: z.number(),
  enabled: z.boolean(),
  /** Where it sits on the compound's drawing (fractions from the top left); null: not placed, or no drawing. */
  plan: PlanPoint.nullable(),
});
export type SiteDevice = z.infer<typeof SiteDevice>;

export const SitePlan = z.object({
  community: z.object({ id: z.string(), name: z.string(), timezone: z.string() }),
  /** The compound's extent: everything drawn lies within 0..width, 0..depth. */
  width: z.number().positive(),
  depth: z.number().positive(),
  buildings: z.array(SiteBuilding),
  /** Every device of the compound but decommissioned ones. */
  devices: z.array(SiteDevice),
  /** The compounds the caller may see (a selector when there are several). */
  compounds: z.array(CompoundRef),
  /** The uploaded drawing; null: the map draws the generated grid. */
  drawing: DrawingMeta.nullable(),
});
export type SitePlan = z.infer<typeof SitePlan>;

/** A unit door or the main gate (door/state), or the vehicle gate's barrier (raised = open). */
export const DoorStateView = z.object({
  state: z.enum(['open', 'closed']),
  cause: z.string(),
  since: Iso,
});
export type DoorStateView = z.infer<typeof DoorStateView>;

export const LampStateView = z.object({
  on: z.boolean(),
  brightness: z.number().int(),
  powerW: z.number(),
  voltage: z.number(),
  fault: z.string().nullable(),
  at: Iso,
});
export type LampStateView = z.infer<typeof LampStateView>;

export const DeviceStateView = z.object({
  id: z.string(),
  /** Connected to the broker right now. */
  online: z.boolean(),
  lastSeenAt: Iso.nullable(),
  /** Doors and the vehicle gate; null until the device has reported. */
  door: DoorStateView.nullable(),
  /** Streetlights; null until the lamp has reported. */
  lamp: LampStateView.nullable(),
  /** Last low-battery report (alarm buttons), null if none. */
  batteryPercent: z.number().int().min(0).max(100).nullable(),
});
export type DeviceStateView = z.infer<typeof DeviceStateView>;

export const DeviceStates = z.object({
  at: Iso,
  /** Grows with every change the gateway has seen; a client that holds this version can skip re-drawing. */
  version: z.number().int().nonnegative(),
  devices: z.array(DeviceStateView),
  /** Grows when a drawing is uploaded or removed or something is placed: a map holding an older one reloads the plan. */
  planVersion: z.number().int().nonnegative(),
});
export type DeviceStates = z.infer<typeof DeviceStates>;

export const DeviceParam = z.object({ deviceId: DeviceId }).strict();

export const DeviceEventsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(30) }).strict();

/** One stored device message (heartbeats left out), its payload flattened to the fields a person reads. */
export const DeviceEventView = z.object({
  seq: z.number().int(),
  /** The protocol channel (door/state, light/state, alarm/press, …) or gateway/… for what the gateway derived. */
  channel: z.string(),
  deviceTime: Iso,
  receivedAt: Iso,
  detail: Detail,
});
export type DeviceEventView = z.infer<typeof DeviceEventView>;

export const DeviceEventList = z.object({ deviceId: z.string(), events: z.array(DeviceEventView) });
export type DeviceEventList = z.infer<typeof DeviceEventList>;

export const AccessLogQuery = z
  .object({
    /** Words to look for: a household (3-2-501), a door's name, a visitor's or resident's name. */
    q: z.string().trim().max(64).optional(),
    deviceId: DeviceId.optional(),
    decision: z.enum(['grant', 'deny']).optional(),
    credentialType: z.union([CredentialType, z.literal('remote')]).optional(),
    from: Iso.optional(),
    to: Iso.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .strict();
export type AccessLogQuery = z.infer<typeof AccessLogQuery>;

export const AccessLogEntry = z.object({
  id: z.string(),
  at: Iso,
  deviceId: z.string(),
  deviceName: z.string(),
  direction: z.string(),
  credentialType: z.string(),
  decision: z.enum(['grant', 'deny']),
  /** An AccessReason code or remote_open. */
  reason: z.string(),
  householdLabel: z.string().nullable(),
  /** Resident (王*) or visitor, masked as a door screen shows them; null for unknown credentials. */
  person: z.object({ kind: z.enum(['resident', 'visitor']), name: z.string() }).nullable(),
  offline: z.boolean(),
});
export type AccessLogEntry = z.infer<typeof AccessLogEntry>;

export const AccessLog = z.object({ total: z.number().int().nonnegative(), entries: z.array(AccessLogEntry) });
export type AccessLog = z.infer<typeof AccessLog>;
