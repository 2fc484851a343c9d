import type { FastifyInstance } from 'fastify';
import { auditRepo } from '../db/audit';
import type { Db } from '../db/client';
import { gridRepo } from '../db/grids';
import { masterDataRepo } from '../db/master-data';
import { residentAdminRepo } from '../db/residents';
import type { Logger } from '../log';
import { registerPeopleRoutes } from './people-routes';
import { registerPlaceRoutes } from './routes';
import { type LiveTargets, liveEffects } from './service';

export interface AdminDeps {
  db: Pick<Db, 'prisma'>;
  log: Logger;
  live: LiveTargets;
  /** Levels in ESCALATION_CHAIN: a stored contact's level must be one of them (above the guard station). */
  chainLength: number;
  /** Whether WEBHOOK_SECRET is set: webhooks are signed, so a stored webhook URL needs it. */
  webhookSecret: boolean;
  now?: () => Date;
}

/**
 * Master data administration: compounds, buildings, units, households, residents, grids and escalation contacts,
 * and the audit log. Every change is audited with before/after and reaches the doors and the alert engine before
 * its reply (see docs/administration.md).
 */
export function createAdminFeature(deps: AdminDeps) {
  const now = deps.now ?? (() => new Date());
  const log = deps.log.child({ module: 'admin' });
  const live = liveEffects(deps.live, log);
  const prisma = deps.db.prisma;
  return {
    routes: async (app: FastifyInstance) => {
      registerPlaceRoutes(app, { places: masterDataRepo(prisma), grids: gridRepo(prisma), live, now, chainLength: deps.chainLength, webhookSecret: deps.webhookSecret });
      registerPeopleRoutes(app, { residents: residentAdminRepo(prisma), audit: auditRepo(prisma), live, now, log });
    },
  };
}

export { anonymiseResident } from '../db/residents';
