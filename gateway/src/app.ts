import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { type AccessFeature, createAccessFeature } from './access';
import { createAdminFeature } from './admin';
import { type AlertsFeature, createAlertsFeature } from './alerts';
import { buildHttp } from './api';
import type { FeatureRoutes } from './api/routes';
import type { ReadyReport } from './contracts/api/ops';
import { uiRoutes } from './api/ui';
import { createDeviceAuth } from './auth/device-auth';
import { type Sessions, createSessions } from './auth/sessions';
import { type Broker, createBroker } from './broker';
import { Bus } from './bus';
import { type Config, dataDirectory } from './config';
import { addressMatcher, forwardedClient } from './config/addresses';
import type { DeviceKind } from './contracts';
import { DEFAULT_SERVERS, asyncApiDocument } from './contracts/asyncapi';
import { type Store, openStore } from './db/store';
import { deviceRepo } from './db/devices';
import { type WriteHealth, startDbHeartbeat } from './db/heartbeat';
import { runStoreDataMigrations } from './db/data-migrations';
import { looseDirectory } from './db/files';
import { loadOrCreateCredentialKey } from './auth/credential-key';
import { createPresenceWriter } from './db/presence';
import { isoStored } from './db/time';
import { sessionRepo } from './db/sessions';
import { stationRepo } from './db/stations';
import { stationRoutes } from './station/routes';
import { type EventWriter, createEventWriter } from './db/event-writer';
import { createIngest } from './ingest';
import type { Logger } from './log';
import { type Metrics, createMetrics } from './metrics';
import type { Lifecycle } from './runtime/lifecycle';
import { type SiteFeature, createSiteFeature } from './site';
import { createDevicesFeature } from './devices';
import { userRoutes } from './users';
import { createResidentFeature } from './resident';
import { transferRoutes } from './transfer/routes';
import { createReplicationFeature } from './replication';
import { createDownlinkFeature } from './replication/downlink';
import { downlinkApplier } from './downlink-apply';
import { alertSettings } from './alerts/settings';

export interface Gateway {
  readonly config: Config;
  readonly db: Store;
  readonly bus: Bus;
  readonly broker: Broker;
  readonly http: FastifyInstance;
  readonly metrics: Metrics;
  readonly writer: EventWriter;
  /** Access control (residents' credentials, visitor passes, door decisions); `reload()` after editing its tables directly. */
  readonly access: AccessFeature;
  /** Alerts, escalation and the guard station's live stream. */
  readonly alerts: AlertsFeature;
  /** The site plan and live device states for the guard station. */
  readonly site: SiteFeature;
  /** HMAC key for credential look-ups and login memos (data/credential.key unless CREDENTIAL_KEY is set). */
  readonly credentialKey: string;
  /** Starts listening; returns the bound ports (useful when the config asked for port 0). */
  listen(): Promise<{ http: number; mqtt: number; mqtts?: number }>;
  /** Graceful stop: refuse new work, finish in-flight writes, close the database; bounded by SHUTDOWN_TIMEOUT_MS. */
  close(): Promise<void>;
}

/** Largest import file (a 4,000-household XLSX is about 1 MB). */
const IMPORT_MAX_BYTES = 20 * 1024 * 1024;

/** How often the presence summary is logged (when anything changed). */
const PRESENCE_SUMMARY_SEC = 10;

/** Builds every part of the gateway and wires them; nothing listens until `listen()`. */
export async function buildGateway(config: Config, log: Logger): Promise<Gateway> {
  // Read top to bottom as the data flow: storage and the bus, the device side (broker → ingest → writer), the
  // features on the bus, then HTTP in front of them.
  const metrics = createMetrics();
  const db = await openStore(config.DATABASE_URL, { busyWaitMs: config.DB_BUSY_WAIT_MS, onBusy: () => metrics.dbBusyRetries.inc(), statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS, walAutocheckpointPages: config.DB_WAL_AUTOCHECKPOINT_PAGES });
  const bus = new Bus();
  const heartbeat = watchWrites(db, bus, config, metrics, log);
  const credentialKey = await prepareDataDirectory(db, config, log);
  const base: Base = { config, db, bus, metrics, log, credentialKey };
  const { devices, writer, presence, broker } = await buildDeviceSide(base);
  /** The ports really bound (a configured 0 picks a free one), once listening. */
  let bound: { http: number; mqtt: number; mqtts?: number } | undefined;
  const features = await buildFeatures(base, { writer, broker, dbHealth: () => heartbeat.health(), ports: () => bound ?? { http: config.HTTP_PORT, mqtt: config.MQTT_PORT, ...(config.TLS_CERT_FILE !== undefined ? { mqtts: config.MQTT_TLS_PORT } : {}) } });
  const { access, alerts, site, resident, devicesAdmin } = features;
  // Each feature subscribes to the bus and starts its timers, in this order, before anything listens.
  for (const feature of [access, alerts, site, resident, devicesAdmin]) await feature.start();
  // Cell → hub (HUB_NATS_URL): reads committed rows only, so it may start before anything listens.
  const replication = createReplicationFeature({ config, db, log, registry: metrics.registry, commands: { doors: access.doors, bus } });
  await replication.start();
  // Hub → cell commands (HUB_NATS_URL): applied through the access and admin services built above.
  const downlink = createDownlinkFeature({ config, db, log, registry: metrics.registry, apply: downlinkApplier({ prisma: db.prisma, access, log }) });
  await downlink.start();

  const sessions = createSessions(sessionRepo(db.prisma), config.SESSION_TTL_HOURS * 3_600_000, undefined, config.SESSION_MAX_HOURS * 3_600_000);
  const http = await buildHttp({
    ...httpSettings(config, metrics),
    log,
    metrics,
    ready: () => readiness(config, heartbeat, writer, broker),
    asyncapi: (host?: string) => asyncapiFor(config, bound, host),
    sessions,
    routes: featureRoutes(base, features, sessions),
  });
  const wss = mqttOverWebSocket(http, broker, config);

  let closing: Promise<void> | null = null;

  return {
    config,
    db,
    bus,
    broker,
    http,
    metrics,
    writer,
    access,
    alerts,
    site,
    credentialKey,
    async listen() {
      bound = await listen(config, { devices, broker, http, log });
      return bound;
    },
    close() {
      closing ??= (async () => {
        const deadline = startDeadline(config.SHUTDOWN_TIMEOUT_MS);
        for (const [, step] of stopOrder({ broker, presence, wss, http, writer, access, alerts, site, devicesAdmin, resident, replication, downlink, heartbeat, db, log }, deadline)) await step();
      })();
      return closing;
    },
  };
}

/** What every part is built from. */
interface Base {
  config: Config;
  db: Store;
  bus: Bus;
  metrics: Metrics;
  log: Logger;
  credentialKey: string;
}

/**
 * The device side, in the order a message travels it: the broker authenticates a device and hands its publishes to
 * ingest, which validates them and commits them through the event writer before the broker acknowledges.
 */
async function buildDeviceSide({ config, db, bus, metrics, log, credentialKey }: Base) {
  const devices = deviceRepo(db);
  const writer = ingestWriter(db, config, metrics, log);
  const ingest = createIngest(ingestSettings(config, credentialKey), {
    writer,
    bus,
    log: log.child({ module: 'ingest' }),
    metrics,
    replyError: (deviceId, error) => {
      // Called only from inside the broker's hooks, so `broker` below is initialised by then.
      broker.publishTo(deviceId, 'error', error).catch((err: unknown) => log.warn({ err, deviceId }, 'could not send device error'));
    },
  });
  const presence = trackPresence(db, bus, log, () => broker.connectedCount());
  const broker = await createBroker(
    brokerLimits(config),
    {
      authenticate: createDeviceAuth(devices, credentialKey),
      ingest: ingest.ingest,
      unknownChannel: ingest.unknownChannel,
      connected: (d) => presence.set(d.id, true, 'connected', d.kind),
      disconnected: (d, cause) => {
        if (cause !== 'taken_over') presence.set(d.id, false, cause, d.kind);
      },
    },
    log.child({ module: 'broker' }),
    metrics,
  );
  return { devices, writer, presence, broker };
}

/** The features, each built and loaded but not yet listening (app.ts starts them in one list). */
async function buildFeatures(
  { config, db, bus, metrics, log, credentialKey }: Base,
  side: { writer: EventWriter; broker: Broker; dbHealth: () => WriteHealth; ports: () => { http: number; mqtt: number; mqtts?: number } },
) {
  const { writer, broker } = side;
  const access = await createAccessFeature({ config, db, bus, broker, writer, log, metrics, credentialKey });
  const alerts = await createAlertsFeature({ config, store: db, bus, log, registry: metrics.registry, dbHealth: side.dbHealth, judgeOpening: access.judgeStoredOpening });
  const site = await createSiteFeature({ db, bus, isConnected: (id) => broker.isConnected(id), log });
  const admin = createAdminFeature({ db, log, live: { reloadAccess: access.refreshMasterData, refreshResident: access.refreshResident, reloadAlerts: alerts.masterDataChanged }, chainLength: config.ESCALATION_CHAIN.length, webhookSecret: config.WEBHOOK_SECRET !== undefined });
  const resident = createResidentFeature({ prisma: db.prisma, bus, log, credentialKey, ticketTtlMs: config.LIVE_TICKET_TTL_SEC * 1000 });
  const devicesAdmin = createDevicesFeature({ config, prisma: db.prisma, bus, broker, reloadAccess: () => access.reload(), ports: side.ports, credentialKey, log });
  return { access, alerts, site, admin, resident, devicesAdmin };
}

/** Every feature's routes (api/routes.ts); the UI's catch-all comes last: every API route is registered before it. */
function featureRoutes({ config, db, log, credentialKey }: Base, f: Awaited<ReturnType<typeof buildFeatures>>, sessions: Sessions): FeatureRoutes[] {
  const { access, alerts } = f;
  return [access.routes, alerts.routes, f.site.routes, f.admin.routes, userRoutes(db.prisma, log), f.devicesAdmin.routes, f.resident.routes,
    stationRoutes({
      stations: stationRepo(db.prisma),
      users: sessionRepo(db.prisma),
      sessions,
      board: alerts.board,
      ttlDays: config.STATION_TTL_DAYS,
      pinMaxFailures: config.PIN_MAX_FAILURES,
      pinLockMinutes: config.PIN_LOCK_MINUTES,
    }), transferRoutes({ store: db, credentialKey, supervisionSec: alertSettings(config).supervisionSec, afterCommit: () => access.reload(), log, maxUploadBytes: IMPORT_MAX_BYTES }), uiRoutes(config.UI_DIST_DIR, log)];
}

/**
 * The shutdown order, in one list: each step starts when the one before it has finished, all of them within
 * SHUTDOWN_TIMEOUT_MS. Nothing new comes in first (MQTT, then HTTP). Then the order keeps every stored alarm judged:
 * the ingest writer drains (its events reach the bus, and door monitoring may still store an incident), then access
 * stops, then the writer drains for good, then the alert engine works its outbox and stops. Whatever the deadline
 * cuts off stays in the outbox for the next start.
 */
function stopOrder(p: StopParts, deadline: Deadline): StopStep[] {
  return [
    ['broker', () => p.broker.close()],
    ['presence summary', () => p.presence.stopSummary()],
    ['MQTT over WebSocket', () => p.wss.clients.forEach((c) => c.terminate())],
    ['http', () => p.http.close()],
    ['hub downlink', () => p.downlink.stop()],
    ['ingest writer (drain)', async () => deadline.drained(await p.writer.drain(deadline.left(), true))],
    ['access', () => p.access.stop()],
    ['ingest writer (close)', async () => deadline.drained(await p.writer.drain(deadline.left()))],
    ['alerts', () => p.alerts.stop()],
    ['site', () => p.site.stop()],
    ['device administration', () => p.devicesAdmin.stop()],
    ['resident app', () => p.resident.stop()],
    ['presence writer', () => p.presence.drain(deadline.left())],
    ['replication', () => p.replication.stop()],
    ['database heartbeat', () => p.heartbeat.stop()],
    ['report', () => {
      if (!deadline.allDrained()) p.log.error({ pending: p.writer.pending() }, 'shutdown deadline passed with events still uncommitted (they were never acknowledged)');
    }],
    ['database', () => p.db.close()],
  ];
}

interface StopParts {
  broker: Broker;
  presence: ReturnType<typeof trackPresence>;
  wss: WebSocketServer;
  http: FastifyInstance;
  writer: EventWriter;
  access: Lifecycle;
  alerts: Lifecycle;
  site: Lifecycle;
  devicesAdmin: Lifecycle;
  resident: Lifecycle;
  replication: Lifecycle;
  downlink: Lifecycle;
  heartbeat: { stop(): void };
  db: Store;
  log: Logger;
}

type StopStep = [name: string, step: () => unknown];

/** The shutdown's time left, and whether every drain finished within it. */
interface Deadline {
  left(): number;
  drained(ok: boolean): void;
  allDrained(): boolean;
}

function startDeadline(ms: number): Deadline {
  const end = Date.now() + ms;
  let all = true;
  return {
    left: () => Math.max(0, end - Date.now()),
    drained: (ok) => void (all = all && ok),
    allDrained: () => all,
  };
}

/** The heartbeat write that tells whether the database takes writes; a change goes on the bus and into the log. */
function watchWrites(db: Store, bus: Bus, config: Config, metrics: Metrics, log: Logger) {
  let writable = true;
  return startDbHeartbeat(db, {
    intervalMs: config.DB_HEARTBEAT_MS,
    onResult: (h) => {
      metrics.dbWriteOk.set(h.ok ? 1 : 0);
      if (h.ok === writable) return;
      writable = h.ok;
      bus.emit('db-health', { ok: h.ok, reason: h.reason, at: new Date() });
      if (h.ok) log.info({ lastOkAt: h.lastOkAt }, 'database writable again');
      else log.error({ reason: h.reason, lastOkAt: h.lastOkAt }, 'database cannot be written');
    },
  });
}

/** The credential key beside the database, a warning for an open data directory, and the data migrations that need the key. */
async function prepareDataDirectory(db: Store, config: Config, log: Logger): Promise<string> {
  const dir = dataDirectory(config);
  const credentialKey = loadOrCreateCredentialKey(dir, config.CREDENTIAL_KEY);
  if (credentialKey.source === 'created') log.warn({ path: credentialKey.path }, 'created a new credential key: back it up with the database');
  if (looseDirectory(dir)) log.warn({ dir }, 'the data directory is open to group or others: chmod 700 it');
  for (const m of await runStoreDataMigrations(db, credentialKey.key)) log.info({ migration: m.name, rows: m.rows }, 'data migration applied');
  return credentialKey.key;
}

/** The device events' group commit. */
function ingestWriter(db: Store, config: Config, metrics: Metrics, log: Logger): EventWriter {
  return createEventWriter(db, {
    maxBatch: config.INGEST_BATCH_MAX,
    maxDelayMs: config.INGEST_BATCH_DELAY_MS,
    maxPending: config.INGEST_MAX_PENDING,
    onCommit: (size, seconds) => {
      metrics.ingestBatch.observe(size);
      metrics.ingestCommitSeconds.observe(seconds);
    },
    onError: (err, attempt) => {
      // A busy database once in a while is normal contention; a run of failures is an outage a person must see.
      if (attempt < 3) log.debug({ err, attempt }, 'group commit failed; retrying');
      else log.error({ err, attempt }, 'group commit keeps failing; acknowledgements held until the database is back');
    },
  });
}

function ingestSettings(config: Config, credentialKey: string) {
  return {
    maxPayloadBytes: config.INGEST_MAX_PAYLOAD_BYTES,
    clockDriftToleranceSec: config.CLOCK_DRIFT_TOLERANCE_SEC,
    badPayloadAlertCount: config.BAD_PAYLOAD_ALERT_COUNT,
    badPayloadWindowSec: config.BAD_PAYLOAD_WINDOW_SEC,
    qos0RatePerSec: config.QOS0_RATE_PER_SEC,
    qos0Burst: config.QOS0_BURST,
    unsavedAfterMs: config.INGEST_UNSAVED_AFTER_MS,
    credentialKey,
  };
}

/**
 * Devices coming and going: stored through a group commit of its own, on the bus at once, logged per device at
 * debug and as a summary at info.
 */
function trackPresence(db: Store, bus: Bus, log: Logger, connectedCount: () => number) {
  const presenceLog = log.child({ module: 'presence' });
  // Nobody waits for a presence row (the bus has the change at once), so it can wait for company: a reconnect storm's
  // 10,000 logins become a few dozen commits instead of one every few milliseconds on the event loop.
  const writer = createPresenceWriter(db, { maxBatch: 5_000, maxDelayMs: 100, maxPending: 100_000 });
  const changes = { online: 0, offline: 0 };
  const summary = setInterval(() => {
    if (changes.online === 0 && changes.offline === 0) return;
    presenceLog.info({ connected: connectedCount(), cameOnline: changes.online, wentOffline: changes.offline, periodSec: PRESENCE_SUMMARY_SEC }, 'device presence changed');
    changes.online = 0;
    changes.offline = 0;
  }, PRESENCE_SUMMARY_SEC * 1000);
  summary.unref();
  return {
    set(deviceId: string, online: boolean, cause: string, kind: DeviceKind) {
      const at = new Date();
      writer
        .write({ deviceId, online, at: isoStored(at) })
        .catch((err: unknown) => presenceLog.error({ err, deviceId }, 'could not store presence'));
      // One line per device at debug; at info a summary (a restarted gateway sees the compound log in within seconds,
      // and 10,000 synchronous log lines would cost the event loop as much as the logins themselves).
      presenceLog.debug({ deviceId, online, cause }, online ? 'device online' : 'device offline');
      if (online) changes.online++;
      else changes.offline++;
      bus.emit('presence', { deviceId, kind, online, cause, at });
    },
    stopSummary: () => clearInterval(summary),
    drain: (ms: number) => writer.drain(ms),
  };
}

function brokerLimits(config: Config) {
  return {
    maxPacketBytes: config.MQTT_MAX_PACKET_BYTES,
    connectTimeoutMs: config.MQTT_CONNECT_TIMEOUT_MS,
    maxTopicLevels: config.MQTT_MAX_TOPIC_LEVELS,
    offlineQueueLimit: config.MQTT_OFFLINE_QUEUE_LIMIT,
    authFailLimit: config.AUTH_FAIL_LIMIT,
    authFailAddressLimit: config.AUTH_FAIL_ADDRESS_LIMIT,
    authFailWindowMs: config.AUTH_FAIL_WINDOW_MS,
    connectConcurrency: config.MQTT_CONNECT_CONCURRENCY,
    connectQueueLimit: config.MQTT_CONNECT_QUEUE,
    connectQueueWaitMs: config.MQTT_CONNECT_QUEUE_WAIT_MS,
    presenceReconcileMs: config.MQTT_PRESENCE_RECONCILE_MS,
    maxKeepaliveSec: config.MQTT_MAX_KEEPALIVE_SEC,
    isTrustedProxy: addressMatcher(config.MQTT_TRUSTED_PROXIES),
  };
}

/** The AsyncAPI document with servers as devices will reach them: the Host the reader used, the ports really bound. */
function asyncapiFor(config: Config, bound: { http: number; mqtt: number; mqtts?: number } | undefined, host?: string) {
  return asyncApiDocument({
    host: host ?? DEFAULT_SERVERS.host,
    mqttPort: bound?.mqtt ?? config.MQTT_PORT,
    tlsPort: config.TLS_CERT_FILE !== undefined ? (bound?.mqtts ?? config.MQTT_TLS_PORT) : undefined,
    wsPort: bound?.http ?? config.HTTP_PORT,
  });
}

/** /readyz: database writable, broker up, ingest keeping up. */
function readiness(config: Config, heartbeat: { health(): WriteHealth }, writer: EventWriter, broker: Broker): ReadyReport {
  const write = heartbeat.health();
  const database = write.ok ? 'ok' : 'degraded';
  const pending = writer.pending();
  const ingestState = writer.degraded() ? 'failing' : pending > config.INGEST_MAX_PENDING / 2 ? 'backlogged' : 'ok';
  const brokerState = broker.aedes.closed ? 'closed' : 'ok';
  const ok = database === 'ok' && brokerState === 'ok' && ingestState === 'ok';
  return { status: ok ? 'ready' : 'degraded', checks: { database, databaseReason: write.reason, broker: brokerState, ingest: { state: ingestState, pending } } };
}

/** What buildHttp takes straight from the configuration. */
function httpSettings(config: Config, metrics: Metrics) {
  return {
    bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
    docs: config.DOCS_ENABLED,
    metricsAccess: { public: config.METRICS_PUBLIC, ...(config.METRICS_TOKEN !== undefined ? { token: config.METRICS_TOKEN } : {}) },
    trustedProxies: config.HTTP_TRUSTED_PROXIES,
    server: {
      requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
      idleTimeoutMs: config.HTTP_IDLE_TIMEOUT_MS,
      keepAliveTimeoutMs: config.HTTP_KEEPALIVE_TIMEOUT_MS,
      maxHeaderBytes: config.HTTP_MAX_HEADER_BYTES,
      maxConnections: config.HTTP_MAX_CONNECTIONS,
      maxConnectionsPerAddress: config.HTTP_MAX_CONNECTIONS_PER_ADDRESS,
      isTrustedProxy: addressMatcher(config.HTTP_TRUSTED_PROXIES),
      ...(config.HTTP_TLS_CERT_FILE && config.HTTP_TLS_KEY_FILE
        ? { tls: { cert: readFileSync(config.HTTP_TLS_CERT_FILE), key: readFileSync(config.HTTP_TLS_KEY_FILE) } }
        : {}),
      onRefused: (reason: 'per_address' | 'total') => metrics.httpConnectionsRefused.inc({ reason }),
    },
    loginLimits: {
      perAddressAndName: config.LOGIN_RATE_PER_MINUTE,
      perAddress: config.LOGIN_RATE_PER_ADDRESS_PER_MINUTE,
      perName: config.LOGIN_RATE_PER_NAME_PER_MINUTE,
    },
    userRatePerMinute: config.API_RATE_PER_MINUTE,
  };
}

/** MQTT over WebSocket shares the HTTP port at /mqtt. ws bounds a frame before buffering it. */
function mqttOverWebSocket(http: FastifyInstance, broker: Broker, config: Config): WebSocketServer {
  const httpProxy = addressMatcher(config.HTTP_TRUSTED_PROXIES);
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.MQTT_MAX_PACKET_BYTES + 8 });
  http.server.on('upgrade', (req, socket, head) => {
    if (req.url !== '/mqtt') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      broker.handleStream(createWebSocketStream(ws), forwardedClient(req.socket.remoteAddress ?? 'unknown', req.headers['x-forwarded-for'], httpProxy), req);
    });
  });
  return wss;
}

/** Every device offline until it reconnects, then MQTT (and MQTT over TLS when configured), then HTTP. */
async function listen(config: Config, parts: { devices: ReturnType<typeof deviceRepo>; broker: Broker; http: FastifyInstance; log: Logger }) {
  const { devices, broker, http, log } = parts;
  const offline = await devices.markAllOffline();
  if (offline > 0) log.info({ devices: offline }, 'marked devices offline until they reconnect');
  const mqttPort = await broker.listenTcp(config.MQTT_PORT, config.MQTT_HOST);
  let mqtts: number | undefined;
  if (config.TLS_CERT_FILE && config.TLS_KEY_FILE) {
    mqtts = await broker.listenTls(config.MQTT_TLS_PORT, config.MQTT_HOST, {
      cert: readFileSync(config.TLS_CERT_FILE),
      key: readFileSync(config.TLS_KEY_FILE),
    });
  }
  await http.listen({ port: config.HTTP_PORT, host: config.HTTP_HOST });
  const httpPort = (http.server.address() as AddressInfo).port;
  log.info({ http: httpPort, mqtt: mqttPort, mqtts, ws: `/mqtt` }, 'gateway listening');
  return { http: httpPort, mqtt: mqttPort, ...(mqtts !== undefined ? { mqtts } : {}) };
}
