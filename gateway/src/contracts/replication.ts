// Cell → hub replication (docs/scale-out.md): what a cell publishes to the hub's JetStream and what the hub publishes
// back. Both sides parse with these schemas; nothing else defines the shapes.
import { z } from 'zod';
import { AlertAction } from './api/alerts';
import { Role } from './common';

/** A compound's id as it appears in a NATS subject and a KV key: one token, no wildcards, no dots. */
export const CompoundId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or - (it is a NATS subject token)')
  // linli.<compound>.<table> would otherwise name the downlink's own subjects (linli.down.…, contracts/downlink.ts),
  // and a cell allowed to publish under its compound could send another compound's commands.
  .refine((c) => c !== 'down' && c !== 'down-result', 'is reserved (down and down-result are downlink subjects)');
export type CompoundId = z.infer<typeof CompoundId>;

/**
 * The NATS user a cell's leaf node signs in to the hub as (docs/security.md, "Compounds apart at the hub"). The hub
 * lets that user publish and subscribe only on its own compound's subjects.
 */
export const cellNatsUser = (compound: CompoundId) => `cell-${compound}`;
/**
 * The inbox prefix of a cell's NATS clients: replies (JetStream's acks and its pull deliveries) come back under it, and
 * a cell's user may subscribe under no other, so no cell can listen to another's replies.
 */
export const cellInboxPrefix = (compound: CompoundId) => `_INBOX_${compound}`;

/**
 * A cell database's generation: minted (random) when replication first starts on a database without one, and again
 * after `linli restore`. A restored database reuses sequence numbers the hub already holds; under a new generation
 * they are new keys instead of silently ignored repeats.
 */
export const Generation = z.string().regex(/^[a-z0-9]{8,32}$/, 'must be 8–32 lowercase letters or digits');
export type Generation = z.infer<typeof Generation>;

/**
 * The streams a cell replicates, one sequence each: device events (DeviceEvent.seq, heartbeats left out), access
 * decisions (their ReplicationLog seq, filled by a trigger in the insert's transaction), alert changes
 * (AlertHistory.id: every alert insert or update writes one history row with the alert's snapshot, in one transaction),
 * audit records (AuditLog.id, append-only), staff sessions (logins and logouts, ReplicationLog seq) and device
 * presence transitions (online/offline changes, ReplicationLog seq; never heartbeats).
 */
export const ReplicatedTable = z.enum(['device_event', 'access_event', 'alert_change', 'audit_log', 'session_event', 'device_presence']);
export type ReplicatedTable = z.infer<typeof ReplicatedTable>;
export const REPLICATED_TABLES = ReplicatedTable.options;
/** One value per replicated table (the compiler checks that none is missing). */
export const perTable = <V>(f: (t: ReplicatedTable) => V): Record<ReplicatedTable, V> => ({
  device_event: f('device_event'),
  access_event: f('access_event'),
  alert_change: f('alert_change'),
  audit_log: f('audit_log'),
  session_event: f('session_event'),
  device_presence: f('device_presence'),
});

/** The JetStream stream that holds every cell's rows, and the subjects it takes. */
export const REPLICATION_STREAM = 'LINLI';
export const REPLICATION_SUBJECTS = 'linli.>';
/**
 * What the hub writer consumes: exactly the replicated rows' subjects (linli.<compound>.<table>, three tokens). The
 * stream also carries the downlink's four-token subjects (contracts/downlink.ts), which are not replicated rows.
 */
export const REPLICATION_FILTER = 'linli.*.*';
/** The KV bucket where the hub publishes, per cell, generation and table, the highest seq committed without a gap. */
export const WATERMARK_BUCKET = 'linli_watermarks';

export const replicationSubject = (compound: CompoundId, table: ReplicatedTable) => `linli.${compound}.${table}`;
/** Nats-Msg-Id: JetStream drops a repeat of the same id within the stream's duplicate window. */
export const replicationMsgId = (compound: CompoundId, generation: Generation, table: ReplicatedTable, seq: number) =>
  `${compound}:${generation}:${table}:${seq}`;
export const watermarkKey = (compound: CompoundId, generation: Generation, table: ReplicatedTable) => `${compound}.${generation}.${table}`;

const Seq = z.number().int().positive();
const Time = z.iso.datetime({ offset: true });

/** One stored device event as the cell holds it (DeviceEvent), times as ISO 8601 with an offset. */
export const ReplicatedDeviceEvent = z.object({
  deviceId: z.string().min(1),
  eventId: z.string().min(1),
  channel: z.string().min(1),
  payload: z.string(),
  deviceTime: Time,
  receivedAt: Time,
  reusedEventId: z.boolean(),
});
export type ReplicatedDeviceEvent = z.infer<typeof ReplicatedDeviceEvent>;

/** One door decision as the cell holds it (AccessEvent). */
export const ReplicatedAccessEvent = z.object({
  id: z.string().min(1),
  deviceId: z.string().min(1),
  requestId: z.string().min(1),
  at: Time,
  receivedAt: Time,
  direction: z.string(),
  credentialType: z.string(),
  decision: z.enum(['grant', 'deny']),
  reason: z.string(),
  residentId: z.string().nullable(),
  passId: z.string().nullable(),
  householdId: z.string().nullable(),
  offline: z.boolean(),
});
export type ReplicatedAccessEvent = z.infer<typeof ReplicatedAccessEvent>;

/**
 * The alert as it was right after a change (the history row's snapshot, contract JSON). The fields the hub indexes
 * are checked; the rest is kept as the cell wrote it (loose), so a field added to the alert contract later is not
 * stripped on its way into the hub.
 */
export const ReplicatedAlertSnapshot = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  severity: z.string().min(1),
  status: z.string().min(1),
  firstAt: Time,
  lastAt: Time,
  escalationLevel: z.number().int().min(0),
});
export type ReplicatedAlertSnapshot = z.infer<typeof ReplicatedAlertSnapshot>;

/** One alert change (AlertHistory row): what happened, by whom, and the alert right after it. */
export const ReplicatedAlertChange = z.object({
  alertId: z.string().min(1),
  at: Time,
  action: AlertAction,
  actor: z.string(),
  note: z.string().nullable(),
  /** The change's specifics as the cell stored them (JSON text), or null. */
  detail: z.string().nullable(),
  source: z.string().nullable(),
  /** null for history rows written before snapshots were kept (their alert's state is in later changes). */
  snapshot: ReplicatedAlertSnapshot.nullable(),
});
export type ReplicatedAlertChange = z.infer<typeof ReplicatedAlertChange>;

/** One audit record (AuditLog): who did what to which object; `detail` is the JSON text the cell stored, redacted there. */
export const ReplicatedAuditEntry = z.object({
  at: Time,
  actor: z.string(),
  action: z.string().min(1),
  entity: z.string(),
  entityId: z.string(),
  detail: z.string(),
});
export type ReplicatedAuditEntry = z.infer<typeof ReplicatedAuditEntry>;

/**
 * A staff member's login or logout (a Session created or revoked; residents' sessions stay on the cell). Never the
 * token nor its hash: `sessionRef` is a one-way digest of the hash that only pairs a logout with its login.
 */
export const ReplicatedSessionEvent = z.object({
  sessionRef: z.string().regex(/^[0-9a-f]{32}$/, 'a 32-digit hex digest'),
  kind: z.enum(['login', 'logout']),
  at: Time,
  userId: z.string().min(1),
  /** null when the user row was already gone when the event was recorded. */
  username: z.string().nullable(),
  role: Role.exclude(['resident']),
});
export type ReplicatedSessionEvent = z.infer<typeof ReplicatedSessionEvent>;

/** A device going online or offline (a change of Device.online; heartbeats and repeated logins are not changes). */
export const ReplicatedPresenceChange = z.object({
  deviceId: z.string().min(1),
  online: z.boolean(),
  at: Time,
});
export type ReplicatedPresenceChange = z.infer<typeof ReplicatedPresenceChange>;

/**
 * The envelope every replicated row shares. `prev` is the seq of the row the cell replicated just before this one in
 * the same table (its generation's `base` for the first): skipped rows (heartbeats) and rows erased before they left
 * leave holes in seq, so the hub can only tell "nothing missing up to here" by following prev links from its
 * watermark. `base` is where this generation's chain starts (the cell's resend point when the generation was minted):
 * the hub's watermark for a generation it has never seen starts there.
 */
const Envelope = {
  v: z.literal(2),
  compound: CompoundId,
  generation: Generation,
  base: z.number().int().min(0),
  seq: Seq,
  prev: z.number().int().min(0),
};

export const ReplicationMessage = z.discriminatedUnion('table', [
  z.object({ ...Envelope, table: z.literal('device_event'), row: ReplicatedDeviceEvent }),
  z.object({ ...Envelope, table: z.literal('access_event'), row: ReplicatedAccessEvent }),
  z.object({ ...Envelope, table: z.literal('alert_change'), row: ReplicatedAlertChange }),
  z.object({ ...Envelope, table: z.literal('audit_log'), row: ReplicatedAuditEntry }),
  z.object({ ...Envelope, table: z.literal('session_event'), row: ReplicatedSessionEvent }),
  z.object({ ...Envelope, table: z.literal('device_presence'), row: ReplicatedPresenceChange }),
]);
export type ReplicationMessage = z.infer<typeof ReplicationMessage>;
export type ReplicationMessageOf<T extends ReplicatedTable> = Extract<ReplicationMessage, { table: T }>;

/** The hub's watermark value in the KV bucket: the seq, and when the hub committed it. */
export const Watermark = z.object({ seq: z.number().int().min(0), committedAt: Time });
export type Watermark = z.infer<typeof Watermark>;

/**
 * Liveness: every cell renews its key (the compound id) in this KV bucket every few seconds; the hub takes the
 * server's time of the last renewal as the cell's last sign of life and raises "compound gateway offline" when it is
 * too old (hub/cells.ts).
 */
export const CELLS_BUCKET = 'linli_cells';

/** A cell's renewal: its generation, when it wrote this (its clock), and how far behind the hub it is. */
export const CellBeat = z.object({
  generation: Generation,
  at: Time,
  /** The age of the oldest committed row the hub has not confirmed, over all tables (0: none). */
  lagSeconds: z.number().min(0),
  /** Committed rows the hub has not confirmed, over all tables (capped per table at a million). */
  backlogRows: z.number().int().min(0),
});
export type CellBeat = z.infer<typeof CellBeat>;
