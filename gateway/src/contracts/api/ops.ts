import { z } from 'zod';

/** GET /readyz: 200 ready, or 503 degraded with the failing check. */
export const ReadyReport = z.object({
  status: z.enum(['ready', 'degraded']),
  checks: z.object({
    /** ok only while a heartbeat write commits (every few seconds); degraded with the reason otherwise. */
    database: z.enum(['ok', 'degraded']),
    databaseReason: z.string().nullable().describe('locked, disk_full, readonly, io_error or SQLite\'s error code; null when ok'),
    broker: z.enum(['ok', 'closed']),
    ingest: z.object({ state: z.enum(['ok', 'backlogged', 'failing']), pending: z.number().int() }),
  }),
});
export type ReadyReport = z.infer<typeof ReadyReport>;
