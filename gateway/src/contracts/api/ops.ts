import { z } from 'zod';

/** GET /readyz: 200 ready, or 503 degraded with the failing check. */
export const ReadyReport = z.object({
  status: z.enum(['ready', 'degraded']),
  checks: z.object({
    database: z.enum(['ok', 'failing']),
    broker: z.enum(['ok', 'closed']),
    ingest: z.object({ state: z.enum(['ok', 'backlogged', 'failing']), pending: z.number().int() }),
  }),
});
export type ReadyReport = z.infer<typeof ReadyReport>;
