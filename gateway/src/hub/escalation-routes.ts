// The hub API's part of escalation at the hub (docs/scale-out.md "Escalation at the hub"): a compound's chain,
// read-only (which levels can be told, never their URLs), the acknowledgement of the hub's own alert, and a cell's
// alert escalated by hand, by a hub user whose scope covers the compound (outside the scope: 404, like a compound
// that does not exist).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { ErrorReply } from '../contracts/api/auth';
import { HubAckReply, HubChain, HubEscalateBody, HubEscalateReply, type HubUser } from '../contracts/api/hub';
import { CompoundId } from '../contracts/replication';
import { AppError } from '../errors';
import { chainView, hubChains } from './chain';
import { acknowledgeHubAlert, escalateCellAlert } from './escalation';

const Secured = { security: [{ bearer: [] }] };
const CompoundParams = z.object({ id: CompoundId });

export function registerEscalationRoutes(
  app: FastifyInstance,
  pool: Pool,
  scopeOf: (req: FastifyRequest) => Promise<string[] | null>,
  userOf: (req: FastifyRequest) => HubUser,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const inScope = async (req: FastifyRequest, compound: string) => {
    const scope = await scopeOf(req);
    return scope === null || scope.includes(compound);
  };
  r.get('/api/hub/compounds/:id/chain', {
    schema: { ...Secured, params: CompoundParams, response: { 200: HubChain, 401: ErrorReply, 404: ErrorReply } },
  }, async (req) => {
    if (!(await inScope(req, req.params.id))) throw new AppError('NOT_FOUND', `no compound ${req.params.id}`);
    return chainView(req.params.id, await hubChains(pool).resolve(req.params.id));
  });
  r.post('/api/hub/compounds/:id/alerts/:alertId/ack', {
    schema: {
      ...Secured,
      params: CompoundParams.extend({ alertId: z.string().min(1).max(200) }),
      response: { 200: HubAckReply, 401: ErrorReply, 404: ErrorReply, 409: ErrorReply },
    },
  }, async (req) => {
    const user = userOf(req);
    const { id: compound, alertId } = req.params;
    if (!(await inScope(req, compound))) throw new AppError('NOT_FOUND', `no hub alert ${alertId} in compound ${compound}`);
    const done = await acknowledgeHubAlert(pool, { compound, id: alertId, user: user.username });
    if (done.outcome === 'not_found') throw new AppError('NOT_FOUND', `no hub alert ${alertId} in compound ${compound}`);
    if (done.outcome === 'not_open' || done.ackedAt === undefined) throw new AppError('CONFLICT', 'already acknowledged or cleared');
    req.log.info({ userId: user.userId, compound, alertId }, 'hub: hub alert acknowledged; its escalation ends');
    return { compound, id: alertId, ackedBy: user.username, ackedAt: done.ackedAt.toISOString() };
  });
  r.post('/api/hub/compounds/:id/alerts/:alertId/escalate', {
    schema: {
      ...Secured,
      params: CompoundParams.extend({ alertId: z.string().min(1).max(200) }),
      body: HubEscalateBody,
      response: { 200: HubEscalateReply, 400: ErrorReply, 401: ErrorReply, 404: ErrorReply, 409: ErrorReply },
    },
  }, async (req) => {
    const user = userOf(req);
    const { id: compound, alertId } = req.params;
    if (!(await inScope(req, compound))) throw new AppError('NOT_FOUND', `no alert ${alertId} in compound ${compound}`);
    const done = await escalateCellAlert(pool, { compound, id: alertId, user: user.username, reason: req.body.reason });
    switch (done.outcome) {
      case 'not_found':
        throw new AppError('NOT_FOUND', `no alert ${alertId} from the gateway of compound ${compound}`);
      case 'cleared':
        throw new AppError('CONFLICT', 'the alert is cleared', { details: { refused: 'cleared' } });
      case 'no_chain':
        throw new AppError('CONFLICT', 'the compound has no escalation chain at the hub (hub-cli chain)', { details: { refused: 'no_chain' } });
      case 'at_top':
        throw new AppError('CONFLICT', `already at the top of the chain (level ${done.level}, ${done.levelName})`, {
          details: { refused: 'at_top', level: done.level, levelName: done.levelName },
        });
      case 'escalated':
        req.log.warn({ userId: user.userId, compound, alertId, escalationLevel: done.level }, 'hub: a cell alert escalated by hand at the hub');
        return { compound, id: alertId, level: done.level, levelName: done.levelName, by: user.username };
    }
  });
}
