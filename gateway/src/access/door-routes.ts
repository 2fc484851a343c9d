import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DoorService } from './doors';
import { ErrorReply } from '../contracts/api/auth';
import { AccessEventList, AccessEventsQuery, DoorList, DoorParam, RemoteOpenBody, RemoteOpenReply } from '../contracts/api/doors';
import { principalOf, requireRole } from '../api/auth';
import { type AccessLimits, perUser } from '../api/limits';

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 429: ErrorReply };
const security = [{ bearer: [] }];

/** Doors for the guard room: state, remote open (audited), and the access history. */
export function registerDoorRoutes(app: FastifyInstance, doors: DoorService, limits: AccessLimits) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const config = perUser(limits.perMinute, 60_000);

  r.get('/api/v1/doors', {
    preHandler: requireRole('guard', 'admin'),
    config,
    schema: { tags: ['doors'], summary: 'Access doors with their connection and open state', security, response: { 200: DoorList, ...errors } },
  }, async () => ({ doors: await doors.list() }));

  r.post('/api/v1/doors/:deviceId/open', {
    preHandler: requireRole('guard', 'admin'),
    config,
    schema: {
      tags: ['doors'],
      summary: 'Open a door from the guard room; the reason is mandatory and audited',
      security,
      params: DoorParam,
      body: RemoteOpenBody,
      response: { 202: RemoteOpenReply, ...errors },
    },
  }, async (req, reply) => reply.code(202).send(await doors.remoteOpen(principalOf(req), req.params.deviceId, req.body.reason)));

  r.get('/api/v1/access-events', {
    preHandler: requireRole('resident', 'guard', 'admin'),
    config,
    schema: { tags: ['doors'], summary: 'Door decisions, newest first (residents: their own household)', security, querystring: AccessEventsQuery, response: { 200: AccessEventList, ...errors } },
  }, async (req) => ({ events: await doors.events(principalOf(req), req.query) }));
}
