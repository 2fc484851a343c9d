// The hub's downlink API (gateway/src/hub/downlink-http.ts, docs/scale-out.md "The downlink"): a hub user sends a
// command to one compound in scope; each request body is the cell API's own body schema (contracts/downlink.ts).
import { z } from 'zod';
import { DownlinkError, DownlinkKind, DownlinkSecret } from '../downlink';

const Iso = z.iso.datetime({ offset: true });

/**
 * pending: stored, not yet accepted by JetStream (the hub republishes it); sent: in the stream, waiting for the cell;
 * applied / refused: the cell's answer (refused carries the cell service's error code and message).
 */
export const DownlinkStatus = z.enum(['pending', 'sent', 'applied', 'refused']);
export type DownlinkStatus = z.infer<typeof DownlinkStatus>;

export const HubDownlinkCommand = z.object({
  id: z.uuid(),
  compound: z.string(),
  seq: z.number().int().positive(),
  kind: DownlinkKind,
  /** The body as sent, shown as the cell's audit log shows one: a card number `[redacted]`, a phone number masked. */
  body: z.unknown(),
  createdBy: z.string(),
  createdAt: Iso,
  status: DownlinkStatus,
  publishedAt: Iso.nullable(),
  appliedAt: Iso.nullable(),
  /** The record the cell made or changed (a new resident's, pass's or credential's id). */
  entityId: z.string().nullable(),
  error: DownlinkError.nullable(),
  /**
   * A pass's keypad code and QR payload or a drawn PIN: shown to the user who sent the command, once (the first read
   * after the cell answered), then erased at the hub.
   */
  secret: DownlinkSecret.nullable(),
});
export type HubDownlinkCommand = z.infer<typeof HubDownlinkCommand>;

export const HubDownlinkList = z.object({ commands: z.array(HubDownlinkCommand) });
export type HubDownlinkList = z.infer<typeof HubDownlinkList>;
