import type { Registry } from 'prom-client';
import type { FeatureRoutes } from '../api/routes';
import type { Bus } from '../bus';
import type { Config } from '../config';
import type { PrismaClient, RawDb } from '../db/client';
import { alertSourceRepo } from '../db/alert-sources';
import { alertRepo } from '../db/alerts';
import { gridRepo } from '../db/grids';
import { contactRepo } from '../db/contacts';
import { notificationRepo } from '../db/notifications';
import type { WriteHealth } from '../db/heartbeat';
import { outboxRepo } from '../db/outbox';
import { LiveHub } from '../live/hub';
import { chainRule } from '../rules/escalation';
import { createPoliceLink } from './police-link';
import { type StationHolder, StreamTickets } from '../live/tickets';
import type { Logger } from '../log';
import type { Lifecycle } from '../runtime/lifecycle';
import { createActions } from './actions';
import { subscribeRules } from './engine';
import { escalationChain } from './escalation-chain';
import { failureLog } from './failure-log';
import { alertMetrics } from './metrics';
import { type JudgeOpening, createOutboxSweep } from './outbox';
import { type Notifier, outboxFor } from './notifier';
import { createDispatcher } from './notifier/dispatcher';
import { webhookNotifier } from './notifier/webhook';
import { PINNED_PLACE_KINDS, createPlaces } from './places';
import { EscalationRouting } from './routing';
import { createLifecycle } from './service';
import { alertSettings } from './settings';
import { AlertStore } from './store';
import { createStreetlights } from './streetlights';
import { createSupervision } from './supervision';
import { createWelfare } from './welfare';
import { showOutage } from './outage-display';
import { startSweeps } from './sweeps';
import { alertsFeatureRoutes } from './feature-routes';
import { compoundZone } from '../db/zone';

export interface AlertsFeatureDeps {
  config: Config;
  prisma: PrismaClient;
  /** The raw connection (db/client.ts): the alert write path uses it, like ingest's group commit. */
  raw: RawDb;
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
 */
export async function createAlertsFeature(deps: AlertsFeatureDeps): Promise<AlertsFeature> {
  const { config, prisma, raw, bus } = deps;
  const log = deps.log.child({ module: 'alerts' });
  const now = deps.now ?? (() => new Date());
  const settings = alertSettings(config);
  const metrics = alertMetrics(deps.registry);
  const repo = alertRepo(prisma, raw, settings.chain);
  const sources = alertSourceRepo(prisma);

  const hub = new LiveHub(
    { heartbeatMs: config.LIVE_HEARTBEAT_SEC * 1000, ackTimeoutMs: config.LIVE_ACK_TIMEOUT_SEC * 1000, maxBufferBytes: config.LIVE_CLIENT_MAX_BUFFER_KB * 1024 },
    {
      log: deps.log.child({ module: 'live' }),
      now,
      lastId: () => store.lastId,
      openAlerts: () => store.all(),
      onDrop: (reason) => metrics.liveDropped.inc({ reason }),
    },
  );
  const tickets = new StreamTickets({ ttlMs: config.LIVE_TICKET_TTL_SEC * 1000, max: 10_000 });
  const boardTickets = new StreamTickets<StationHolder>({ ttlMs: config.LIVE_TICKET_TTL_SEC * 1000, max: 1_000 });
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
  // A database outage makes these fail on every tick: each is warned once, then logged once when it recovers.
  const failures = (op: string, what: string) =>
    failureLog(log, what, { onFailure: () => metrics.writeFailures.inc({ op }), onState: (failing) => metrics.writesFailing.set({ op }, failing ? 1 : 0) });
  const writes = failures('alert_change', 'storing an alert change');
  const escalations = failures('escalation', 'escalation sweep');
  const outboxReads = failures('outbox_read', 'reading the alert outbox');
  const lifecycle = createLifecycle({ store, places, settings, log, now, outboxFor: outboxFor(config.ESCALATION_CHAIN, now, (hh, level) => routing.targets(hh, level)), writes });
  const actions = createActions({ store, repo, log, now, onSiteMin: settings.onSiteMin });
  const notifier =
    deps.notifier ??
    (config.WEBHOOK_SECRET !== undefined
      ? webhookNotifier({ secret: config.WEBHOOK_SECRET, timeoutMs: config.WEBHOOK_TIMEOUT_MS, now })
      : { send: async () => ({ ok: false as const, error: 'no WEBHOOK_SECRET configured', retryable: false }) });
  const police = createPoliceLink({
    url: config.POLICE_LINK_URL,
    devices: new Set(config.POLICE_LINK_DEVICES),
    notifier,
    record: (id, ok, note, detail) => actions.recordNotification(id, ok, note, detail),
    log: log.child({ part: 'police' }),
    now,
  });
  const dispatcher = createDispatcher(
    { maxAttempts: config.WEBHOOK_MAX_ATTEMPTS, backoffMs: config.WEBHOOK_BACKOFF_MS, backoffMaxMs: config.WEBHOOK_BACKOFF_MAX_MS, chain: settings.chain },
    { repo: notificationRepo(prisma), notifier, record: actions.recordNotification, log: log.child({ part: 'notifier' }), now },
  );
  const supervision = createSupervision(settings, lifecycle.apply);
  const streetlights = createStreetlights(settings, { places, apply: lifecycle.apply, log });
  const welfare = createWelfare(settings, { sources, apply: lifecycle.apply, log, now });

  await store.load();
  const devices = await sources.supervisedDevices();
  supervision.load(devices, store.all(), now().getTime());
  streetlights.load(store.all());
  const outbox = outboxRepo(raw);
  const orphans = outbox.dropOrphans();
  if (orphans > 0) log.warn({ orphans }, 'alert outbox entries without their event row dropped');
  const outboxSweep = createOutboxSweep({ judgeOpening: deps.judgeOpening, reads: outboxReads, outbox, lifecycle, store, settings, log, metrics, batch: OUTBOX_PAGE });
  // A chain with no channel above the guard station: a maintenance alert the guard sees (cleared once it works).
  const chain = escalationChain(config.ESCALATION_CHAIN);
  lifecycle.judge(chainRule({ levels: chain.levels.map((l) => l.name), working: chain.working }, now()));
  const sweepFailed = (err: unknown) => log.error({ err }, 'alert outbox sweep failed');
  const timers: NodeJS.Timeout[] = [];
  let outboxTimer: NodeJS.Timeout | undefined;

  /** Subscribes the rules and the outage display, works the outbox's backlog, starts the sweeps and the stream. */
  async function start() {
    const subscriber = bus.subscriber('alerts');
    subscribeRules(subscriber, settings, { judge: lifecycle.judge, supervision, streetlights, welfare });
    showOutage(subscriber, { hub, places, log, now, dbHealth: deps.dbHealth });
    // Whatever a crash left unjudged, in the background: new events are judged on arrival meanwhile.
    const backlog = outbox.size();
    if (backlog > 0) log.warn({ backlog }, 'stored events not yet judged by the alert engine; judging them now');
    void outboxSweep.sweep().catch(sweepFailed);
    outboxTimer = setInterval(() => void outboxSweep.sweep().catch(sweepFailed), config.ALERT_OUTBOX_SWEEP_MS);
    // The place of every alarm button is looked up now, not when it is pressed.
    const placesFailed = (err: unknown) => log.warn({ err }, 'could not load the places of alarm buttons');
    void places.warm(PINNED_PLACE_KINDS, placesFailed).catch(placesFailed);

    timers.push(...startSweeps(config, { supervision, streetlights, welfare, lifecycle, store, hub, metrics, escalations, now }));
    hub.start();
    dispatcher.kick();
    log.info({ open: store.all().length, devices: devices.length, chain: settings.chain }, 'alerts ready');
  }

  return {
    routes: alertsFeatureRoutes({
      prisma,
      police,
      store,
      apply: lifecycle.apply,
      onSiteMin: settings.onSiteMin,
      log,
      now,
      alerts: {
        repo,
        actions,
        contacts: contactRepo(prisma),
        chain: config.ESCALATION_CHAIN,
        storedContacts: () => routing.contacts(),
        zone: () => compoundZone(prisma),
        // The escalation chain's start-up warning keeps the gateway's own logger (no module), as before the move.
        log: deps.log,
        live: {
          hub, lastId: () => store.lastId, changesSince: repo.changesSince, replayMax: config.LIVE_REPLAY_MAX, maxClients: config.LIVE_MAX_CLIENTS,
          maxPerUser: config.LIVE_MAX_CLIENTS_PER_USER,
          tickets,
          boardTickets,
        },
      },
    }),
    board: {
      ticket: (stationId) => boardTickets.issue({ stationId }),
      end: (stationId) => hub.evictOldestOf(`station:${stationId}`, 0),
      ack: (stationId, connectionId) => hub.ack(connectionId, `station:${stationId}`),
    },
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
      clearInterval(outboxTimer);
      await outboxSweep.sweep().catch(sweepFailed);
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
