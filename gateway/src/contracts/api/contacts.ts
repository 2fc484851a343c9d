import { z } from 'zod';
import { HouseholdTag } from '../common';

/** One person the guard may call for a household: the name masked (王*), the number only on demand (audited). */
export const HouseholdContact = z.object({
  id: z.string(),
  name: z.string(),
  hasPhone: z.boolean(),
  /** 138****1234; null without a number. */
  phoneMasked: z.string().nullable(),
});
export type HouseholdContact = z.infer<typeof HouseholdContact>;

export const HouseholdContacts = z.object({ householdId: z.string(), label: z.string(), contacts: z.array(HouseholdContact) });
export type HouseholdContacts = z.infer<typeof HouseholdContacts>;

/**
 * The households a guard may need to call from a device on the map: for a unit door, every household of that unit
 * (room order); for a household's own device, that household; for the gates and outdoor devices, none.
 */
export const DeviceContacts = z.object({
  deviceId: z.string(),
  scope: z.enum(['unit', 'household', 'none']),
  households: z.array(HouseholdContacts.extend({ tags: z.array(HouseholdTag) })),
});
export type DeviceContacts = z.infer<typeof DeviceContacts>;
export const DeviceContactsParams = z.object({ deviceId: z.string().min(1).max(64) });

export const HouseholdParams = z.object({ id: z.string().min(1).max(64) });
export const ContactParams = z.object({ id: z.string().min(1).max(64), contactId: z.string().min(1).max(64) });

/** Why the number is shown: the alert being handled (recorded in the audit row). */
export const RevealBody = z.object({ alertId: z.string().min(1).max(64).optional() }).strict();
export type RevealBody = z.infer<typeof RevealBody>;
export const RevealReply = z.object({ contactId: z.string(), phone: z.string() });
export type RevealReply = z.infer<typeof RevealReply>;

/** What came of a call to the household, recorded in the alert's history (a code; the UI says it in words). */
export const CallOutcome = z.enum(['reached_safe', 'reached_needs_help', 'no_answer', 'unreachable']);
export type CallOutcome = z.infer<typeof CallOutcome>;
export const CallBody = z.object({ contactId: z.string().min(1).max(64), outcome: CallOutcome }).strict();
export type CallBody = z.infer<typeof CallBody>;
