import type { FeatureRoutes } from '../api/routes';
import type { Broker } from '../broker';
import type { AccessIncident, Bus, IngestedEvent, UnsavedOpening } from '../bus';
import type { Config } from '../config';
import { accessRepo, createAccessEventWriter } from '../db/access';
import type { Store } from '../db/pg-client';
import { credentialRepo } from '../db/credentials';
import { doorHistoryRepo } from '../db/door-history';
import type { EventWriter } from '../db/event-writer';
import { passRepo } from '../db/passes';
import { personalQrRepo } from '../db/personal-qr';
import { walkInRepo } from '../db/walk-ins';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { Lifecycle } from '../runtime/lifecycle';
import type { AccessContext, AccessSettings } from './context';
import { type CredentialService, credentialService } from './credentials';
import { Directory } from './directory';
import { directoryLoader } from './directory-load';
import { type DoorService, doorService } from './doors';
import { createEngine } from './engine';
import { qrSigningKey } from '../auth/pass-code';
import { type PassService, passService } from './passes';
import { personalQrService } from './personal-qr';
import { walkInService } from './walk-ins';
import { accessRoutes } from './routes';
import { createSyncer } from './syncer';

export interface AccessDeps {
  config: Config;
  db: Store;
  bus: Bus;
  broker: Pick<Broker, 'publishTo' | 'isConnected'>;
  /** The device-event writer: incidents are stored through it, like device health. */
  writer: EventWriter;
  log: Logger;
  metrics: Metrics;
  credentialKey: string;
  now?: () => Date;
}

export interface AccessFeature extends Lifecycle {
  routes: FeatureRoutes;
  /** Re-reads residents, credentials, passes, doors and the blacklist (after the seed or a direct database edit). */
  reload(): Promise<void>;
  /**
   * Re-reads places, residents, credentials, doors and the blacklist after the administration changed them, and
   * resends every door its set; visitor passes stay as counted in memory.
   */
  refreshMasterData(): Promise<void>;
  /** Re-reads one resident and their credentials (administration) and resends the doors that concern them. */
  refreshResident(id: string): Promise<void>;
  /**
   * Door monitoring's verdict on a stored opening taken from the alert outbox (the outbox sweep asks): the forced
   * entry it was, or null. `eventSeq` is its DeviceEvent row, `outboxId` its outbox entry.
   */
  judgeStoredOpening(e: IngestedEvent, eventSeq: number, outboxId: number): Promise<AccessIncident | null>;
  /** The services the HTTP routes call, for other callers with the same rules (the hub's downlink, app.ts). */
  services: { passes: PassService; credentials: CredentialService };
  /** The doors and their remote open, for commands from the district hub (replication/commands.ts, wired in app.ts). */
  doors: Pick<DoorService, 'list' | 'remoteOpenFor'>;
}

/** Passes that ended longer ago than this leave memory (the database keeps them). */
const PASS_GRACE_MS = 86_400_000;

export function accessSettings(c: Config): AccessSettings {
  return {
    antiPassback: c.ACCESS_ANTI_PASSBACK,
    plateMinConfidence: c.ACCESS_PLATE_MIN_CONFIDENCE,
    grantWindowMs: c.ACCESS_GRANT_WINDOW_SEC * 1000,
    heldOpenMs: c.ACCESS_HELD_OPEN_SEC * 1000,
    denialCount: c.ACCESS_DENIAL_ALERT_COUNT,
    denialWindowMs: c.ACCESS_DENIAL_WINDOW_SEC * 1000,
    keypad: { limit: c.ACCESS_PIN_LOCKOUT_LIMIT, windowMs: c.ACCESS_PIN_LOCKOUT_WINDOW_SEC * 1000, lockMs: c.ACCESS_PIN_LOCKOUT_SEC * 1000 },
    passbackResetMs: c.ACCESS_ANTI_PASSBACK_RESET_MIN * 60_000,
    passMaxValidityMs: c.PASS_MAX_VALIDITY_HOURS * 3_600_000,
    passMaxAdvanceMs: c.PASS_MAX_ADVANCE_DAYS * 86_400_000,
    passesPerHour: c.PASS_CREATE_PER_HOUR,
    // Until the directory's first load reads Community.timezone (reload below).
    timezone: 'Asia/Shanghai',
  };
}

/**
 * Access control: residents' credentials, visitor passes, door decisions over MQTT, door monitoring, offline
 * credential sets, and the HTTP routes for all of it. Talks to the rest only through the bus and the broker.
 */
export async function createAccessFeature(deps: AccessDeps): Promise<AccessFeature> {
  const { config, db, bus } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log.child({ module: 'access' });
  const dir = new Directory();
  const repos = { access: accessRepo(db.prisma), passes: passRepo(db.prisma), credentials: credentialRepo(db.prisma) };
  const base = {
    dir,
    keys: { credentialKey: deps.credentialKey, qrSigningKey: qrSigningKey(deps.credentialKey) },
    settings: accessSettings(config),
    repos,
    broker: deps.broker,
    bus,
    log,
    now,
  };
  const syncer = createSyncer(base);
  const ctx: AccessContext = { ...base, changed: (ids) => syncer.changed(ids) };
  const decisions = createAccessEventWriter(db, {
    maxBatch: config.INGEST_BATCH_MAX,
    maxDelayMs: config.INGEST_BATCH_DELAY_MS,
    maxPending: config.INGEST_MAX_PENDING,
    onError: (err, attempt) => log[attempt < 3 ? 'debug' : 'error']({ err, attempt }, 'access event commit failed; retrying'),
  });
  const engine = createEngine(ctx, { events: deps.writer, decisions, history: doorHistoryRepo(db), registry: deps.metrics.registry });
  const passes = passService(ctx);
  const credentials = credentialService(ctx);
  const doors = doorService(ctx, engine);
  const walkIns = walkInService(ctx, walkInRepo(db.prisma), { answerMs: config.WALK_IN_ANSWER_SEC * 1000 });
  const personalQr = personalQrService(ctx, personalQrRepo(db.prisma));

  const loader = directoryLoader(ctx, db.prisma);
  await loader.reload();

  const onEvent = (e: IngestedEvent) => {
    engine.onDeviceEvent(e);
    // The device subscribes before it announces itself online, so the set sent now reaches it.
    if (e.name === 'presence' && e.payload.status === 'online' && dir.doors.has(e.deviceId)) {
      syncer.send(e.deviceId).catch((err: unknown) => log.warn({ err, deviceId: e.deviceId }, 'could not send the credential set'));
    }
  };
  let ticker: NodeJS.Timeout | undefined;
  let pruner: NodeJS.Timeout | undefined;
  const onUnsaved = (u: UnsavedOpening) => engine.unsavedOpening(u);

  return {
    routes: accessRoutes({ passes, credentials, doors, walkIns, personalQr, limits: { perMinute: config.ACCESS_API_RATE_PER_MINUTE } }),
    reload: () => loader.reload(),
    refreshMasterData: () => loader.reload({ keepPasses: true }),
    refreshResident: (id) => loader.refreshResident(id),
    judgeStoredOpening: engine.judgeStored,
    services: { passes, credentials },
    doors,
    async start() {
      bus.subscriber('access').on('device-request', engine.onRequest).on('device-event', onEvent).on('unsaved-opening', onUnsaved);
      await walkIns.start();
      ticker = setInterval(() => engine.tick(), 1_000);
      pruner = setInterval(() => dir.prunePasses(now().getTime(), PASS_GRACE_MS), 600_000);
      ticker.unref();
      pruner.unref();
    },
    async stop() {
      bus.release('access');
      walkIns.stop();
      clearInterval(ticker);
      clearInterval(pruner);
      syncer.close();
      const drained = await decisions.drain(config.SHUTDOWN_TIMEOUT_MS);
      if (!drained) log.error({ pending: decisions.pending() }, 'shutdown deadline passed with access events uncommitted');
      decisions.close();
    },
  };
}
