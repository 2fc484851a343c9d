// Hub → cell commands (docs/scale-out.md "Commands"): NATS request/reply on a per-compound subject, outside every
// JetStream stream (a command is answered now or not at all; it is never stored to be delivered later). Both sides
// parse with these schemas; nothing else defines the shapes.
import { z } from 'zod';
import { CompoundId } from './replication';

/**
 * Not under `linli.>`: the replication stream LINLI takes every subject there, and a request published into a stream
 * would be stored and answered by JetStream's own PubAck instead of by the cell.
 */
export const COMMAND_PREFIX = 'linli-cmd';
export const CommandKind = z.enum(['door.open', 'doors.list']);
export type CommandKind = z.infer<typeof CommandKind>;
/** The one subject a cell listens on for each kind of command: its own compound's, never a wildcard over compounds. */
export const commandSubject = (compound: CompoundId, kind: CommandKind) => `${COMMAND_PREFIX}.${compound}.${kind}`;
/**
 * Where a cell answers a command: linli-re.<compound>.<hub process token>.<command id>. Under the compound, so a cell's
 * NATS user may answer its own commands and nobody else's (a cell cannot publish into the hub's inboxes).
 */
export const COMMAND_REPLY_PREFIX = 'linli-re';
export const commandReplySubject = (compound: CompoundId, token: string, id: string) => `${COMMAND_REPLY_PREFIX}.${compound}.${token}.${id}`;
/**
 * Every answer from one compound to one hub process. Per compound, not a wildcard over compounds: a NATS hub tells a
 * leaf node about a subscription only when the leaf's user may publish on all of it.
 */
export const commandReplyFilter = (compound: CompoundId, token: string) => `${COMMAND_REPLY_PREFIX}.${compound}.${token}.*`;

const Time = z.iso.datetime({ offset: true });

/** Who at the hub sent a command: shown in the cell's audit log as `hub:<username>`. */
export const CommandSender = z.object({
  username: z.string().min(1).max(64),
  displayName: z.string().max(100),
  /** The sender's hub scope: district, street:<id> or compound:<id>. */
  scope: z.string().max(80),
});
export type CommandSender = z.infer<typeof CommandSender>;

/** A remote open sent from the hub. `id` is unique per command; the cell refuses it after `expiresAt` or when seen before. */
export const DoorOpenCommand = z.object({
  v: z.literal(1),
  id: z.uuid(),
  compound: CompoundId,
  door: z.string().min(1).max(64),
  reason: z.string().trim().min(4).max(200),
  by: CommandSender,
  issuedAt: Time,
  expiresAt: Time,
}).strict();
export type DoorOpenCommand = z.infer<typeof DoorOpenCommand>;

/**
 * What the cell did with a remote open: `opened` (the door terminal reported the command done), `sent` (the command
 * reached the door's MQTT session but the terminal did not confirm within the cell's wait), `failed` (the terminal
 * reported it failed or unsupported), `door_offline`, `unknown_door`; refused before anything was sent: `expired`,
 * `duplicate` (this command id was handled before), `wrong_compound`, `invalid`; `error` (the cell could not act).
 */
export const DoorOpenOutcome = z.enum(['opened', 'sent', 'failed', 'door_offline', 'unknown_door', 'expired', 'duplicate', 'wrong_compound', 'invalid', 'error']);
export type DoorOpenOutcome = z.infer<typeof DoorOpenOutcome>;
/** Outcomes where the door got the command. */
export const DOOR_COMMAND_SENT: ReadonlySet<DoorOpenOutcome> = new Set(['opened', 'sent', 'failed']);

export const DoorOpenAnswer = z.object({
  v: z.literal(1),
  /** The command's id; null when the request could not be read at all. */
  id: z.uuid().nullable(),
  compound: CompoundId,
  outcome: DoorOpenOutcome,
  detail: z.string().max(300).nullable(),
  answeredAt: Time,
}).strict();
export type DoorOpenAnswer = z.infer<typeof DoorOpenAnswer>;

export const DoorsListRequest = z.object({ v: z.literal(1), compound: CompoundId }).strict();
export type DoorsListRequest = z.infer<typeof DoorsListRequest>;

/** A door as the cell's guard station sees it (access/doors.ts list()). */
export const CellDoor = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  placeKind: z.string(),
  online: z.boolean(),
  /** Open since (the terminal's report), or null when closed. */
  openSince: Time.nullable(),
});
export type CellDoor = z.infer<typeof CellDoor>;

export const DoorsListAnswer = z.object({
  v: z.literal(1),
  compound: CompoundId,
  ok: z.boolean(),
  doors: z.array(CellDoor),
  detail: z.string().max(300).nullable(),
}).strict();
export type DoorsListAnswer = z.infer<typeof DoorsListAnswer>;
