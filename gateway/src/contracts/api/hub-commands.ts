// The hub's command routes (gateway/src/hub/command-routes.ts, docs/scale-out.md "Commands"): a compound's doors as
// its cell reports them, a remote open sent to the cell, and the record of every command sent. Parsed by the hub page.
import { z } from 'zod';
import { CellDoor, DoorOpenOutcome } from '../commands';

const Iso = z.iso.datetime({ offset: true });

/** pending: no answer yet; answered: in time; timeout: none within the timeout; unreachable: no cell was listening. */
export const HubCommandStatus = z.enum(['pending', 'answered', 'timeout', 'unreachable']);
export type HubCommandStatus = z.infer<typeof HubCommandStatus>;

export const HubCommand = z.object({
  id: z.uuid(),
  compound: z.string(),
  kind: z.literal('door.open'),
  door: z.string(),
  reason: z.string(),
  username: z.string(),
  sentAt: Iso,
  expiresAt: Iso,
  status: HubCommandStatus,
  /** The cell's outcome (also when it answered after the timeout: then `late` is true). */
  outcome: DoorOpenOutcome.nullable(),
  detail: z.string().nullable(),
  answeredAt: Iso.nullable(),
  latencyMs: z.number().int().nullable(),
  late: z.boolean(),
});
export type HubCommand = z.infer<typeof HubCommand>;

export const HubDoorOpenBody = z
  .object({ reason: z.string().trim().min(4, 'reason: at least 4 characters, e.g. 快递员送货').max(200) })
  .strict();
export type HubDoorOpenBody = z.infer<typeof HubDoorOpenBody>;

/** The cell answered: `command.outcome` says what it did (opened, sent, door_offline …). */
export const HubDoorOpenReply = z.object({ command: HubCommand });
export type HubDoorOpenReply = z.infer<typeof HubDoorOpenReply>;

export const HubDoorList = z.object({
  compound: z.string(),
  doors: z.array(CellDoor),
  /** Whether the caller may open a door remotely (hub_user.may_open_doors). */
  mayOpen: z.boolean(),
});
export type HubDoorList = z.infer<typeof HubDoorList>;

export const HubCommandList = z.object({ commands: z.array(HubCommand) });
export type HubCommandList = z.infer<typeof HubCommandList>;
