import type { Registry } from 'prom-client';
import type { FeatureRoutes } from '../api/routes';
import type { Bus } from '../bus';
import type { Config } from '../config';
import { alertSourceRepo } from '../db/alert-sources';
import { alertRepo } from '../db/alerts';
import { gridRepo } from '../db/grids';
import type { WriteHealth } from '../db/heartbeat';
import { outboxRepo } from '../db/outbox';
import type { Store } from '../db/pg-client';
import type { Logger } from '../log';
import type { Lifecycle } from '../runtime/lifecycle';
import { createActions } from './actions';
import { subscribeRules } from './engine';
import { alertsFeatureRoutes } from './feature-routes';
import { alertsLive } from './live-parts';
import { alertFailureLogs, alertMetrics } from './metrics';
import { type Notifier, outboxFor } from './notifier';
import { alertNotifications } from './notifications';
import { type JudgeOpening, createOutboxSweep } from './outbox';
import { showOutage } from './outage-display';
import { PINNED_PLACE_KINDS, createPlaces } from './places';
import { EscalationRouting } from './routing';
import { createLifecycle } from './service';
import { alertSettings } from './settings';
import { loadAlertState } from './startup';
import { AlertStore } from './store';
import { createStreetlights } from './streetlights';
import { createSupervision } from './supervision';
import { startSweeps } from './sweeps';
import { createWelfare } from './welfare';

export interface AlertsFeatureDeps {
  config: Config;
  /** The gateway's data, on SQLite or PostgreSQL (db/pg-client.ts): Prisma for reads, the store's own write path for changes. */
  store: Store;
  bus: Bus;
  log: Logger;
  registry: Registry;
  now?: () => Date;
  /** Whether the database takes writes (db/heartbeat.ts), for the live stream's status frame. */
  dbHealth?: () => WriteHealth;
  /** Door monitoring's verdict on a stored opening left in the alert outbox (access/). */
  judgeOpening: JudgeOpening;
  /** Replaces the webhook (tests, another channel). */
  notifier?: Notifier;
}

export interface AlertsFeature extends Lifecycle {
  /** HTTP routes: /api/v1/alerts…, /api/v1/households/…/contacts, /api/v1/live/… (pass to buildHttp's `routes`). */
  routes: FeatureRoutes;
  /** Resolves when every change queued so far is stored and published. */
  idle(): Promise<void>;
  /** One pass over the alert outbox (what start and the timer do); resolves with the entries it judged. */
  sweepOutbox(): Promise<number>;
  /**
   * The administration changed master data: re-reads grids, households' grids and stored escalation contacts, and
   * the cached places (labels, 七彩图 tags) of alerts to come.
   */
  masterDataChanged(): Promise<void>;
  /** A registered guard station's read-only board (station/routes.ts): a single-use stream ticket, and ending its streams. */
  board: { ticket(stationId: string): { ticket: string; expiresAt: Date }; end(stationId: string): number; ack(stationId: string, connectionId: string): boolean };
}

/** Outbox entries per sweep page (docs/architecture.md: a backlog is worked in pages, new alarms go in between). */
const OUTBOX_PAGE = 200;

/**
 * Alerts at the guard station: the rules on the bus, the lifecycle with its history, escalation with stored
 * deadlines and an outbox of webhook notifications, supervision, welfare checks, streetlights, and the live stream.
 * The parts are built beside this file (live-parts.ts, notifications.ts, startup.ts, sweeps.ts, feature-routes.ts);
 * this function only wires them in the order they need each other.
 */
export async function createAlertsFeature(deps: AlertsFeatureDeps): Promise<AlertsFeature> {
  const { config, bus } = deps;
  const { prisma } = deps.store;
  const log = deps.log.child({ module: 'alerts' });
  const now = deps.now ?? (() => new Date());
  const settings = alertSettings(config);
  const metrics = alertMetrics(deps.registry);
  const repo = alertRepo(deps.store, settings.chain);
  const sources = alertSourceRepo(prisma);
  const live = alertsLive(config, { log: deps.log.child({ module: 'live' }), now, lastId: () => store.lastId, openAlerts: () => store.all(), metrics });
  const { hub } = live;
  const store: AlertStore = new AlertStore(repo, log, (change, outbox) => {
    hub.publish(change);
    police.onChange(change);
    bus.emit('alert-change', { alertId: change.alert.id, type: change.alert.type, householdId: change.alert.householdId, action: change.action, at: new Date(change.at) });
    metrics.changes.inc({ action: change.action, type: change.alert.type });
    if (outbox.length > 0) dispatcher.kick();
  });
  const places = createPlaces(sources);
  const routing = new EscalationRouting(config.ESCALATION_CHAIN);
  const grids = gridRepo(prisma);
  routing.load(await grids.routing());
  const { writes, escalations, outboxReads } = alertFailureLogs(log, metrics);
  const lifecycle = createLifecycle({ store, places, settings, log, now, outboxFor: outboxFor(config.ESCALATION_CHAIN, now, (hh, level) => routing.targets(hh, level)), writes });
  const actions = createActions({ store, repo, log, now, onSiteMin: settings.onSiteMin });
  const { police, dispatcher } = alertNotifications(config, { prisma, notifier: deps.notifier, actions, settings, log, now });
  const supervision = createSupervision(settings, lifecycle.apply);
  const streetlights = createStreetlights(settings, { places, apply: lifecycle.apply, log });
  const welfare = createWelfare(settings, { sources, apply: lifecycle.apply, log, now });
  const outbox = outboxRepo(deps.store);
  const { devices } = await loadAlertState({ store, sources, supervision, streetlights, outbox, lifecycle, chain: config.ESCALATION_CHAIN, log, now });
  const outboxSweep = createOutboxSweep({ judgeOpening: deps.judgeOpening, reads: outboxReads, outbox, lifecycle, store, settings, log, metrics, batch: OUTBOX_PAGE });
  const timers: NodeJS.Timeout[] = [];

  /** Subscribes the rules and the outage display, works the outbox's backlog, starts the sweeps and the stream. */
  async function start() {
    const subscriber = bus.subscriber('alerts');
    subscribeRules(subscriber, settings, { judge: lifecycle.judge, supervision, streetlights, welfare });
    showOutage(subscriber, { hub, places, log, now, dbHealth: deps.dbHealth });
    outboxSweep.start(config.ALERT_OUTBOX_SWEEP_MS);
    // The place of every alarm button is looked up now, not when it is pressed.
    const placesFailed = (err: unknown) => log.warn({ err }, 'could not load the places of alarm buttons');
    void places.warm(PINNED_PLACE_KINDS, placesFailed).catch(placesFailed);

    timers.push(...startSweeps(config, { supervision, streetlights, welfare, lifecycle, store, hub, metrics, escalations, now }));
    hub.start();
    dispatcher.kick();
    log.info({ open: store.all().length, devices, chain: settings.chain }, 'alerts ready');
  }

  return {
    routes: alertsFeatureRoutes(config, { prisma, police, store, apply: lifecycle.apply, onSiteMin: settings.onSiteMin, log, rootLog: deps.log, now, repo, actions, routing, live }),
    board: live.board,
    idle: () => {
      lifecycle.flush();
      return store.idle();
    },
    sweepOutbox: () => outboxSweep.sweep(),
    async masterDataChanged() {
      routing.load(await grids.routing());
      await places.refresh();
    },
    start,
    async stop() {
      // Shutdown order (app.ts drained the ingest writer before this): the outbox, then the engine stops.
      await outboxSweep.stop();
      lifecycle.flush();
      await store.idle();
      for (const t of timers) clearInterval(t);
      places.close();
      bus.release('alerts');
      lifecycle.flush();
      lifecycle.close();
      await store.idle();
      await dispatcher.close();
      hub.close();
    },
  };
}
