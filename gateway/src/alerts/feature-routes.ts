import type { FeatureRoutes } from '../api/routes';
import type { PrismaClient } from '../db/client';
import { fieldRepo } from '../db/field';
import type { Logger } from '../log';
import { createField } from './field';
import { fieldRoutes } from './field-routes';
import type { PoliceLink } from './police-link';
import { policeRoutes } from './police-routes';
import { type AlertRouteDeps, alertRoutes } from './routes';
import type { Lifecycle as AlertLifecycle } from './service';
import type { AlertStore } from './store';

/**
 * Every HTTP route of the alerts feature, in the order createAlertsFeature registered them (police link, field staff,
 * then the guard station's alert, contact and live routes). Cut out of index.ts so its wiring reads as a list; the
 * field service is built here because only its routes use it.
 */
export function alertsFeatureRoutes(deps: {
  prisma: PrismaClient;
  police: PoliceLink;
  store: AlertStore;
  apply: AlertLifecycle['apply'];
  onSiteMin: number;
  /** The alerts module's logger, for the field service. */
  log: Logger;
  now: () => Date;
  alerts: AlertRouteDeps;
}): FeatureRoutes {
  const { prisma, police, store, apply, onSiteMin, log, now } = deps;
  const { repo, actions } = deps.alerts;
  return async (app) => {
    await policeRoutes({ police, alerts: repo })(app);
    const field = fieldRepo(prisma);
    await fieldRoutes({ field: createField({ field, alerts: repo, actions, store, apply, onSiteMin, log, now }), repo: field, onSiteMin, now })(app);
    await alertRoutes(deps.alerts)(app);
  };
}
