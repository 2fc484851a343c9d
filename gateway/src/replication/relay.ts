// The outbox relay: committed rows from the cell's SQLite, in seq order, to the hub's JetStream. The SQLite table is
// the outbox itself (every committed row is a message), so nothing extra is written on the ingest hot path.
//
// Two pointers per table:
//   sent      — the last seq JetStream acknowledged. An ack only says a stream leader stored it (not fsynced, not in
//               PostgreSQL), so it never moves the resend point.
//   confirmed — the hub's committed watermark (PostgreSQL, no gap before it), read from the hub's KV bucket and kept
//               in SQLite (ReplicationCursor). After a restart, a publish error, or a hub that stops advancing, the
//               relay rewinds `sent` to it and publishes again; Nats-Msg-Id and the hub's ON CONFLICT drop repeats.
import { type JetStreamClient, type KV, type NatsConnection, StringCodec } from 'nats';
import {
  type CompoundId,
  type Generation,
  type ReplicatedTable,
  ReplicationMessage,
  WATERMARK_BUCKET,
  Watermark,
  replicationMsgId,
  replicationSubject,
  watermarkKey,
} from '../contracts/replication';
import type { ReplicationRepo } from '../db/replication';
import type { Logger } from '../log';

const sc = StringCodec();

export interface RelaySettings {
  compound: CompoundId;
  /** The table this relay carries (one relay per table, each with its own sequence and resend point). */
  table: ReplicatedTable;
  /** The database's generation, and where its chain starts for this table (repo.identity()). */
  generation: Generation;
  base: number;
  /** Rows per publishing round (published pipelined, acks awaited together). */
  batchMax: number;
  /** How often the outbox is looked at when it was empty, and the hub's watermark is read. */
  pollMs: number;
  /** Sent but unconfirmed for this long with the watermark standing still: rewind to it and resend. */
  resendAfterMs: number;
  /** Seq distance between sent and confirmed beyond which the relay waits for the hub (bounded resend work). */
  maxAhead: number;
  publishTimeoutMs: number;
  /** The hub's JetStream domain ('' for none): how the API is reached through a leaf node. */
  domain: string;
}

export interface RelayEvents {
  published?(rows: number): void;
  publishFailed?(): void;
  confirmed?(seq: number, at: Date): void;
  rewound?(from: number, to: number, reason: string): void;
}

export interface RelayState {
  sent: number;
  confirmed: number;
  confirmedAt: Date | null;
}

export function createRelay(nc: NatsConnection, repo: ReplicationRepo, settings: RelaySettings, baseLog: Logger, events: RelayEvents = {}) {
  const table = settings.table;
  const log = baseLog.child({ table });
  const js: JetStreamClient = nc.jetstream({ timeout: settings.publishTimeoutMs, ...(settings.domain !== '' ? { domain: settings.domain } : {}) });
  const start = repo.confirmed(table);
  const state: RelayState = { sent: start.seq, confirmed: start.seq, confirmedAt: start.at };
  let lastProgress = Date.now();
  let running = false;
  let kv: KV | null = null;
  let wake: (() => void) | null = null;
  const loops: Promise<void>[] = [];

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = null;
        resolve();
      }
      wake = done;
    });

  function rewind(reason: string) {
    if (state.sent === state.confirmed) return;
    events.rewound?.(state.sent, state.confirmed, reason);
    log.info({ from: state.sent, to: state.confirmed, reason }, 'replication: resending from the hub watermark');
    state.sent = state.confirmed;
    lastProgress = Date.now();
  }

  /** One round: publish the next rows after `sent`; returns how many went out. */
  async function publishRound(): Promise<number> {
    if (state.sent - state.confirmed >= settings.maxAhead) return 0;
    let prev = state.sent;
    // Only rows already on disk leave (db/replication.ts, withDurableReads).
    const rows = await repo.durableRowsAfter(table, prev, settings.batchMax);
    if (rows.length === 0) return 0;
    const { compound, generation, base } = settings;
    const acks = rows.map((r) => {
      const msg = ReplicationMessage.parse({ v: 2, compound, generation, base, table, seq: r.seq, prev, row: r.row });
      prev = r.seq;
      return js.publish(replicationSubject(compound, table), sc.encode(JSON.stringify(msg)), {
        msgID: replicationMsgId(compound, generation, table, r.seq),
      });
    });
    // Every publish of the round settles before the next decision: a failure anywhere sends the round again from the
    // watermark, never a later row past a missing one (the hub would hold its watermark at the hole anyway).
    const results = await Promise.allSettled(acks);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) {
      events.publishFailed?.();
      log.warn({ err: failed.reason, rows: rows.length }, 'replication: publish to the hub failed; will resend');
      rewind('publish failed');
      return -1;
    }
    state.sent = rows[rows.length - 1]!.seq;
    events.published?.(rows.length);
    return rows.length;
  }

  async function publishLoop() {
    while (running) {
      let n: number;
      try {
        n = await publishRound();
      } catch (err) {
        log.error({ err }, 'replication: could not read the outbox');
        n = -1;
      }
      if (n === 0 && state.sent > state.confirmed && Date.now() - lastProgress > settings.resendAfterMs) rewind('hub watermark stalled');
      if (n <= 0) await pause(n < 0 ? Math.max(1_000, settings.pollMs) : settings.pollMs);
    }
  }

  /** Reads the hub's watermark for this cell and moves the resend point to it (never further, never back). */
  async function readWatermark(): Promise<void> {
    kv ??= await js.views.kv(WATERMARK_BUCKET, { bindOnly: true });
    const entry = await kv.get(watermarkKey(settings.compound, settings.generation, table));
    if (entry === null || entry.operation !== 'PUT') return;
    const wm = Watermark.safeParse(JSON.parse(sc.decode(entry.value)));
    if (!wm.success) {
      log.error({ issues: wm.error.issues }, 'replication: the hub published a watermark this cell cannot read');
      return;
    }
    if (wm.data.seq <= state.confirmed) return;
    const at = new Date(wm.data.committedAt);
    await repo.confirm(table, wm.data.seq, at);
    state.confirmed = wm.data.seq;
    state.confirmedAt = at;
    lastProgress = Date.now();
    // The hub holds more than this cell sent in this run (sent before a restart): nothing to send twice.
    if (state.sent < state.confirmed) state.sent = state.confirmed;
    events.confirmed?.(wm.data.seq, at);
    wake?.();
  }

  async function watermarkLoop() {
    let failing = false;
    while (running) {
      try {
        await readWatermark();
        if (failing) log.info('replication: hub watermark readable again');
        failing = false;
      } catch (err) {
        kv = null;
        if (!failing) log.warn({ err }, 'replication: cannot read the hub watermark (hub unreachable?); retrying');
        failing = true;
      }
      await new Promise((r) => setTimeout(r, settings.pollMs));
    }
  }

  return {
    state: (): Readonly<RelayState> => ({ ...state }),
    start() {
      if (running) return;
      running = true;
      log.info({ compound: settings.compound, generation: settings.generation, confirmed: state.confirmed }, 'replication: relay started');
      loops.push(publishLoop(), watermarkLoop());
    },
    async stop() {
      running = false;
      wake?.();
      await Promise.allSettled(loops);
    },
  };
}
export type Relay = ReturnType<typeof createRelay>;
