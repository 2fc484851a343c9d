// Cell → hub replication (docs/scale-out.md): what a cell publishes to the hub's JetStream and what the hub publishes
// back. Both sides parse with these schemas; nothing else defines the shapes.
import { z } from 'zod';

/** A compound's id as it appears in a NATS subject and a KV key: one token, no wildcards, no dots. */
export const CompoundId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or - (it is a NATS subject token)');
export type CompoundId = z.infer<typeof CompoundId>;

/** The tables a cell replicates (this slice: device events; access events and alerts come next). */
export const ReplicatedTable = z.enum(['device_event']);
export type ReplicatedTable = z.infer<typeof ReplicatedTable>;

/** The JetStream stream that holds every cell's rows, and the subjects it takes. */
export const REPLICATION_STREAM = 'LINLI';
export const REPLICATION_SUBJECTS = 'linli.>';
/** The KV bucket where the hub publishes, per cell and table, the highest seq committed in PostgreSQL without a gap. */
export const WATERMARK_BUCKET = 'linli_watermarks';

export const replicationSubject = (compound: CompoundId, table: ReplicatedTable) => `linli.${compound}.${table}`;
/** Nats-Msg-Id: JetStream drops a repeat of the same id within the stream's duplicate window. */
export const replicationMsgId = (compound: CompoundId, table: ReplicatedTable, seq: number) => `${compound}:${table}:${seq}`;
export const watermarkKey = (compound: CompoundId, table: ReplicatedTable) => `${compound}.${table}`;

const Seq = z.number().int().positive();

/** One stored device event as the cell holds it (DeviceEvent), times as ISO 8601 with an offset. */
export const ReplicatedDeviceEvent = z.object({
  deviceId: z.string().min(1),
  eventId: z.string().min(1),
  channel: z.string().min(1),
  payload: z.string(),
  deviceTime: z.iso.datetime({ offset: true }),
  receivedAt: z.iso.datetime({ offset: true }),
  reusedEventId: z.boolean(),
});
export type ReplicatedDeviceEvent = z.infer<typeof ReplicatedDeviceEvent>;

/**
 * One replicated row. `prev` is the seq of the row the cell replicated just before this one in the same table (0 for
 * the first): heartbeats and other skipped rows leave holes in seq, so the hub can only tell "nothing missing up to
 * here" by following prev links from its watermark.
 */
export const ReplicationMessage = z.object({
  v: z.literal(1),
  compound: CompoundId,
  table: z.literal('device_event'),
  seq: Seq,
  prev: z.number().int().min(0),
  row: ReplicatedDeviceEvent,
});
export type ReplicationMessage = z.infer<typeof ReplicationMessage>;

/** The hub's watermark value in the KV bucket: the seq, and when the hub committed it. */
export const Watermark = z.object({ seq: z.number().int().min(0), committedAt: z.iso.datetime({ offset: true }) });
export type Watermark = z.infer<typeof Watermark>;
