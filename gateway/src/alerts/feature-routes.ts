import type { FeatureRoutes } from '../api/routes';
import type { Config } from '../config';
import type { AlertRepo } from '../db/alerts';
import type { PrismaClient } from '../db/client';
import { contactRepo } from '../db/contacts';
import { fieldRepo } from '../db/field';
import { compoundZone } from '../db/zone';
import type { Logger } from '../log';
import type { Actions } from './actions';
import { createField } from './field';
import { fieldRoutes } from './field-routes';
import type { alertsLive } from './live-parts';
import type { PoliceLink } from './police-link';
import { policeRoutes } from './police-routes';
import type { EscalationRouting } from './routing';
import { type AlertRouteDeps, alertRoutes } from './routes';
import type { Lifecycle as AlertLifecycle } from './service';
import type { AlertStore } from './store';

/**
 * Every HTTP route of the alerts feature, in the order createAlertsFeature registered them (police link, field staff,
 * then the guard station's alert, contact and live routes). Cut out of index.ts so its wiring reads as a list; the
 * field service is built here because only its routes use it.
 */
export function alertsFeatureRoutes(
  config: Config,
  deps: {
    prisma: PrismaClient;
    police: PoliceLink;
    store: AlertStore;
    apply: AlertLifecycle['apply'];
    onSiteMin: number;
    /** The alerts module's logger, for the field service. */
    log: Logger;
    /** The gateway's own logger (no module): the escalation chain's start-up warning keeps it, as before the move. */
    rootLog: Logger;
    now: () => Date;
    repo: AlertRepo;
    actions: Actions;
    routing: EscalationRouting;
    live: Pick<ReturnType<typeof alertsLive>, 'hub' | 'tickets' | 'boardTickets'>;
  },
): FeatureRoutes {
  const { prisma, police, store, apply, onSiteMin, log, now, repo, actions } = deps;
  const { hub, tickets, boardTickets } = deps.live;
  const alerts: AlertRouteDeps = {
    repo,
    actions,
    contacts: contactRepo(prisma),
    chain: config.ESCALATION_CHAIN,
    storedContacts: () => deps.routing.contacts(),
    zone: () => compoundZone(prisma),
    log: deps.rootLog,
    live: {
      hub, lastId: () => store.lastId, changesSince: repo.changesSince, replayMax: config.LIVE_REPLAY_MAX, maxClients: config.LIVE_MAX_CLIENTS,
      maxPerUser: config.LIVE_MAX_CLIENTS_PER_USER,
      tickets,
      boardTickets,
    },
  };
  return async (app) => {
    await policeRoutes({ police, alerts: repo })(app);
    const field = fieldRepo(prisma);
    await fieldRoutes({ field: createField({ field, alerts: repo, actions, store, apply, onSiteMin, log, now }), repo: field, onSiteMin, now })(app);
    await alertRoutes(alerts)(app);
  };
}
