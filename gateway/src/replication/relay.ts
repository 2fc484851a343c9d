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

/** What the publishing side and the watermark side of one relay share. */
interface RelayCore {
  settings: RelaySettings;
  repo: ReplicationRepo;
  js: JetStreamClient;
  log: Logger;
  events: RelayEvents;
  state: RelayState;
  /** When the watermark last moved (or the relay last rewound): a stall is measured from here. */
  lastProgress: number;
  running: boolean;
  /** Ends the publisher's current pause at once (a watermark moved). */
  wake: (() => void) | null;
}

/** A pause that `core.wake()` ends early. */
function pause(core: RelayCore, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      core.wake = null;
      resolve();
    }
    core.wake = done;
  });
}

function rewind(core: RelayCore, reason: string) {
  const { state } = core;
  if (state.sent === state.confirmed) return;
  core.events.rewound?.(state.sent, state.confirmed, reason);
  core.log.info({ from: state.sent, to: state.confirmed, reason }, 'replication: resending from the hub watermark');
  state.sent = state.confirmed;
  core.lastProgress = Date.now();
}

/** One round: publish the next rows after `sent`; returns how many went out (-1: the round failed). */
async function publishRound(core: RelayCore): Promise<number> {
  const { state, settings, js } = core;
  if (state.sent - state.confirmed >= settings.maxAhead) return 0;
  const { compound, generation, base, table } = settings;
  // Only rows already on disk leave (db/replication.ts, withDurableReads).
  const rows = await core.repo.durableRowsAfter(table, state.sent, settings.batchMax);
  if (rows.length === 0) return 0;
  // Nothing was outstanding: the hub has not stalled on these rows yet, so the stall clock starts now (not at the last
  // watermark move, which may be long ago on a quiet table, and would resend every new row at once).
  if (state.sent === state.confirmed) core.lastProgress = Date.now();
  let prev = state.sent;
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
    core.events.publishFailed?.();
    core.log.warn({ err: failed.reason, rows: rows.length }, 'replication: publish to the hub failed; will resend');
    rewind(core, 'publish failed');
    return -1;
  }
  state.sent = rows[rows.length - 1]!.seq;
  core.events.published?.(rows.length);
  return rows.length;
}

async function publishLoop(core: RelayCore) {
  const { state, settings } = core;
  while (core.running) {
    let n: number;
    try {
      n = await publishRound(core);
    } catch (err) {
      core.log.error({ err }, 'replication: could not read the outbox');
      n = -1;
    }
    if (n === 0 && state.sent > state.confirmed && Date.now() - core.lastProgress > settings.resendAfterMs) rewind(core, 'hub watermark stalled');
    if (n <= 0) await pause(core, n < 0 ? Math.max(1_000, settings.pollMs) : settings.pollMs);
  }
}

/** Reads the hub's watermark for this cell and table, and moves the resend point to it (never further, never back). */
function watermarkFollower(core: RelayCore) {
  const { state, settings, log } = core;
  let kv: KV | null = null;

  async function readWatermark(): Promise<void> {
    kv ??= await core.js.views.kv(WATERMARK_BUCKET, { bindOnly: true });
    const entry = await kv.get(watermarkKey(settings.compound, settings.generation, settings.table));
    if (entry === null || entry.operation !== 'PUT') return;
    const wm = Watermark.safeParse(JSON.parse(sc.decode(entry.value)));
    if (!wm.success) {
      log.error({ issues: wm.error.issues }, 'replication: the hub published a watermark this cell cannot read');
      return;
    }
    if (wm.data.seq <= state.confirmed) return;
    const at = new Date(wm.data.committedAt);
    await core.repo.confirm(settings.table, wm.data.seq, at);
    state.confirmed = wm.data.seq;
    state.confirmedAt = at;
    core.lastProgress = Date.now();
    // The hub holds more than this cell sent in this run (sent before a restart): nothing to send twice.
    if (state.sent < state.confirmed) state.sent = state.confirmed;
    core.events.confirmed?.(wm.data.seq, at);
    core.wake?.();
  }

  return async function watermarkLoop() {
    let failing = false;
    while (core.running) {
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
  };
}

export function createRelay(nc: NatsConnection, repo: ReplicationRepo, settings: RelaySettings, baseLog: Logger, events: RelayEvents = {}) {
  const js: JetStreamClient = nc.jetstream({ timeout: settings.publishTimeoutMs, ...(settings.domain !== '' ? { domain: settings.domain } : {}) });
  const start = repo.confirmed(settings.table);
  const core: RelayCore = {
    settings,
    repo,
    js,
    log: baseLog.child({ table: settings.table }),
    events,
    state: { sent: start.seq, confirmed: start.seq, confirmedAt: start.at },
    lastProgress: Date.now(),
    running: false,
    wake: null,
  };
  const loops: Promise<void>[] = [];

  return {
    state: (): Readonly<RelayState> => ({ ...core.state }),
    start() {
      if (core.running) return;
      core.running = true;
      core.log.info({ compound: settings.compound, generation: settings.generation, confirmed: core.state.confirmed }, 'replication: relay started');
      loops.push(publishLoop(core), watermarkFollower(core)());
    },
    async stop() {
      core.running = false;
      core.wake?.();
      await Promise.allSettled(loops);
    },
  };
}
export type Relay = ReturnType<typeof createRelay>;
