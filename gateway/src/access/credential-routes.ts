import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CredentialService } from './credentials';
import { ErrorReply } from '../contracts/api/auth';
import {
  BlacklistBody,
  BlacklistList,
  BlacklistView,
  CredentialEnrolBody,
  CredentialEnrolled,
  CredentialList,
  CredentialPatchBody,
  CredentialView,
  FaceConsentBody,
  ResidentList,
  ResidentListQuery,
  ResidentView,
} from '../contracts/api/credentials';
import { IdParam } from '../contracts/api/passes';
import { principalOf, requireRole } from '../api/auth';
import { type AccessLimits, perUser } from '../api/limits';

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 429: ErrorReply };
const security = [{ bearer: [] }];

/** Residents, their credentials, face consent and the blacklist. Every staff change is audited (access/credentials.ts). */
export function registerCredentialRoutes(app: FastifyInstance, creds: CredentialService, limits: AccessLimits) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const config = perUser(limits.perMinute, 60_000);
  const tags = ['residents'];

  r.get('/api/v1/residents', {
    preHandler: requireRole('resident', 'admin'),
    config,
    schema: { tags, summary: 'Residents (residents: their own household)', security, querystring: ResidentListQuery, response: { 200: ResidentList, ...errors } },
  }, async (req) => ({ residents: await creds.residents(principalOf(req), req.query.householdId) }));

  r.get('/api/v1/residents/:id', {
    preHandler: requireRole('resident', 'admin'),
    config,
    schema: { tags, summary: 'One resident', security, params: IdParam, response: { 200: ResidentView, ...errors } },
  }, async (req) => creds.resident(principalOf(req), req.params.id));

  r.put('/api/v1/residents/:id/face-consent', {
    preHandler: requireRole('resident', 'admin'),
    config,
    schema: {
      tags,
      summary: 'Give or withdraw face-recognition consent (withdrawing deletes the face credential at once)',
      security,
      params: IdParam,
      body: FaceConsentBody,
      response: { 200: ResidentView, ...errors },
    },
  }, async (req) => creds.setFaceConsent(principalOf(req), req.params.id, req.body.consent));

  r.get('/api/v1/residents/:id/credentials', {
    preHandler: requireRole('resident', 'admin'),
    config,
    schema: { tags, summary: "A resident's credentials (hints only, never a secret)", security, params: IdParam, response: { 200: CredentialList, ...errors } },
  }, async (req) => ({ credentials: await creds.credentials(principalOf(req), req.params.id) }));

  r.post('/api/v1/residents/:id/credentials', {
    preHandler: requireRole('admin'),
    config,
    schema: {
      tags,
      summary: 'Enrol a card, PIN (generated, shown once), face template reference (needs consent) or plate',
      security,
      params: IdParam,
      body: CredentialEnrolBody,
      response: { 201: CredentialEnrolled, ...errors },
    },
  }, async (req, reply) => reply.code(201).send(await creds.enrol(principalOf(req), req.params.id, req.body)));

  r.patch('/api/v1/credentials/:id', {
    preHandler: requireRole('admin'),
    config,
    schema: { tags, summary: 'Suspend or resume a credential', security, params: IdParam, body: CredentialPatchBody, response: { 200: CredentialView, ...errors } },
  }, async (req) => creds.setStatus(principalOf(req), req.params.id, req.body.status));

  r.delete('/api/v1/credentials/:id', {
    preHandler: requireRole('admin'),
    config,
    schema: { tags, summary: 'Remove a credential', security, params: IdParam, response: { 204: z.null(), ...errors } },
  }, async (req, reply) => {
    await creds.remove(principalOf(req), req.params.id);
    return reply.code(204).send(null);
  });

  r.get('/api/v1/blacklist', {
    preHandler: requireRole('guard', 'admin'),
    config,
    schema: { tags: ['blacklist'], summary: 'Refused credentials', security, response: { 200: BlacklistList, ...errors } },
  }, async () => ({ entries: await creds.blacklist() }));

  r.post('/api/v1/blacklist', {
    preHandler: requireRole('guard', 'admin'),
    config,
    schema: { tags: ['blacklist'], summary: 'Refuse a credential at every door (its use raises an incident)', security, body: BlacklistBody, response: { 201: BlacklistView, ...errors } },
  }, async (req, reply) => reply.code(201).send(await creds.addBlacklist(principalOf(req), req.body)));

  r.delete('/api/v1/blacklist/:id', {
    preHandler: requireRole('admin'),
    config,
    schema: { tags: ['blacklist'], summary: 'Take a credential off the blacklist', security, params: IdParam, response: { 204: z.null(), ...errors } },
  }, async (req, reply) => {
    await creds.removeBlacklist(principalOf(req), req.params.id);
    return reply.code(204).send(null);
  });
}
