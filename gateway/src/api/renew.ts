import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Sessions } from '../auth/sessions';
import { ErrorReply, RenewReply } from '../contracts/api/auth';
import { AppError } from '../errors';
import { requireRole } from './auth';

/**
 * POST /api/v1/auth/renew: a guard station in use keeps its sign-in alive. The expiry slides by SESSION_TTL_HOURS,
 * never beyond SESSION_MAX_HOURS after sign-in (a hard maximum per shift). It reads the bearer header only: it is
 * independent of how the live stream authenticates.
 */
export function registerRenew(app: FastifyInstance, sessions: Sessions): void {
  app.withTypeProvider<ZodTypeProvider>().post('/api/v1/auth/renew', {
    // Residents and field staff too: the phone app renews while it is in use (sliding, same hard maximum).
    preHandler: requireRole('guard', 'admin', 'resident', 'grid_worker'),
    schema: { tags: ['auth'], summary: 'Slide a token\'s expiry while its screen is in use (up to the hard maximum after sign-in)', security: [{ bearer: [] }], response: { 200: RenewReply, 401: ErrorReply, 403: ErrorReply } },
  }, async (req) => {
    const h = req.headers.authorization;
    const token = h?.startsWith('Bearer ') ? h.slice(7).trim() : '';
    const renewed = token ? await sessions.renew(token) : null;
    if (!renewed) throw new AppError('UNAUTHENTICATED', 'this sign-in can no longer be renewed; sign in again');
    return renewed;
  });
}
