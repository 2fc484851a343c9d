import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireRole } from '../api/auth';
import { type AccessLimits, perUser } from '../api/limits';
import { ErrorReply } from '../contracts/api/auth';
import { IdParam } from '../contracts/api/passes';
import { PersonalQrIssued } from '../contracts/api/personal-qr';
import type { PersonalQrService } from './personal-qr';

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 429: ErrorReply };
const security = [{ bearer: [] }];

/** A resident's personal QR credential (access/personal-qr.ts). */
export function registerPersonalQrRoutes(app: FastifyInstance, qr: PersonalQrService, limits: AccessLimits) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const config = perUser(limits.perMinute, 60_000);
  const tags = ['residents'];

  r.post('/api/v1/residents/:id/personal-qr', {
    preHandler: requireRole('resident'),
    config,
    schema: {
      tags,
      summary: 'Issue (or replace) my personal QR code: a way in without the face; shown once, the old one stops at once',
      security,
      params: IdParam,
      response: { 201: PersonalQrIssued, ...errors },
    },
  }, async (req, reply) => reply.code(201).send(await qr.issue(principalOf(req), req.params.id)));

  r.delete('/api/v1/residents/:id/personal-qr', {
    preHandler: requireRole('resident', 'admin'),
    config,
    schema: { tags, summary: 'Remove a personal QR code (the resident themself, or the office)', security, params: IdParam, response: { 204: z.null(), ...errors } },
  }, async (req, reply) => {
    await qr.remove(principalOf(req), req.params.id);
    return reply.code(204).send(null);
  });
}
