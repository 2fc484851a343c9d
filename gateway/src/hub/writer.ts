// The hub writer: a durable pull consumer on the cells' stream. Per batch: parse, commit to PostgreSQL, THEN ack, then
// publish each touched cell's committed watermark to the KV bucket the cells read. Killed anywhere in between, the
// worst case is a redelivery (unacked) or a watermark published late (republished every few seconds): rows are keyed
// by (compound, seq), so a redelivered row is a no-op, and a cell never hears of a row PostgreSQL has not committed.
import { AckPolicy, DeliverPolicy, type JetStreamManager, type JsMsg, type KV, type NatsConnection, RetentionPolicy, StorageType, StringCodec, nanos } from 'nats';
import {
  CELLS_BUCKET,
  REPLICATED_TABLES,
  REPLICATION_STREAM,
  REPLICATION_FILTER,
  REPLICATION_SUBJECTS,
  ReplicationMessage,
  WATERMARK_BUCKET,
  type Watermark,
  replicationSubject,
  watermarkKey,
} from '../contracts/replication';
import type { Logger } from '../log';
import type { CommittedWatermark, HubStore } from './store';

const sc = StringCodec();
/** The stream keeps a week of every cell's rows: a new hub writer or a restored PostgreSQL can replay from it. */
const STREAM_MAX_AGE_MS = 7 * 24 * 3_600_000;
const REPUBLISH_MS = 5_000;

export interface HubWriterSettings {
  batchMax: number;
  replicas: number;
  duplicateWindowSec: number;
  consumer: string;
}

/** The stream, the watermark and liveness buckets and the durable consumer, created when missing (idempotent). */
export async function ensureJetStream(nc: NatsConnection, s: HubWriterSettings): Promise<{ watermarks: KV; cells: KV }> {
  const jsm: JetStreamManager = await nc.jetstreamManager();
  const streamInfo = await jsm.streams.info(REPLICATION_STREAM).catch(() => null);
  if (streamInfo === null) {
    await jsm.streams.add({
      name: REPLICATION_STREAM,
      subjects: [REPLICATION_SUBJECTS],
      num_replicas: s.replicas,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: nanos(STREAM_MAX_AGE_MS),
      duplicate_window: nanos(s.duplicateWindowSec * 1000),
    });
  }
  const consumerInfo = await jsm.consumers.info(REPLICATION_STREAM, s.consumer).catch(() => null);
  if (consumerInfo === null) {
    await jsm.consumers.add(REPLICATION_STREAM, {
      durable_name: s.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(30_000),
      max_ack_pending: 20_000,
      filter_subject: REPLICATION_FILTER,
    });
  } else if (consumerInfo.config.filter_subject !== REPLICATION_FILTER) {
    // A consumer made by an earlier slice took device events only, or every subject (downlink ones included): take
    // exactly the replicated tables' subjects.
    await jsm.consumers.update(REPLICATION_STREAM, s.consumer, { filter_subject: REPLICATION_FILTER });
  }
  const watermarks = await nc.jetstream().views.kv(WATERMARK_BUCKET, { replicas: s.replicas, history: 1 });
  // No max_age: a cell that stops renewing keeps its key, whose age is what says it is offline.
  const cells = await nc.jetstream().views.kv(CELLS_BUCKET, { replicas: s.replicas, history: 1 });
  return { watermarks, cells };
}

export interface HubWriterEvents {
  committed?(rows: number, inserted: number): void;
  /** Per table: messages committed in a batch (redeliveries included). */
  committedTable?(table: (typeof REPLICATED_TABLES)[number], rows: number): void;
  watermarks?(wms: CommittedWatermark[]): void;
  rejected?(): void;
}

/**
 * The watermark publishing: each touched cell's committed watermark after every commit, and every watermark every few
 * seconds (a writer killed between COMMIT and its KV put leaves a watermark its successor republishes).
 */
function watermarkPublisher(kv: KV, store: HubStore, log: Logger, events: HubWriterEvents) {
  let timer: ReturnType<typeof setInterval> | null = null;

  async function publish(wms: CommittedWatermark[]) {
    events.watermarks?.(wms);
    for (const w of wms) {
      const value: Watermark = { seq: w.seq, committedAt: w.committedAt.toISOString() };
      await kv.put(watermarkKey(w.compound, w.generation, w.table), sc.encode(JSON.stringify(value)));
    }
  }

  return {
    publish,
    republishAll: async () => publish(await store.watermarks()),
    start() {
      timer = setInterval(() => {
        store
          .watermarks()
          .then(publish)
          .catch((err: unknown) => log.warn({ err }, 'hub: periodic watermark republish failed'));
      }, REPUBLISH_MS);
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}

/** A message the hub cannot store is logged and terminated (never redelivered forever, never silently dropped). */
function parseMessage(m: JsMsg, log: Logger, events: HubWriterEvents): ReplicationMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(sc.decode(m.data));
  } catch {
    json = undefined;
  }
  const p = ReplicationMessage.safeParse(json);
  if (!p.success || p.data.prev >= p.data.seq || p.data.base > p.data.prev || replicationSubject(p.data.compound, p.data.table) !== m.subject) {
    log.error({ subject: m.subject, streamSeq: m.seq, issues: p.success ? 'subject, prev or base does not match the row' : p.error.issues }, 'hub: replicated message rejected');
    events.rejected?.();
    m.term();
    return null;
  }
  return p.data;
}

export function createHubWriter(nc: NatsConnection, kv: KV, store: HubStore, s: HubWriterSettings, log: Logger, events: HubWriterEvents = {}) {
  const js = nc.jetstream();
  const watermarks = watermarkPublisher(kv, store, log, events);
  let running = false;
  let loop: Promise<void> | null = null;

  async function round(): Promise<void> {
    const consumer = await js.consumers.get(REPLICATION_STREAM, s.consumer);
    const msgs: JsMsg[] = [];
    for await (const m of await consumer.fetch({ max_messages: s.batchMax, expires: 1_000 })) msgs.push(m);
    const valid: { m: JsMsg; row: ReplicationMessage }[] = [];
    for (const m of msgs) {
      const row = parseMessage(m, log, events);
      if (row !== null) valid.push({ m, row });
    }
    if (valid.length === 0) return;
    let result: Awaited<ReturnType<HubStore['commit']>>;
    try {
      result = await store.commit(valid.map((v) => v.row));
    } catch (err) {
      log.error({ err, rows: valid.length }, 'hub: PostgreSQL commit failed; the batch is redelivered');
      for (const v of valid) v.m.nak(2_000);
      await new Promise((r) => setTimeout(r, 1_000));
      return;
    }
    // Committed: only now acknowledged, and only now reported to the cells.
    for (const v of valid) v.m.ack();
    events.committed?.(valid.length, result.inserted);
    for (const t of REPLICATED_TABLES) {
      const n = valid.filter((v) => v.row.table === t).length;
      if (n > 0) events.committedTable?.(t, n);
    }
    await watermarks.publish(result.watermarks).catch((err: unknown) => log.warn({ err }, 'hub: could not publish watermarks (republished shortly)'));
  }

  return {
    start() {
      running = true;
      watermarks.start();
      loop = (async () => {
        while (running) {
          try {
            await round();
          } catch (err) {
            log.warn({ err }, 'hub: fetching from JetStream failed; retrying');
            await new Promise((r) => setTimeout(r, 1_000));
          }
        }
      })();
    },
    /** Republishes every watermark now (at start: a cell waiting since before a hub restart hears at once). */
    republishAll: watermarks.republishAll,
    async stop() {
      running = false;
      watermarks.stop();
      await loop;
    },
  };
}
