import { z } from 'zod';

/** One level of the escalation chain as the guard station sees it: whether reaching it tells anyone. */
export const EscalationStep = z.object({
  level: z.number().int().nonnegative(),
  /** The configured name (guard_station, grid_worker, …); the UI translates it. */
  name: z.string(),
  /** How the level is told when an alert reaches it; null: nobody is told (no channel configured). */
  channel: z.enum(['webhook']).nullable(),
  /**
   * The contacts stored for this level through the administration (/api/v1/admin/escalation-contacts), active ones
   * only. Installation-wide contacts (gridId null) replace the environment's level, and then say the channel; a grid's
   * workers are told instead for their grid's households.
   */
  contacts: z.array(z.object({ name: z.string(), gridId: z.string().nullable(), channel: z.enum(['webhook']).nullable() })).default([]),
});
export type EscalationStep = z.infer<typeof EscalationStep>;

/** GET /api/v1/alerts/escalation-chain. `working`: at least one level above the guard station can be told. */
export const EscalationChain = z.object({ levels: z.array(EscalationStep).min(1), working: z.boolean() });
export type EscalationChain = z.infer<typeof EscalationChain>;

/** What became of the notification to one level an alert reached, derived from the alert's history. */
export const NotifyOutcome = z.enum(['delivered', 'failed', 'pending', 'no_channel']);
export type NotifyOutcome = z.infer<typeof NotifyOutcome>;
