// Cell → hub replication (docs/scale-out.md): when HUB_NATS_URL is set, committed device events, access decisions,
// alert changes, audit records, staff logins/logouts and device presence transitions leave this cell for the district
// hub, one relay per table (relay.ts). Off (and nothing connects, nothing is written) when it is not.
import { type NatsConnection, connect } from 'nats';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Config } from '../config';
import { CompoundId, REPLICATED_TABLES, type ReplicatedTable, cellInboxPrefix } from '../contracts/replication';
import type { Store } from '../db/store';
import { replicationRepo } from '../db/replication';
import type { Logger } from '../log';
import type { Lifecycle } from '../runtime/lifecycle';
import type { Bus } from '../bus';
import { hubCommandRepo } from '../db/hub-commands';
import { type CellDoorPort, startCommands } from './commands';
import { startLiveness } from './liveness';
import { type Relay, createRelay } from './relay';

/** The cell cannot say which compound it is: HUB_NATS_URL is set, COMPOUND_ID is not, and the database has not one compound. */
export class ReplicationConfigError extends Error {}

type RelayPointers = { sent: number; confirmed: number; confirmedAt: Date | null };

export interface ReplicationFeature extends Lifecycle {
  /** Each table's relay pointers (null when replication is off or not started yet). */
  state(table?: ReplicatedTable): RelayPointers | null;
  /** The database's generation once replication has started (null before, or when off). */
  generation(): string | null;
}

/** The compound this cell reports as: COMPOUND_ID, else the one active compound in its database. */
export function resolveCompound(config: Pick<Config, 'COMPOUND_ID'>, activeCompounds: string[]): CompoundId {
  if (config.COMPOUND_ID !== undefined) return config.COMPOUND_ID;
  if (activeCompounds.length !== 1) {
    throw new ReplicationConfigError(
      `HUB_NATS_URL is set but COMPOUND_ID is not, and the database holds ${activeCompounds.length} active compounds: set COMPOUND_ID`,
    );
  }
  const parsed = CompoundId.safeParse(activeCompounds[0]);
  if (!parsed.success) throw new ReplicationConfigError(`the compound id "${activeCompounds[0]}" cannot name a NATS subject: set COMPOUND_ID`);
  return parsed.data;
}

export interface ReplicationDeps {
  config: Config;
  db: Store;
  log: Logger;
  registry: Registry;
  /** Commands from the hub (commands.ts): the access feature's doors, and the bus their commands/ack arrive on. */
  commands?: { doors: CellDoorPort; bus: Bus };
}

export function createReplicationFeature(deps: ReplicationDeps): ReplicationFeature {
  const { config, db, registry } = deps;
  const log = deps.log.child({ module: 'replication' });
  if (config.HUB_NATS_URL.length === 0) return { start: async () => {}, stop: async () => {}, state: () => null, generation: () => null };
  // The relay reads the SQLite file's own log (the config refuses HUB_NATS_URL with PostgreSQL: docs/storage.md).
  if (db.kind !== 'sqlite') throw new ReplicationConfigError('replication to a hub runs from a SQLite cell only in this version (docs/storage.md)');
  const repo = replicationRepo(db);
  const compound = resolveCompound(config, repo.activeCompounds());
  const relays = new Map<ReplicatedTable, Relay>();
  const metrics = replicationMetrics(registry, repo, (t) => relays.get(t)?.state() ?? null);
  let nc: NatsConnection | null = null;
  let connecting: Promise<NatsConnection> | null = null;
  let generation: string | null = null;
  let liveness: { stop(): Promise<void> } | null = null;
  let commands: { stop(): Promise<void> } | null = null;
  let stopped = false;

  return {
    state: (table = 'device_event') => relays.get(table)?.state() ?? null,
    generation: () => generation,
    async start() {
      // The cursors and the generation before anything is sent: a restored database gets its new generation here.
      const identity = await repo.identity();
      generation = identity.generation;
      if (identity.minted) log.info({ generation, base: identity.streams }, 'replication: new database generation');
      // waitOnFirstConnect: a cell starts (and serves its doors) while the hub is unreachable; the relay begins when
      // the link comes up, from the resend point in SQLite.
      connecting = connect({
        servers: config.HUB_NATS_URL,
        name: `linli-cell-${compound}`,
        // The hub lets this cell's NATS user receive replies under its own inbox prefix only (docs/security.md).
        inboxPrefix: cellInboxPrefix(compound),
        waitOnFirstConnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1_000,
      });
      void connecting.then((conn) => {
        if (stopped) return void conn.close();
        nc = conn;
        log.info({ server: conn.getServer(), compound }, 'replication: connected to the hub');
        void watchStatus(conn, log);
        if (deps.commands) commands = startCommands(conn, { compound, ackWaitMs: config.HUB_COMMAND_ACK_WAIT_MS }, { ...deps.commands, ledger: hubCommandRepo(db.raw), log: log.child({ module: 'hub-commands' }) });
        for (const table of REPLICATED_TABLES) {
          const relay = createRelay(conn, repo, {
            compound,
            table,
            generation: identity.generation,
            base: identity.streams[table].base,
            batchMax: config.REPLICATION_BATCH_MAX,
            pollMs: config.REPLICATION_POLL_MS,
            resendAfterMs: config.REPLICATION_RESEND_AFTER_MS,
            maxAhead: config.REPLICATION_MAX_AHEAD,
            publishTimeoutMs: 5_000,
            domain: config.HUB_JS_DOMAIN,
          }, log, {
            published: (n) => metrics.published.inc({ table }, n),
            publishFailed: () => metrics.publishErrors.inc({ table }),
            rewound: () => metrics.rewinds.inc({ table }),
          });
          relays.set(table, relay);
          relay.start();
        }
        liveness = startLiveness(conn, { compound, generation: identity.generation, domain: config.HUB_JS_DOMAIN, everyMs: config.REPLICATION_BEAT_MS, timeoutMs: 5_000 }, () => {
          let lagSeconds = 0;
          let backlogRows = 0;
          for (const table of REPLICATED_TABLES) {
            const b = repo.backlog(table, relays.get(table)?.state().confirmed ?? repo.confirmed(table).seq);
            backlogRows += b.rows;
            if (b.oldestAt !== null) lagSeconds = Math.max(lagSeconds, (Date.now() - b.oldestAt.getTime()) / 1000);
          }
          return { lagSeconds, backlogRows };
        }, log);
      }, (err: unknown) => log.error({ err }, 'replication: cannot connect to the hub'));
    },
    async stop() {
      // A connection still being attempted (hub unreachable since start) is closed when it comes; stop never waits on it.
      stopped = true;
      await commands?.stop();
      await liveness?.stop();
      await Promise.all([...relays.values()].map((r) => r.stop()));
      await nc?.drain().catch(() => {});
    },
  };
}

async function watchStatus(nc: NatsConnection, log: Logger) {
  for await (const s of nc.status()) {
    if (s.type === 'disconnect') log.warn({ server: s.data }, 'replication: hub link down');
    else if (s.type === 'reconnect') log.info({ server: s.data }, 'replication: hub link up again');
  }
}

/** Lag, backlog and last-confirmed time per table, read at scrape time from the relays and the outbox. */
function replicationMetrics(registry: Registry, repo: ReturnType<typeof replicationRepo>, state: (table: ReplicatedTable) => RelayPointers | null) {
  const r = [registry];
  const labelNames = ['table'] as const;
  const confirmedOf = (table: ReplicatedTable) => state(table)?.confirmed ?? repo.confirmed(table).seq;
  const backlogNow = (table: ReplicatedTable) => repo.backlog(table, confirmedOf(table));
  new Gauge({ name: 'linli_replication_backlog_rows', help: 'Committed rows the hub has not yet confirmed in PostgreSQL', labelNames, registers: r,
    collect() { for (const table of REPLICATED_TABLES) this.set({ table }, backlogNow(table).rows); } });
  new Gauge({ name: 'linli_replication_lag_seconds', help: 'Age of the oldest committed row the hub has not yet confirmed (0: none)', labelNames, registers: r,
    collect() {
      for (const table of REPLICATED_TABLES) {
        const oldest = backlogNow(table).oldestAt;
        this.set({ table }, oldest === null ? 0 : Math.max(0, (Date.now() - oldest.getTime()) / 1000));
      }
    } });
  new Gauge({ name: 'linli_replication_confirmed_seq', help: 'The hub committed watermark (the resend point)', labelNames, registers: r,
    collect() { for (const table of REPLICATED_TABLES) this.set({ table }, confirmedOf(table)); } });
  new Gauge({ name: 'linli_replication_sent_seq', help: 'The last seq JetStream acknowledged (not yet necessarily in PostgreSQL)', labelNames, registers: r,
    collect() { for (const table of REPLICATED_TABLES) this.set({ table }, state(table)?.sent ?? 0); } });
  new Gauge({ name: 'linli_replication_last_confirmed_timestamp_seconds', help: 'When the hub committed the watermark (0: never)', labelNames, registers: r,
    collect() {
      for (const table of REPLICATED_TABLES) {
        const at = state(table)?.confirmedAt ?? repo.confirmed(table).at;
        this.set({ table }, at === null ? 0 : at.getTime() / 1000);
      }
    } });
  return {
    published: new Counter({ name: 'linli_replication_published_rows_total', help: 'Rows JetStream acknowledged (resends included)', labelNames, registers: r }),
    publishErrors: new Counter({ name: 'linli_replication_publish_errors_total', help: 'Publishing rounds that failed and will be resent', labelNames, registers: r }),
    rewinds: new Counter({ name: 'linli_replication_resends_total', help: 'Times the relay went back to the hub watermark to resend', labelNames, registers: r }),
  };
}
