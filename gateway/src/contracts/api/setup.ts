import { z } from 'zod';

/** The first steps of a real installation, in order; each is done when the database has what it needs. */
export const SetupStepName = z.enum(['admin_password', 'compound', 'buildings', 'households', 'devices', 'guards']);
export type SetupStepName = z.infer<typeof SetupStepName>;

export const SetupChecklist = z.object({
  steps: z.array(z.object({ step: SetupStepName, done: z.boolean(), count: z.number().int() })),
  /** Every step done. */
  complete: z.boolean(),
  /** The first step not yet done (what the admin pages open on), or null. */
  next: SetupStepName.nullable(),
});
export type SetupChecklist = z.infer<typeof SetupChecklist>;
