import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { type AccessFeature, createAccessFeature } from './access';
import { type AlertsFeature, createAlertsFeature } from './alerts';
import { buildHttp } from './api';
import type { ReadyReport } from './contracts/api/ops';
import { uiRoutes } from './api/ui';
import { createDeviceAuth } from './auth/device-auth';
import { createSessions } from './auth/sessions';
import { registerRenew } from './api/renew';
import { registerEscalationChain } from './api/escalation-chain';
import { type Broker, createBroker } from './broker';
import { Bus } from './bus';
import { type Config, databasePath } from './config';
import { addressMatcher, forwardedClient } from './config/addresses';
import type { DeviceKind } from './contracts';
import { DEFAULT_SERVERS, asyncApiDocument } from './contracts/asyncapi';
import { type Db, openDb } from './db/client';
import { deviceRepo } from './db/devices';
import { startDbHeartbeat } from './db/heartbeat';
import { runDataMigrations } from './db/data-migrations';
import { looseDirectory } from './db/files';
import { loadOrCreateCredentialKey } from './db/seed/credential-key';
import { createPresenceWriter } from './db/presence';
import { isoStored } from './db/time';
import { sessionRepo } from './db/sessions';
import { type EventWriter, createEventWriter } from './db/event-writer';
import { createIngest } from './ingest';
import type { Logger } from './log';
import { type Metrics, createMetrics } from './metrics';
import { type SiteFeature, createSiteFeature } from './site';
import { createResidentFeature } from './resident';

export interface Gateway {
  readonly config: Config;
  readonly db: Db;
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

/** How often the presence summary is logged (when anything changed). */
const PRESENCE_SUMMARY_SEC = 10;

/** Builds every part of the gateway and wires them; nothing listens until `listen()`. */
export async function buildGateway(config: Config, log: Logger): Promise<Gateway> {
  const metrics = createMetrics();
  const db = await openDb(databasePath(config), { busyWaitMs: config.DB_BUSY_WAIT_MS, onBusy: () => metrics.dbBusyRetries.inc() });
  const bus = new Bus();
  let writable = true;
  const heartbeat = startDbHeartbeat(db.raw, {
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
  const credentialKey = loadOrCreateCredentialKey(dirname(db.path), config.CREDENTIAL_KEY);
  if (credentialKey.source === 'created') log.warn({ path: credentialKey.path }, 'created a new credential key: back it up with the database');
  if (looseDirectory(dirname(db.path))) log.warn({ dir: dirname(db.path) }, 'the data directory is open to group or others: chmod 700 it');
  for (const m of runDataMigrations(db.raw, credentialKey.key)) log.info({ migration: m.name, rows: m.rows }, 'data migration applied');
  const devices = deviceRepo(db);
  const writer = createEventWriter(db.raw, {
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

  const ingest = createIngest(
    {
      maxPayloadBytes: config.INGEST_MAX_PAYLOAD_BYTES,
      clockDriftToleranceSec: config.CLOCK_DRIFT_TOLERANCE_SEC,
      badPayloadAlertCount: config.BAD_PAYLOAD_ALERT_COUNT,
      badPayloadWindowSec: config.BAD_PAYLOAD_WINDOW_SEC,
      qos0RatePerSec: config.QOS0_RATE_PER_SEC,
      qos0Burst: config.QOS0_BURST,
      unsavedAfterMs: config.INGEST_UNSAVED_AFTER_MS,
      credentialKey: credentialKey.key,
    },
    {
      writer,
      bus,
      log: log.child({ module: 'ingest' }),
      metrics,
      replyError: (deviceId, error) => {
        // Called only from inside the broker's hooks, so `broker` below is initialised by then.
        broker.publishTo(deviceId, 'error', error).catch((err: unknown) => log.warn({ err, deviceId }, 'could not send device error'));
      },
    },
  );

  const presenceLog = log.child({ module: 'presence' });
  // Nobody waits for a presence row (the bus has the change at once), so it can wait for company: a reconnect storm's
  // 10,000 logins become a few dozen commits instead of one every few milliseconds on the event loop.
  const presenceWriter = createPresenceWriter(db.raw, { maxBatch: 5_000, maxDelayMs: 100, maxPending: 100_000 });
  const setPresence = (deviceId: string, online: boolean, cause: string, kind: DeviceKind) => {
    const at = new Date();
    presenceWriter
      .write({ deviceId, online, at: isoStored(at) })
      .catch((err: unknown) => presenceLog.error({ err, deviceId }, 'could not store presence'));
    // One line per device at debug; at info a summary (a restarted gateway sees the compound log in within seconds,
    // and 10,000 synchronous log lines would cost the event loop as much as the logins themselves).
    presenceLog.debug({ deviceId, online, cause }, online ? 'device online' : 'device offline');
    if (online) presenceChanges.online++;
    else presenceChanges.offline++;
    bus.emit('presence', { deviceId, kind, online, cause, at });
  };
  const presenceChanges = { online: 0, offline: 0 };
  const presenceSummary = setInterval(() => {
    if (presenceChanges.online === 0 && presenceChanges.offline === 0) return;
    presenceLog.info({ connected: broker.connectedCount(), cameOnline: presenceChanges.online, wentOffline: presenceChanges.offline, periodSec: PRESENCE_SUMMARY_SEC }, 'device presence changed');
    presenceChanges.online = 0;
    presenceChanges.offline = 0;
  }, PRESENCE_SUMMARY_SEC * 1000);
  presenceSummary.unref();

  const broker = await createBroker(
    {
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
    },
    {
      authenticate: createDeviceAuth(devices, credentialKey.key),
      ingest: ingest.ingest,
      unknownChannel: ingest.unknownChannel,
      connected: (d) => setPresence(d.id, true, 'connected', d.kind),
      disconnected: (d, cause) => {
        if (cause !== 'taken_over') setPresence(d.id, false, cause, d.kind);
      },
    },
    log.child({ module: 'broker' }),
    metrics,
  );

  const ready = (): ReadyReport => {
    const write = heartbeat.health();
    const database = write.ok ? 'ok' : 'degraded';
    const pending = writer.pending();
    const ingestState = writer.degraded() ? 'failing' : pending > config.INGEST_MAX_PENDING / 2 ? 'backlogged' : 'ok';
    const brokerState = broker.aedes.closed ? 'closed' : 'ok';
    const ok = database === 'ok' && brokerState === 'ok' && ingestState === 'ok';
    return { status: ok ? 'ready' : 'degraded', checks: { database, databaseReason: write.reason, broker: brokerState, ingest: { state: ingestState, pending } } };
  };

  const sessions = createSessions(sessionRepo(db.prisma), config.SESSION_TTL_HOURS * 3_600_000, undefined, config.SESSION_MAX_HOURS * 3_600_000);
  const access = await createAccessFeature({ config, db, bus, broker, writer, log, metrics, credentialKey: credentialKey.key });
  const alerts = await createAlertsFeature({ config, prisma: db.prisma, raw: db.raw, bus, log, registry: metrics.registry, dbHealth: () => heartbeat.health() });
  const site = await createSiteFeature({ db, bus, isConnected: (id) => broker.isConnected(id), log });
  const resident = createResidentFeature({ prisma: db.prisma, bus, log, credentialKey: credentialKey.key, ticketTtlMs: config.LIVE_TICKET_TTL_SEC * 1000 });
  /** The ports really bound (a configured 0 picks a free one), once listening. */
  let bound: { http: number; mqtt: number; mqtts?: number } | undefined;
  const http = await buildHttp({
    log,
    metrics,
    ready,
    // Servers as devices will reach them: the Host the reader used for this document, and the enabled listeners.
    asyncapi: (host?: string) =>
      asyncApiDocument({
        host: host ?? DEFAULT_SERVERS.host,
        mqttPort: bound?.mqtt ?? config.MQTT_PORT,
        tlsPort: config.TLS_CERT_FILE !== undefined ? (bound?.mqtts ?? config.MQTT_TLS_PORT) : undefined,
        wsPort: bound?.http ?? config.HTTP_PORT,
      }),
    sessions,
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
      onRefused: (reason) => metrics.httpConnectionsRefused.inc({ reason }),
    },
    loginLimits: {
      perAddressAndName: config.LOGIN_RATE_PER_MINUTE,
      perAddress: config.LOGIN_RATE_PER_ADDRESS_PER_MINUTE,
      perName: config.LOGIN_RATE_PER_NAME_PER_MINUTE,
    },
    // The UI's catch-all comes last: every API route is registered before it.
    routes: [(app) => registerRenew(app, sessions), (app) => registerEscalationChain(app, config.ESCALATION_CHAIN, log), access.routes, alerts.routes, site.routes, resident.routes, uiRoutes(config.UI_DIST_DIR, log)],
  });

  const httpProxy = addressMatcher(config.HTTP_TRUSTED_PROXIES);
  // MQTT over WebSocket shares the HTTP port at /mqtt. ws bounds a frame before buffering it.
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
    credentialKey: credentialKey.key,
    async listen() {
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
      bound = { http: httpPort, mqtt: mqttPort, ...(mqtts !== undefined ? { mqtts } : {}) };
      return bound;
    },
    close() {
      closing ??= (async () => {
        const deadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS;
        const left = () => Math.max(0, deadline - Date.now());
        await broker.close();
        clearInterval(presenceSummary);
        for (const c of wss.clients) c.terminate();
        await http.close();
        // The order keeps every stored alarm judged: the ingest writer drains first (its events reach the bus, and
        // door monitoring may still store an incident), then access, then the writer for good, then the alert
        // engine works its outbox and stops. Whatever the deadline cuts off stays in the outbox for the next start.
        let drained = await writer.drain(left(), true);
        await access.close();
        drained = (await writer.drain(left())) && drained;
        await alerts.close();
        site.close();
        resident.close();
        await presenceWriter.drain(left());
        heartbeat.stop();
        if (!drained) log.error({ pending: writer.pending() }, 'shutdown deadline passed with events still uncommitted (they were never acknowledged)');
        await db.close();
      })();
      return closing;
    },
  };
}
