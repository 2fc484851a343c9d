import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { alertRoutes } from '../api/alerts';
import { contactRoutes } from '../api/contacts';
import type { Bus } from '../bus';
import type { Config } from '../config';
import type { PrismaClient, RawDb } from '../db/client';
import { alertSourceRepo } from '../db/alert-sources';
import { alertRepo } from '../db/alerts';
import { contactRepo } from '../db/contacts';
import { notificationRepo } from '../db/notifications';
import type { WriteHealth } from '../db/heartbeat';
import { outboxRepo } from '../db/outbox';
import { LiveHub } from '../live/hub';
import { liveRoutes } from '../live/routes';
import { StreamTickets } from '../live/tickets';
import type { Logger } from '../log';
import { createActions } from './actions';
import { subscribeRules } from './engine';
import { alertMetrics } from './metrics';
import { createOutboxSweep } from './outbox';
import { type Notifier, outboxFor } from './notifier';
import { createDispatcher } from './notifier/dispatcher';
import { webhookNotifier } from './notifier/webhook';
import { PINNED_PLACE_KINDS, createPlaces } from './places';
import { createLifecycle } from './service';
import { alertSettings } from './settings';
import { AlertStore } from './store';
import { createStreetlights } from './streetlights';
import { createSupervision } from './supervision';
import { createWelfare } from './welfare';

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
  /** Replaces the webhook (tests, another channel). */
  notifier?: Notifier;
}

export interface AlertsFeature {
  /** HTTP routes: /api/v1/alerts…, /api/v1/live/… (pass to buildHttp's `routes`). */
  routes: (app: FastifyInstance) => Promise<void>;
  /** Resolves when every change queued so far is stored and published. */
  idle(): Promise<void>;
  /** One pass over the alert outbox (what start and the timer do); resolves with the entries it judged. */
  sweepOutbox(): Promise<number>;
  close(): Promise<void>;
}

const LAMP_SWEEP_MS = 30_000;
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
  const store: AlertStore = new AlertStore(repo, log, (change, outbox) => {
    hub.publish(change);
    bus.emit('alert-change', { alertId: change.alert.id, type: change.alert.type, householdId: change.alert.householdId, action: change.action, at: new Date(change.at) });
    metrics.changes.inc({ action: change.action, type: change.alert.type });
    if (outbox.length > 0) dispatcher.kick();
  });
  const places = createPlaces(sources);
  const lifecycle = createLifecycle({ store, places, settings, log, now, outboxFor: outboxFor(config.ESCALATION_CHAIN, now) });
  const actions = createActions({ store, repo, log, now });
  const notifier =
    deps.notifier ??
    (config.WEBHOOK_SECRET !== undefined
      ? webhookNotifier({ secret: config.WEBHOOK_SECRET, timeoutMs: config.WEBHOOK_TIMEOUT_MS, now })
      : { send: async () => ({ ok: false as const, error: 'no WEBHOOK_SECRET configured', retryable: false }) });
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
  const outboxSweep = createOutboxSweep({ outbox, lifecycle, store, settings, log, metrics, batch: OUTBOX_PAGE });
  const unsubscribe = subscribeRules(bus, settings, { judge: lifecycle.judge, supervision, streetlights, welfare });
  const stopOutage = showOutage();
  // Whatever a crash left unjudged, in the background: new events are judged on arrival meanwhile.
  const backlog = outbox.size();
  if (backlog > 0) log.warn({ backlog }, 'stored events not yet judged by the alert engine; judging them now');
  const sweepFailed = (err: unknown) => log.error({ err }, 'alert outbox sweep failed');
  void outboxSweep.sweep().catch(sweepFailed);
  const outboxTimer = setInterval(() => void outboxSweep.sweep().catch(sweepFailed), config.ALERT_OUTBOX_SWEEP_MS);
  // The place of every alarm button is looked up now, not when it is pressed.
  const placesFailed = (err: unknown) => log.warn({ err }, 'could not load the places of alarm buttons');
  void places.warm(PINNED_PLACE_KINDS, placesFailed).catch(placesFailed);

  let escalating = false;
  const sweep = setInterval(() => {
    supervision.sweep(now().getTime());
    metrics.open.set(store.all().length);
    metrics.liveClients.set(hub.size);
    if (escalating) return;
    escalating = true;
    lifecycle
      .escalateDue()
      .catch((err: unknown) => log.error({ err }, 'escalation sweep failed'))
      .finally(() => (escalating = false));
  }, config.ALERT_SWEEP_MS);
  const lampSweep = setInterval(() => streetlights.sweep(now()), Math.max(config.ALERT_SWEEP_MS, Math.min(LAMP_SWEEP_MS, config.ALERT_SWEEP_MS * 30)));
  const welfareSweep = setInterval(() => void welfare.sweep(), config.WELFARE_CHECK_SEC * 1000);
  void welfare.sweep();
  hub.start();
  dispatcher.kick();
  log.info({ open: store.all().length, devices: devices.length, chain: settings.chain }, 'alerts ready');

  /**
   * While the database cannot commit: the guard station sees alarms at once, marked unsaved, and a banner. Only
   * places come from the database here, and they are cached (warmed for every alarm button) or read (WAL reads do
   * not wait for a writer's lock).
   */
  function showOutage() {
    const initial = deps.dbHealth?.();
    if (initial) hub.status({ database: initial.ok ? 'ok' : 'degraded', reason: initial.reason, at: now().toISOString() });
    const onHealth: Parameters<typeof bus.on<'db-health'>>[1] = (h) => hub.status({ database: h.ok ? 'ok' : 'degraded', reason: h.reason, at: h.at.toISOString() });
    // One after another, so a press's "saved" never overtakes its "unsaved" while its place is looked up.
    let shown: Promise<unknown> = Promise.resolve();
    const onUnsaved: Parameters<typeof bus.on<'unsaved-alarm'>>[1] = (u) => {
      shown = shown
        .then(() => places.device(u.deviceId))
        .catch(() => null)
        .then((info) => {
          const place = info?.place ?? { label: u.deviceId, kind: null, buildingId: null, unitId: null, householdId: null, x: null, y: null };
          hub.unsaved({ state: u.state, deviceId: u.deviceId, eventId: u.eventId, type: 'alarm_press', place, tags: info?.tags ?? [], at: u.at.toISOString() });
        })
        .catch((err: unknown) => log.error({ err, deviceId: u.deviceId }, 'could not show an unsaved alarm'));
    };
    bus.on('db-health', onHealth);
    bus.on('unsaved-alarm', onUnsaved);
    return () => {
      bus.off('db-health', onHealth);
      bus.off('unsaved-alarm', onUnsaved);
    };
  }

  return {
    async routes(app) {
      await alertRoutes({ repo, actions })(app);
      await contactRoutes({ contacts: contactRepo(prisma), alerts: repo, actions })(app);
      await liveRoutes({
        hub, lastId: () => store.lastId, changesSince: repo.changesSince, replayMax: config.LIVE_REPLAY_MAX, maxClients: config.LIVE_MAX_CLIENTS,
        maxPerUser: config.LIVE_MAX_CLIENTS_PER_USER,
        tickets,
      })(app);
    },
    idle: () => {
      lifecycle.flush();
      return store.idle();
    },
    sweepOutbox: () => outboxSweep.sweep(),
    async close() {
      // Shutdown order (app.ts drained the ingest writer before this): the outbox, then the engine stops.
      clearInterval(outboxTimer);
      await outboxSweep.sweep().catch(sweepFailed);
      lifecycle.flush();
      await store.idle();
      clearInterval(sweep);
      clearInterval(lampSweep);
      clearInterval(welfareSweep);
      places.close();
      unsubscribe();
      stopOutage();
      lifecycle.flush();
      lifecycle.close();
      await store.idle();
      await dispatcher.close();
      hub.close();
    },
  };
}
