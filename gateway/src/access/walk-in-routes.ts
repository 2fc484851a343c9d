import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf, requireRole } from '../api/auth';
import { type AccessLimits, perUser } from '../api/limits';
import { ErrorReply } from '../contracts/api/auth';
import { IdParam, PassCreated } from '../contracts/api/passes';
import { ResidentWalkIn, ResidentWalkInList, WalkInAnswerBody, WalkInAskBody, WalkInRequestView, WalkInWaitQuery } from '../contracts/api/walk-ins';
import type { WalkInService } from './walk-ins';

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 429: ErrorReply };
const security = [{ bearer: [] }];

/** Walk-in approval: the guard asks the host household in the app, the household answers (access/walk-ins.ts). */
export function registerWalkInRoutes(app: FastifyInstance, walkIns: WalkInService, limits: AccessLimits) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const config = perUser(limits.perMinute, 60_000);
  const tags = ['passes'];
  // Long polls end when the server closes, so a shutdown never waits for one.
  app.addHook('preClose', async () => walkIns.release());

  r.post('/api/v1/visitors/walk-in/requests', {
    preHandler: requireRole('guard', 'admin'),
    config,
    schema: {
      tags,
      summary: "Ask the host household in the resident app about a visitor at the gate (instead of phoning); unanswered after WALK_IN_ANSWER_SEC",
      security,
      body: WalkInAskBody,
      response: { 201: WalkInRequestView, ...errors },
    },
  }, async (req, reply) => reply.code(201).send(await walkIns.ask(principalOf(req), req.body)));

  r.get('/api/v1/visitors/walk-in/requests/:id', {
    preHandler: requireRole('guard', 'admin'),
    config,
    schema: {
      tags,
      summary: 'One walk-in request; with unlessState and waitSec a long poll that answers as soon as its state changes',
      security,
      params: IdParam,
      querystring: WalkInWaitQuery,
      response: { 200: WalkInRequestView, ...errors },
    },
  }, async (req, reply) => {
    const abort = new AbortController();
    reply.raw.once('close', () => abort.abort());
    return walkIns.get(req.params.id, { unlessState: req.query.unlessState, waitSec: req.query.waitSec }, abort.signal);
  });

  r.post('/api/v1/visitors/walk-in/requests/:id/pass', {
    preHandler: requireRole('guard', 'admin'),
    config,
    schema: {
      tags,
      summary: 'The pass of an approved walk-in request (one entry within 30 minutes); the code is returned once',
      security,
      params: IdParam,
      response: { 201: PassCreated, ...errors },
    },
  }, async (req, reply) => reply.code(201).send(await walkIns.issuePass(principalOf(req), req.params.id)));

  r.get('/api/v1/resident/walk-ins', {
    preHandler: requireRole('resident'),
    config,
    schema: { tags, summary: "The household's walk-in requests of the last minutes", security, response: { 200: ResidentWalkInList, ...errors } },
  }, async (req) => ({ requests: await walkIns.forHousehold(principalOf(req)) }));

  r.post('/api/v1/resident/walk-ins/:id/answer', {
    preHandler: requireRole('resident'),
    config,
    schema: {
      tags,
      summary: 'Approve or refuse a walk-in visitor (the host household only; once, before the deadline)',
      security,
      params: IdParam,
      body: WalkInAnswerBody,
      response: { 200: ResidentWalkIn, ...errors },
    },
  }, async (req) => walkIns.answer(principalOf(req), req.params.id, req.body.answer));
}
