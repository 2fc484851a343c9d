import { z } from 'zod';

/** Device ids are the MQTT client id and username; lower-case, dash separated, safe in a topic level. */
export const DeviceId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{2,62}$/, 'device id: 3-63 characters of a-z, 0-9 and "-", starting with a letter or digit');
export type DeviceId = z.infer<typeof DeviceId>;

export const DeviceKind = z.enum(['face_terminal', 'vehicle_gate', 'streetlight', 'indoor_alarm', 'outdoor_alarm']);
export type DeviceKind = z.infer<typeof DeviceKind>;

export const PlaceKind = z.enum(['main_gate', 'vehicle_gate', 'unit_door', 'household', 'outdoor']);
export type PlaceKind = z.infer<typeof PlaceKind>;

/** 七彩图 household tags (docs/domain.md): help is targeted by them; elderly_alone raises alarm priority. */
export const HouseholdTag = z.enum([
  'party_member',
  'empty_nest',
  'elderly',
  'elderly_alone',
  'hardship',
  'disabled',
  'rental',
  'vacant',
]);
export type HouseholdTag = z.infer<typeof HouseholdTag>;

/**
 * Who a user is: residents (linked to a resident), guards (the guard station), grid workers (网格员), property
 * managers (物业, scoped to one compound) and admins (everything, both the guard station and administration).
 */
export const Role = z.enum(['resident', 'guard', 'grid_worker', 'property_manager', 'admin']);
export type Role = z.infer<typeof Role>;

export const CredentialType = z.enum(['face', 'card', 'pin', 'qr', 'plate']);
export type CredentialType = z.infer<typeof CredentialType>;

/** ISO 8601 timestamp with an offset, as devices send it. */
export const Timestamp = z.iso.datetime({ offset: true });

/** Every device event carries an id the device generated, so a retransmission is recognised (ingest is idempotent). */
export const EventId = z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/, 'event id: printable ASCII without spaces');

export const EventEnvelope = z.object({
  eventId: EventId,
  ts: Timestamp,
});

/** A Chinese licence plate such as 陕A12345 (new-energy plates have one more character). */
export const Plate = z.string().regex(/^[\u4e00-\u9fa5A-Z][A-Z0-9]{5,7}$/u, 'plate: a Chinese licence plate such as 陕A12345');
