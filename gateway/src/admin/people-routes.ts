import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../api/auth';
import { AdminIdParam } from '../contracts/api/admin';
import {
  AdminResidentBody,
  AdminResidentList,
  AdminResidentListQuery,
  AdminResidentPatch,
  AdminResidentView,
  AuditPage,
  AuditQuery,
  MoveOutBody,
  PaperConsentBody,
} from '../contracts/api/admin-people';
import type { AuditRepo } from '../db/audit';
import type { ResidentAdminRepo } from '../db/residents';
import type { Logger } from '../log';
import { adminErrors, found, security } from './routes';
import { requireAdmin, requireInstallationAdmin, scopeOf } from './scope';
import { type liveEffects, actorFor, moveOutAt, unwrap } from './service';

export interface PeopleRouteDeps {
  residents: ResidentAdminRepo;
  audit: AuditRepo;
  live: ReturnType<typeof liveEffects>;
  now: () => Date;
  log: Logger;
}

/**
 * /api/v1/admin/residents and /api/v1/admin/audit. A resident's credentials are enrolled, suspended and removed
 * through /api/v1/residents/{id}/credentials and /api/v1/credentials/{id} (access/), which hash them the same way.
 */
export function registerPeopleRoutes(app: FastifyInstance, deps: PeopleRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { residents, live, now } = deps;
  const preHandler = requireAdmin;
  const who = (req: Parameters<typeof principalOf>[0]) => actorFor(principalOf(req), now());
  const tags = ['admin: residents'];

  r.get('/api/v1/admin/residents', { preHandler, schema: { tags, summary: 'Residents, of one household or all (phones masked)', security, querystring: AdminResidentListQuery, response: { 200: AdminResidentList, ...adminErrors } } }, async (req) => ({
    residents: await residents.list(scopeOf(principalOf(req)), req.query),
  }));
  r.post('/api/v1/admin/residents', { preHandler, schema: { tags, summary: 'Enrol a resident in a household', security, body: AdminResidentBody, response: { 201: AdminResidentView, ...adminErrors } } }, async (req, reply) => {
    const v = unwrap(await residents.create(req.body, who(req)));
    await live.resident(v.id);
    return reply.code(201).send(v);
  });
  r.get('/api/v1/admin/residents/:id', { preHandler, schema: { tags, summary: 'One resident', security, params: AdminIdParam, response: { 200: AdminResidentView, ...adminErrors } } }, async (req) =>
    found(await residents.get(req.params.id, scopeOf(principalOf(req))), 'resident'),
  );
  r.patch('/api/v1/admin/residents/:id', { preHandler, schema: { tags, summary: 'Edit a resident; active: false refuses them at every door at once (data kept)', security, params: AdminIdParam, body: AdminResidentPatch, response: { 200: AdminResidentView, ...adminErrors } } }, async (req) => {
    const v = unwrap(await residents.update(req.params.id, req.body, who(req)));
    await live.resident(req.params.id);
    return v;
  });
  r.put('/api/v1/admin/residents/:id/face-consent', {
    preHandler,
    schema: { tags, summary: 'Record face-recognition consent from a signed paper form (its reference required), or its withdrawal (deletes the face credentials)', security, params: AdminIdParam, body: PaperConsentBody, response: { 200: AdminResidentView, ...adminErrors } },
  }, async (req) => {
    const v = unwrap(await residents.paperConsent(req.params.id, req.body, who(req)));
    await live.resident(req.params.id);
    return v.view;
  });
  r.post('/api/v1/admin/residents/:id/move-out', {
    preHandler,
    schema: { tags, summary: 'Move-out: every credential stops at once; name, phone and face data are erased (the id stays as a pseudonym)', security, params: AdminIdParam, body: MoveOutBody, response: { 200: AdminResidentView, ...adminErrors } },
  }, async (req) => {
    const v = unwrap(await residents.moveOut(req.params.id, moveOutAt(req.body, now()), who(req)));
    await live.resident(req.params.id);
    req.log.info({ residentId: req.params.id, credentialsDeleted: v.deleted.length }, 'resident moved out and anonymised');
    return v.view;
  });
  r.delete('/api/v1/admin/residents/:id', { preHandler, schema: { tags, summary: 'Delete a resident nothing refers to (a mistaken entry); otherwise deactivate or move out', security, params: AdminIdParam, response: { 204: z.null(), ...adminErrors } } }, async (req, reply) => {
    unwrap(await residents.remove(req.params.id, who(req)));
    await live.resident(req.params.id);
    return reply.code(204).send(null);
  });

  r.get('/api/v1/admin/audit', {
    preHandler: requireInstallationAdmin,
    schema: { tags: ['admin: audit log'], summary: 'The audit log, newest first: who changed what, before and after (secrets redacted)', security, querystring: AuditQuery, response: { 200: AuditPage, ...adminErrors } },
  }, async (req) => deps.audit.list(req.query));
}
