import { z } from 'zod';
import { CredentialType, EventEnvelope, EventId, Timestamp } from './common';

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
  plate: z.string().regex(/^[\u4e00-\u9fa5A-Z][A-Z0-9]{5,7}$/u, 'plate: a Chinese licence plate such as 陕A12345'),
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

export const AccessReply = z
  .object({
    requestId: EventId,
    decision: z.enum(['grant', 'deny']),
    reason: z.union([z.literal('resident'), z.literal('visitor_pass'), DenyReason]),
    // Masked for the terminal's screen, e.g. 王*.
    displayName: z.string().max(32).optional(),
    ts: Timestamp,
  })
  .strict();
export type AccessReply = z.infer<typeof AccessReply>;

export const Command = z.discriminatedUnion('type', [
  z.object({ type: z.literal('open'), commandId: EventId, reason: z.string().max(200), ts: Timestamp }).strict(),
  z.object({ type: z.literal('set_light'), commandId: EventId, on: z.boolean(), brightness: z.number().int().min(0).max(100), ts: Timestamp }).strict(),
  z.object({ type: z.literal('sync_credentials'), commandId: EventId, ts: Timestamp }).strict(),
]);
export type Command = z.infer<typeof Command>;

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
