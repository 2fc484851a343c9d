import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf, requireRole } from '../api/auth';
import { AlertIdParams, PoliceReply } from '../contracts/api/alerts';
import { ErrorReply } from '../contracts/api/auth';
import type { AlertRepo } from '../db/alerts';
import { AppError } from '../errors';
import type { PoliceLink } from './police-link';

/** POST /api/v1/alerts/{id}/police: a guard's "转报警 110" (docs/alerts.md, "Police link"). */
export function policeRoutes(deps: { police: PoliceLink; alerts: Pick<AlertRepo, 'byId'> }) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post('/api/v1/alerts/:id/police', {
      preHandler: requireRole('guard', 'admin'),
      schema: {
        tags: ['alerts'],
        summary: 'Report the alert to the community police now (警民一键通), outside the escalation chain',
        security: [{ bearer: [] }],
        params: AlertIdParams,
        response: { 200: PoliceReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    }, async (req) => {
      const stored = await deps.alerts.byId(req.params.id);
      if (!stored) throw new AppError('NOT_FOUND', 'no such alert');
      if (stored.alert.status === 'cleared') throw new AppError('CONFLICT', 'the alert is already cleared');
      const guard = principalOf(req).username;
      req.log.warn({ alertId: stored.alert.id, guard }, 'guard reports the alert to the police');
      return deps.police.request(stored.alert, guard);
    });
  };
}
