// Cell → hub replication (docs/scale-out.md): when HUB_NATS_URL is set, committed device events leave this cell for
// the district hub through the relay (relay.ts). Off (and nothing connects) when it is not.
import { type NatsConnection, connect } from 'nats';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Config } from '../config';
import { CompoundId } from '../contracts/replication';
import type { Db } from '../db/client';
import { replicationRepo } from '../db/replication';
import type { Logger } from '../log';
import type { Lifecycle } from '../runtime/lifecycle';
import { type Relay, createRelay } from './relay';

/** The cell cannot say which compound it is: HUB_NATS_URL is set, COMPOUND_ID is not, and the database has not one compound. */
export class ReplicationConfigError extends Error {}

export interface ReplicationFeature extends Lifecycle {
  /** The relay's pointers (null when replication is off). */
  state(): { sent: number; confirmed: number; confirmedAt: Date | null } | null;
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

export function createReplicationFeature(deps: { config: Config; db: Db; log: Logger; registry: Registry }): ReplicationFeature {
  const { config, db, registry } = deps;
  const log = deps.log.child({ module: 'replication' });
  if (config.HUB_NATS_URL.length === 0) return { start: async () => {}, stop: async () => {}, state: () => null };
  const repo = replicationRepo(db);
  const compound = resolveCompound(config, repo.activeCompounds());
  const metrics = replicationMetrics(registry, repo, () => relay?.state() ?? null);
  let nc: NatsConnection | null = null;
  let relay: Relay | null = null;
  let connecting: Promise<NatsConnection> | null = null;
  let stopped = false;

  return {
    state: () => relay?.state() ?? null,
    async start() {
      // waitOnFirstConnect: a cell starts (and serves its doors) while the hub is unreachable; the relay begins when
      // the link comes up, from the resend point in SQLite.
      connecting = connect({
        servers: config.HUB_NATS_URL,
        name: `linli-cell-${compound}`,
        waitOnFirstConnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1_000,
      });
      void connecting.then((conn) => {
        if (stopped) return void conn.close();
        nc = conn;
        log.info({ server: conn.getServer(), compound }, 'replication: connected to the hub');
        void watchStatus(conn, log);
        relay = createRelay(conn, repo, {
          compound,
          batchMax: config.REPLICATION_BATCH_MAX,
          pollMs: config.REPLICATION_POLL_MS,
          resendAfterMs: config.REPLICATION_RESEND_AFTER_MS,
          maxAhead: config.REPLICATION_MAX_AHEAD,
          publishTimeoutMs: 5_000,
          domain: config.HUB_JS_DOMAIN,
        }, log, {
          published: (n) => metrics.published.inc(n),
          publishFailed: () => metrics.publishErrors.inc(),
          rewound: () => metrics.rewinds.inc(),
        });
        relay.start();
      }, (err: unknown) => log.error({ err }, 'replication: cannot connect to the hub'));
    },
    async stop() {
      // A connection still being attempted (hub unreachable since start) is closed when it comes; stop never waits on it.
      stopped = true;
      await relay?.stop();
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

/** Lag, backlog and last-confirmed time, read at scrape time from the relay and the outbox. */
function replicationMetrics(registry: Registry, repo: ReturnType<typeof replicationRepo>, state: () => { confirmed: number; sent: number; confirmedAt: Date | null } | null) {
  const r = [registry];
  const table = 'device_event';
  const backlogNow = () => repo.backlog(state()?.confirmed ?? repo.confirmed(table).seq);
  new Gauge({ name: 'linli_replication_backlog_rows', help: 'Committed rows the hub has not yet confirmed in PostgreSQL', labelNames: ['table'], registers: r,
    collect() { this.set({ table }, backlogNow().rows); } });
  new Gauge({ name: 'linli_replication_lag_seconds', help: 'Age of the oldest committed row the hub has not yet confirmed (0: none)', labelNames: ['table'], registers: r,
    collect() {
      const oldest = backlogNow().oldestReceivedAt;
      this.set({ table }, oldest === null ? 0 : Math.max(0, (Date.now() - oldest.getTime()) / 1000));
    } });
  new Gauge({ name: 'linli_replication_confirmed_seq', help: 'The hub committed watermark (the resend point)', labelNames: ['table'], registers: r,
    collect() { this.set({ table }, state()?.confirmed ?? repo.confirmed(table).seq); } });
  new Gauge({ name: 'linli_replication_sent_seq', help: 'The last seq JetStream acknowledged (not yet necessarily in PostgreSQL)', labelNames: ['table'], registers: r,
    collect() { this.set({ table }, state()?.sent ?? 0); } });
  new Gauge({ name: 'linli_replication_last_confirmed_timestamp_seconds', help: 'When the hub committed the watermark (0: never)', labelNames: ['table'], registers: r,
    collect() {
      const at = state()?.confirmedAt ?? repo.confirmed(table).at;
      this.set({ table }, at === null ? 0 : at.getTime() / 1000);
    } });
  return {
    published: new Counter({ name: 'linli_replication_published_rows_total', help: 'Rows JetStream acknowledged (resends included)', registers: r }),
    publishErrors: new Counter({ name: 'linli_replication_publish_errors_total', help: 'Publishing rounds that failed and will be resent', registers: r }),
    rewinds: new Counter({ name: 'linli_replication_resends_total', help: 'Times the relay went back to the hub watermark to resend', registers: r }),
  };
}
