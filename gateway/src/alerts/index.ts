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
import { LiveHub } from '../live/hub';
import { liveRoutes } from '../live/routes';
import type { Logger } from '../log';
import { alarmRules } from '../rules/alarm';
import { createActions } from './actions';
import { subscribeRules } from './engine';
import { alertMetrics } from './metrics';
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
  /** Replaces the webhook (tests, another channel). */
  notifier?: Notifier;
}

export interface AlertsFeature {
  /** HTTP routes: /api/v1/alerts…, /api/v1/live/… (pass to buildHttp's `routes`). */
  routes: (app: FastifyInstance) => Promise<void>;
  /** Resolves when every change queued so far is stored and published. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const LAMP_SWEEP_MS = 30_000;

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
  const store: AlertStore = new AlertStore(repo, log, (change, outbox) => {
    hub.publish(change);
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
  const unsubscribe = subscribeRules(bus, settings, { apply: lifecycle.apply, supervision, streetlights, welfare });
  await recoverAlarms();
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
   * An alarm press is committed before it is put on the bus; if the gateway died in between, the press is in the
   * database but no alert shows it. Presses later than their device's last alarm occurrence are raised now.
   */
  async function recoverAlarms(): Promise<void> {
    const presses = await sources.alarmPressesSince(new Date(now().getTime() - config.ALARM_RECOVERY_HOURS * 3_600_000));
    if (presses.length === 0) return;
    const latest = await repo.lastAlarmAt([...new Set(presses.map((p) => p.deviceId))]);
    for (const p of presses) {
      const seen = latest.get(p.deviceId);
      if ((seen && seen.getTime() >= p.receivedAt.getTime()) || p.kind === null) continue;
      log.warn({ deviceId: p.deviceId, eventId: p.eventId, receivedAt: p.receivedAt }, 'alarm press stored but never raised; raising it now');
      for (const d of alarmRules({ deviceId: p.deviceId, kind: p.kind, name: 'alarmPress', payload: { eventId: p.eventId, ts: p.deviceTime.toISOString() }, deviceTime: p.deviceTime, receivedAt: p.receivedAt })) {
        lifecycle.apply(d.kind === 'raise' ? { ...d, detail: { ...d.detail, recovered: true } } : d);
      }
    }
  }

  return {
    async routes(app) {
      await alertRoutes({ repo, actions })(app);
      await contactRoutes({ contacts: contactRepo(prisma), alerts: repo, actions })(app);
      await liveRoutes({ hub, lastId: () => store.lastId, changesSince: repo.changesSince, replayMax: config.LIVE_REPLAY_MAX, maxClients: config.LIVE_MAX_CLIENTS })(app);
    },
    idle: () => {
      lifecycle.flush();
      return store.idle();
    },
    async close() {
      clearInterval(sweep);
      clearInterval(lampSweep);
      clearInterval(welfareSweep);
      places.close();
      unsubscribe();
      lifecycle.flush();
      lifecycle.close();
      await store.idle();
      await dispatcher.close();
      hub.close();
    },
  };
}
