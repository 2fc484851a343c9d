// The hub writer process (docs/scale-out.md): JetStream → PostgreSQL for every cell's replicated rows. A separate
// entry, not a mode of main.ts: the hub has no SQLite, no MQTT broker and no guard station, and its configuration
// (config/hub.ts) shares nothing with a cell's. Run: `node --import tsx gateway/src/hub-main.ts` (scripts/hub-up).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import pg from 'pg';
import { loadHubConfig } from './config/hub';
import { webhookNotifier } from './api/webhook';
import { createCellWatch, hubAlerts } from './hub/cells';
import { createHubEscalation } from './hub/escalation';
import { createCommander } from './hub/commands';
import { buildHubHttp, findUiDist } from './hub/http';
import { downlinkMetrics, downlinkOutbox, downlinkResults, ensureDownlinkConsumer } from './hub/downlink';
import { downlinkStore } from './hub/downlink-store';
import { hubMetrics } from './hub/metrics';
import { createHubNotifier } from './hub/notify';
import { findPgMigrationsDir, migratePg, readPgMigrations } from './hub/schema';
import { hubStore } from './hub/store';
import { createHubWriter, ensureJetStream } from './hub/writer';
import { createLogger } from './log';

const EXIT_CONFIG = 78;

const loaded = loadHubConfig();
if (!loaded.ok) {
  process.stderr.write(`linli hub: ${loaded.message}\n`);
  process.exit(EXIT_CONFIG);
}
const config = loaded.config;
const log = createLogger({ level: config.LOG_LEVEL, name: 'linli-hub' });

const migrationsDir = findPgMigrationsDir(dirname(fileURLToPath(import.meta.url)));
if (migrationsDir === null) {
  process.stderr.write('linli hub: postgres/migrations not found beside the hub (the release is incomplete)\n');
  process.exit(EXIT_CONFIG);
}
const pool = new pg.Pool({ connectionString: config.HUB_DATABASE_URL, max: 4 });
pool.on('error', (err) => log.error({ err }, 'hub: idle PostgreSQL connection failed'));
const migrated = await migratePg(pool, readPgMigrations(migrationsDir));
if (migrated.applied.length > 0) log.info({ migrations: migrated.applied }, 'hub: PostgreSQL migrated');
if (migrated.changed.length > 0) log.warn({ migrations: migrated.changed }, 'hub: applied migrations were edited since');

const nc = await connect({
  servers: config.HUB_NATS_URL, name: 'linli-hub-writer', maxReconnectAttempts: -1, reconnectTimeWait: 1_000,
  ...(config.HUB_NATS_USER !== '' ? { user: config.HUB_NATS_USER, pass: config.HUB_NATS_PASSWORD } : {}),
});
const settings = { batchMax: config.HUB_BATCH_MAX, replicas: config.HUB_STREAM_REPLICAS, duplicateWindowSec: config.HUB_DUPLICATE_WINDOW_SEC, consumer: config.HUB_CONSUMER };
// A cluster that has just started elects its JetStream leader first: retry until the stream can be set up.
let buckets: Awaited<ReturnType<typeof ensureJetStream>> | null = null;
for (let attempt = 1; buckets === null; attempt++) {
  try {
    buckets = await ensureJetStream(nc, settings);
  } catch (err) {
    if (attempt % 5 === 1) log.warn({ err, attempt }, 'hub: JetStream not ready yet; retrying');
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
const cellWatch = createCellWatch(buckets.cells, hubAlerts(pool), { offlineAfterMs: config.HUB_CELL_OFFLINE_AFTER_MS, checkMs: config.HUB_CELL_CHECK_MS }, log);
const metrics = hubMetrics({ cells: cellWatch.cells, openOffline: cellWatch.openOffline });
let rows = 0;
let inserted = 0;
const writer = createHubWriter(nc, buckets.watermarks, hubStore(pool), settings, log, {
  committed: (n, ins) => {
    rows += n;
    inserted += ins;
    metrics.inserted(ins);
  },
  committedTable: metrics.committed,
  watermarks: metrics.watermarks,
});
await writer.republishAll().catch((err: unknown) => log.warn({ err }, 'hub: could not publish watermarks at start'));
writer.start();
await cellWatch.start();
// Escalation at the hub and its outbox (hub/escalation.ts, hub/notify.ts; docs/scale-out.md "Escalation at the hub").
const secret = config.HUB_WEBHOOK_SECRET;
if (secret === undefined) log.error('hub: HUB_WEBHOOK_SECRET is not set: no webhook of the hub chains can be sent (each delivery fails and is logged)');
const notifier = createHubNotifier(
  pool,
  secret !== undefined
    ? webhookNotifier({ secret, timeoutMs: config.HUB_WEBHOOK_TIMEOUT_MS, userAgent: 'linli-hub' })
    : { send: async () => ({ ok: false as const, error: 'no HUB_WEBHOOK_SECRET configured', retryable: false }) },
  { maxAttempts: config.HUB_WEBHOOK_MAX_ATTEMPTS, backoffMs: config.HUB_WEBHOOK_BACKOFF_MS, backoffMaxMs: config.HUB_WEBHOOK_BACKOFF_MAX_MS, timeoutMs: config.HUB_WEBHOOK_TIMEOUT_MS, checkMs: config.HUB_ESCALATION_CHECK_MS, counted: metrics.notification },
  log,
);
const escalation = createHubEscalation(pool, { offlineAckSec: config.HUB_OFFLINE_ACK_SEC, graceSec: config.HUB_ESCALATION_GRACE_SEC, checkMs: config.HUB_ESCALATION_CHECK_MS }, log, notifier.kick);
notifier.start();
escalation.start();
// The downlink (docs/scale-out.md "The downlink"): commands to the cells from PostgreSQL's outbox, their answers back.
const downStore = downlinkStore(pool);
await ensureDownlinkConsumer(nc);
const downMetrics = downlinkMetrics(metrics.registry, () => downStore.unanswered());
const downOutbox = downlinkOutbox(nc.jetstream({ timeout: 5_000 }), downStore, log, downMetrics);
const downResults = downlinkResults(nc.jetstream(), downStore, log, downMetrics);
downOutbox.start();
downResults.start();
// Remote opens and other commands to cells (hub/commands.ts, docs/scale-out.md "Commands").
const commander = createCommander(nc, pool, { timeoutMs: config.HUB_COMMAND_TIMEOUT_MS }, log.child({ module: 'hub-commands' }));
// /metrics, the hub users' API and the hub page (hub/http.ts, docs/scale-out.md "The hub's API and UI").
const http = await buildHubHttp({
  pool,
  log,
  cells: cellWatch.cells,
  registry: metrics.registry,
  sessionTtlMs: config.HUB_SESSION_TTL_HOURS * 3_600_000,
  uiDir: config.HUB_UI_DIST_DIR || findUiDist(dirname(fileURLToPath(import.meta.url))),
  loginPerMinute: config.HUB_LOGIN_PER_MINUTE,
  apiPerMinute: config.HUB_API_PER_MINUTE,
  downlink: { store: downStore, outbox: downOutbox },
  commands: { commander, timeoutMs: config.HUB_COMMAND_TIMEOUT_MS },
});
await http.listen({ host: config.HUB_HTTP_HOST, port: config.HUB_HTTP_PORT });
const httpAddress = http.server.address();
const httpPort = typeof httpAddress === 'object' && httpAddress !== null ? httpAddress.port : config.HUB_HTTP_PORT;
log.info({ server: nc.getServer(), consumer: config.HUB_CONSUMER, httpPort }, 'hub writer ready');
const summary = setInterval(() => {
  if (rows === 0) return;
  log.info({ rows, inserted, periodSec: 10 }, 'hub: rows committed');
  rows = 0;
  inserted = 0;
}, 10_000);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'hub: shutting down');
  clearInterval(summary);
  await http.close();
  commander.stop();
  await cellWatch.stop();
  await escalation.stop();
  await notifier.stop();
  await downOutbox.stop();
  await downResults.stop();
  await writer.stop();
  await nc.drain().catch(() => {});
  await pool.end();
  log.info('hub: stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
