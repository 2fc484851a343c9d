import { z } from 'zod';

/**
 * Gateway observations stored as DeviceEvent rows (channel gateway/health and gateway/access-incident) so the alert
 * engine's outbox can judge them again after a crash. The row's payload is the JSON of the bus message.
 */
export const StoredHealth = z.discriminatedUnion('type', [
  z.object({ type: z.literal('invalid_payloads'), deviceId: z.string(), count: z.number(), windowSec: z.number(), at: z.coerce.date() }),
  z.object({ type: z.literal('clock_drift'), deviceId: z.string(), driftSec: z.number(), at: z.coerce.date() }),
  // The device sent an event id it had used before with other content: its event counter went backwards.
  z.object({ type: z.literal('event_id_reused'), deviceId: z.string(), eventId: z.string(), at: z.coerce.date() }),
]);
export type StoredHealth = z.infer<typeof StoredHealth>;

export const StoredIncident = z.object({
  type: z.enum(['forced_entry', 'held_open', 'repeated_denials', 'blacklisted_credential']),
  deviceId: z.string(),
  at: z.coerce.date(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});
export type StoredIncident = z.infer<typeof StoredIncident>;
