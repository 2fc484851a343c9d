import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireRole } from '../api/auth';
import { ErrorReply } from '../contracts/api/auth';
import { SetupChecklist, type SetupStepName } from '../contracts/api/setup';
import type { DeviceAdminRepo } from '../db/device-admin';

/** What each step needs in the database to count as done. */
export async function setupChecklist(repo: Pick<DeviceAdminRepo, 'counts'>): Promise<SetupChecklist> {
  const c = await repo.counts();
  const steps: Array<{ step: SetupStepName; done: boolean; count: number }> = [
    { step: 'admin_password', done: c.adminPasswordChanged, count: c.adminPasswordChanged ? 1 : 0 },
    { step: 'compound', done: c.communities > 0, count: c.communities },
    { step: 'buildings', done: c.buildings > 0, count: c.buildings },
    { step: 'households', done: c.households > 0, count: c.households },
    { step: 'devices', done: c.devices > 0, count: c.devices },
    { step: 'guards', done: c.guards > 0, count: c.guards },
  ];
  const next = steps.find((s) => !s.done)?.step ?? null;
  return { steps, complete: next === null, next };
}

/** GET /api/v1/setup: the first steps of an installation and which are done (the admin pages open on it). */
export function registerSetupRoutes(app: FastifyInstance, repo: Pick<DeviceAdminRepo, 'counts'>) {
  app.withTypeProvider<ZodTypeProvider>().get('/api/v1/setup', {
    preHandler: requireRole('admin', 'property_manager'),
    schema: {
      tags: ['setup'],
      summary: 'Setup checklist: admin password → compound → buildings → households → devices → guards',
      security: [{ bearer: [] }],
      response: { 200: SetupChecklist, 401: ErrorReply, 403: ErrorReply },
    },
  }, async () => setupChecklist(repo));
}
