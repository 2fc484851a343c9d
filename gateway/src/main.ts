import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './config';
import { buildGateway } from './app';
import { SchemaMissingError } from './db/client';
import { ReplicationConfigError } from './replication';
import { createLogger } from './log';
import { migrateStorage } from './migrate-storage';
import { startBackupSchedule } from './runtime/backup-schedule';
import { applyHeapGrowth } from './runtime/heap-growth';
import { startHeapTrimmer } from './runtime/heap-trim';
import { startRetentionSchedule } from './runtime/retention-schedule';
import { ensureFirstAdmin, firstAdminBanner } from './users/first-admin';

// EX_CONFIG from sysexits.h: a supervisor can tell a bad configuration from a crash.
const EXIT_CONFIG = 78;

const loaded = loadConfig();
if (!loaded.ok) {
  process.stderr.write(`linli: ${loaded.message}\n`);
  process.exit(EXIT_CONFIG);
}
const config = loaded.config;
const log = createLogger({ level: config.LOG_LEVEL });
// Before anything is built: how far V8 lets the heap grow between full collections (a storm's peak RSS).
applyHeapGrowth(config.HEAP_GROWING_PERCENT);

// The schema before anything opens the database: pending migrations applied (AUTO_MIGRATE, the default) or, when
// an operator migrates by hand, a clear stop instead of a query failing on a missing table later.
const here = dirname(fileURLToPath(import.meta.url));
const migrated = await migrateStorage(config, here, config.AUTO_MIGRATE);
if (!migrated.ok) {
  process.stderr.write(`linli: ${migrated.message}\n`);
  process.exit(EXIT_CONFIG);
}
if (migrated.applied.length > 0) log.info({ migrations: migrated.applied }, 'database migrated');
if (migrated.checksumChanged.length > 0) log.warn({ migrations: migrated.checksumChanged }, 'applied migrations were edited since');

const gateway = await buildGateway(config, log).catch((err: unknown) => {
  if (err instanceof SchemaMissingError || err instanceof ReplicationConfigError) {
    process.stderr.write(`linli: ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  throw err;
});
// First start of a real installation: no user yet → one admin with a one-time password (never a demo seed).
const firstAdmin = await ensureFirstAdmin(gateway.db.prisma, { passwordFile: config.ADMIN_INITIAL_PASSWORD_FILE }).catch((err: unknown) => {
  process.stderr.write(`linli: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(EXIT_CONFIG);
});
const ports = await gateway.listen();
if (firstAdmin.created) {
  log.info({ username: firstAdmin.username, passwordFrom: firstAdmin.source }, 'first start: administrator account created (one-time password)');
  // stdout, not the logger: the password must not reach a log file or a log shipper.
  process.stdout.write(`${firstAdminBanner(firstAdmin, `http://localhost:${ports.http}/`)}\n`);
}

// The heap is the process's, so its upkeep lives here rather than in buildGateway (tests build several per process).
gateway.metrics.heapGrowingPercent.set(config.HEAP_GROWING_PERCENT);
const heapTrimmer = startHeapTrimmer(
  // Quiet = the event loop idle 90 % of a 10 s window (10,000 held devices' keepalives use about 2 %).
  { checkIntervalMs: 10_000, quietUtilization: 0.1, growthBytes: config.HEAP_TRIM_GROWTH_MB * 2 ** 20, minIntervalMs: 60_000 },
  {
    log: log.child({ module: 'heap' }),
    onTrim: (r) => {
      gateway.metrics.heapTrimPauseSeconds.observe(r.maxPauseMs / 1000);
      gateway.metrics.heapTrimFreedBytes.inc(Math.max(0, r.beforeBytes - r.afterBytes));
    },
  },
);

const backups = config.BACKUP_DIR === '' ? null : startBackupSchedule({ dir: config.BACKUP_DIR, keep: config.BACKUP_KEEP, log: log.child({ module: 'backup' }) });

const retention = startRetentionSchedule(
  gateway.db,
  {
    accessDays: config.RETENTION_ACCESS_DAYS,
    deviceEventDays: config.RETENTION_DEVICE_EVENTS_DAYS,
    alertDays: config.RETENTION_ALERTS_DAYS,
    auditDays: config.RETENTION_AUDIT_DAYS,
    streetlightDays: config.RETENTION_STREETLIGHT_DAYS,
    passDays: config.RETENTION_PASSES_DAYS,
  },
  {
    log: log.child({ module: 'retention' }),
    // A replicating cell keeps what the hub has not confirmed (docs/scale-out.md).
    keepUnconfirmed: config.HUB_NATS_URL.length > 0,
    onPurged: (counts) => {
      for (const [cls, n] of Object.entries(counts)) if (n > 0) gateway.metrics.retentionPurged.inc({ class: cls }, n);
    },
  },
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const force = setTimeout(() => {
    log.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long; exiting');
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS + 1_000);
  force.unref();
  heapTrimmer.stop();
  backups?.stop();
  try {
    await retention.stop();
    await gateway.close();
    log.info('stopped');
    process.exit(0);
  } catch (err) {
    log.error({ err }, 'error during shutdown');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

