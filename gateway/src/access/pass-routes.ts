import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { PassService } from './passes';
import { ErrorReply } from '../contracts/api/auth';
import { ExpectedVisitors, ExpectedVisitorsQuery, IdParam, PassCreateBody, PassCreated, PassList, PassListQuery, PassView, WalkInBody } from '../contracts/api/passes';
import { principalOf, requireRole } from '../api/auth';
import { type AccessLimits, perUser } from '../api/limits';

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 429: ErrorReply };
const security = [{ bearer: [] }];

/** Visitor passes: residents invite, list, read and revoke their household's; guards see today's expected visitors. */
export function registerPassRoutes(app: FastifyInstance, passes: PassService, limits: AccessLimits) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const minute = perUser(limits.perMinute, 60_000);

  r.post('/api/v1/passes', {
    preHandler: requireRole('resident'),
    // Any request, valid or not, counts against the per-minute limit; the hourly quota counts created passes (passes.ts).
    config: minute,
    schema: {
      tags: ['passes'],
      summary: 'Invite a visitor: returns the keypad code and a signed QR code, once',
      security,
      body: PassCreateBody,
      response: { 201: PassCreated, ...errors },
    },
  }, async (req, reply) => reply.code(201).send(await passes.create(principalOf(req), req.body)));

  r.get('/api/v1/passes', {
    preHandler: requireRole('resident'),
    config: minute,
    schema: { tags: ['passes'], summary: "The household's visitor passes", security, querystring: PassListQuery, response: { 200: PassList, ...errors } },
  }, async (req) => ({ passes: await passes.list(principalOf(req), req.query.scope) }));

  r.get('/api/v1/passes/:id', {
    preHandler: requireRole('resident', 'guard', 'admin'),
    config: minute,
    schema: { tags: ['passes'], summary: 'One visitor pass (residents: their household only)', security, params: IdParam, response: { 200: PassView, ...errors } },
  }, async (req) => passes.get(principalOf(req), req.params.id));

  r.post('/api/v1/passes/:id/revoke', {
    preHandler: requireRole('resident', 'guard', 'admin'),
    config: minute,
    schema: { tags: ['passes'], summary: 'Revoke a visitor pass at once (every door, offline sets included)', security, params: IdParam, response: { 200: PassView, ...errors } },
  }, async (req) => passes.revoke(principalOf(req), req.params.id));

  r.post('/api/v1/visitors/walk-in', {
    preHandler: requireRole('guard', 'admin'),
    config: minute,
    schema: {
      tags: ['passes'],
      summary: 'Register a visitor at the gate without a pass (after phoning the host): one entry within 30 minutes',
      security,
      body: WalkInBody,
      response: { 201: PassCreated, ...errors },
    },
  }, async (req, reply) => reply.code(201).send(await passes.walkIn(principalOf(req), req.body)));

  r.get('/api/v1/visitors/expected', {
    preHandler: requireRole('guard', 'admin'),
    config: minute,
    schema: { tags: ['passes'], summary: 'Visitors expected on a day (today by default), for the guard room', security, querystring: ExpectedVisitorsQuery, response: { 200: ExpectedVisitors, ...errors } },
  }, async (req) => passes.expected(req.query.date));
}
