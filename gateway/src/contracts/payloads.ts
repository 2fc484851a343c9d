import { z } from 'zod';
import { CredentialType, EventEnvelope, EventId, Plate, Timestamp } from './common';

// ── device → gateway ────────────────────────────────────────────────────────────────────────────────────────────

export const Direction = z.enum(['in', 'out']);

export const AccessRequest = EventEnvelope.extend({
  requestId: EventId,
  credential: z.object({
    type: CredentialType,
    // Card number, PIN, QR payload, plate, or the terminal's face-template match reference.
    value: z.string().min(1).max(512),
  }),
  direction: Direction,
}).strict();
export type AccessRequest = z.infer<typeof AccessRequest>;

export const DoorState = EventEnvelope.extend({
  state: z.enum(['open', 'closed']),
  cause: z.enum(['grant', 'remote', 'exit_button', 'key', 'unknown']),
}).strict();
export type DoorState = z.infer<typeof DoorState>;

export const Tamper = EventEnvelope.extend({
  kind: z.enum(['case_open', 'wire_cut', 'moved', 'camera_blocked']),
}).strict();
export type Tamper = z.infer<typeof Tamper>;

export const Heartbeat = EventEnvelope.extend({
  uptimeSec: z.number().int().nonnegative(),
  firmware: z.string().max(64).optional(),
}).strict();
export type Heartbeat = z.infer<typeof Heartbeat>;

export const PlateRead = EventEnvelope.extend({
  requestId: EventId,
  plate: Plate,
  confidence: z.number().min(0).max(1),
  lane: Direction,
}).strict();
export type PlateRead = z.infer<typeof PlateRead>;

export const BarrierState = EventEnvelope.extend({
  state: z.enum(['raised', 'lowered']),
  cause: z.enum(['grant', 'remote', 'manual', 'unknown']),
}).strict();
export type BarrierState = z.infer<typeof BarrierState>;

export const LightState = EventEnvelope.extend({
  on: z.boolean(),
  brightness: z.number().int().min(0).max(100),
  powerW: z.number().min(0).max(2000),
  voltage: z.number().min(0).max(400),
  fault: z.enum(['lamp_failure', 'driver_failure', 'over_voltage', 'under_voltage', 'leakage']).nullable(),
}).strict();
export type LightState = z.infer<typeof LightState>;

export const AlarmPress = EventEnvelope.extend({}).strict();
export type AlarmPress = z.infer<typeof AlarmPress>;

/** GB 50394: a panic alarm latches; a device "cancel" only records the resident's request, a guard resets it. */
export const AlarmCancel = EventEnvelope.extend({}).strict();
export type AlarmCancel = z.infer<typeof AlarmCancel>;

export const LowBattery = EventEnvelope.extend({
  percent: z.number().int().min(0).max(100),
}).strict();
export type LowBattery = z.infer<typeof LowBattery>;

/** Retained; the device sets the `offline` variant as its MQTT Will. */
export const Presence = z
  .object({
    status: z.enum(['online', 'offline']),
    ts: Timestamp,
  })
  .strict();
export type Presence = z.infer<typeof Presence>;

export const CommandAck = EventEnvelope.extend({
  commandId: EventId,
  result: z.enum(['done', 'failed', 'unsupported']),
  detail: z.string().max(256).optional(),
}).strict();
export type CommandAck = z.infer<typeof CommandAck>;

// ── gateway → device ────────────────────────────────────────────────────────────────────────────────────────────

export const DenyReason = z.enum([
  'unknown_credential',
  'not_allowed_here',
  'outside_window',
  'entries_used',
  'revoked',
  'suspended',
  'blacklisted',
  'no_face_consent',
  'locked_out',
  'anti_passback',
  'low_confidence',
]);
export type DenyReason = z.infer<typeof DenyReason>;

/** Why a door opened (a resident, a visitor pass) or did not. */
export const AccessReason = z.union([z.literal('resident'), z.literal('visitor_pass'), DenyReason]);
export type AccessReason = z.infer<typeof AccessReason>;

export const AccessReply = z
  .object({
    requestId: EventId,
    decision: z.enum(['grant', 'deny']),
    reason: AccessReason,
    // Masked for the terminal's screen, e.g. 王*.
    displayName: z.string().max(32).optional(),
    ts: Timestamp,
  })
  .strict();
export type AccessReply = z.infer<typeof AccessReply>;

// Up, but it shares the reply's reason codes, so it is defined after them.
/** One decision a door terminal or vehicle gate made on its own while the gateway was unreachable. */
export const OfflineDecision = z
  .object({
    requestId: EventId,
    /** The device's time of the decision (the gateway keeps it as the access event's time). */
    ts: Timestamp,
    direction: Direction,
    credentialType: CredentialType,
    decision: z.enum(['grant', 'deny']),
    reason: AccessReason,
    /** From the synced entry that matched; never the credential value itself. */
    residentId: z.string().min(1).max(64).optional(),
    passId: z.string().min(1).max(64).optional(),
  })
  .strict();
export type OfflineDecision = z.infer<typeof OfflineDecision>;

/** Uploaded after reconnecting; up to 30 decisions a message (the 8 KiB body limit), oldest first. */
export const OfflineLog = EventEnvelope.extend({
  entries: z.array(OfflineDecision).min(1).max(30),
}).strict();
export type OfflineLog = z.infer<typeof OfflineLog>;

export const Command = z.discriminatedUnion('type', [
  z.object({ type: z.literal('open'), commandId: EventId, reason: z.string().max(200), ts: Timestamp }).strict(),
  z.object({ type: z.literal('set_light'), commandId: EventId, on: z.boolean(), brightness: z.number().int().min(0).max(100), ts: Timestamp }).strict(),
  z.object({ type: z.literal('sync_credentials'), commandId: EventId, ts: Timestamp }).strict(),
]);
export type Command = z.infer<typeof Command>;

/**
 * One credential a door may accept while the gateway is unreachable. Secrets are never sent in clear: `match` is the
 * lookup hash (HMAC-SHA256 under the community credential key, base64url) of a card number, PIN or visitor pass code;
 * for a face it is the vendor's template reference, for a plate the plate itself (neither is secret).
 */
export const SyncEntry = z
  .object({
    type: z.enum(['card', 'pin', 'face', 'plate', 'pass']),
    match: z.string().min(1).max(128),
    residentId: z.string().min(1).max(64).optional(),
    passId: z.string().min(1).max(64).optional(),
    /** Masked for the terminal's screen, e.g. 王*. */
    displayName: z.string().max(32),
    /** Visitor passes only: the window and the entries still left when the set was built. */
    validFrom: Timestamp.optional(),
    validUntil: Timestamp.optional(),
    entriesLeft: z.number().int().nonnegative().optional(),
  })
  .strict();
export type SyncEntry = z.infer<typeof SyncEntry>;

/**
 * The complete credential set of one door, sent on connect (after the device's status "online") and after every
 * change, in pages. A device replaces its set when all pages of one syncId have arrived.
 */
export const CredentialSync = z
  .object({
    syncId: EventId,
    page: z.number().int().min(1),
    pages: z.number().int().min(1),
    /** Fingerprint of the credential key the hashes were made with; a terminal with another key cannot use them. */
    keyId: z.string().min(8).max(32),
    entries: z.array(SyncEntry).max(500),
    ts: Timestamp,
  })
  .strict();
export type CredentialSync = z.infer<typeof CredentialSync>;

/** What the gateway answers on a device's error topic when a message is refused (never a disconnect). */
export const DeviceError = z
  .object({
    topic: z.string(),
    code: z.enum(['invalid_json', 'invalid_payload', 'payload_too_large', 'unknown_channel', 'rate_limited', 'stale_duplicate']),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    eventId: z.string().optional(),
    ts: Timestamp,
  })
  .strict();
export type DeviceError = z.infer<typeof DeviceError>;
