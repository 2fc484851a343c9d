// The hub's side of the downlink (docs/scale-out.md "The downlink"): the outbox publisher (every command still
// 'pending' in PostgreSQL goes to JetStream on linli.down.<compound>.<kind>, per compound in seq order, with the
// command id as Nats-Msg-Id) and the consumer of the cells' answers (linli.down-result.>), stored on the command row.
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JsMsg, type NatsConnection, StringCodec, nanos } from 'nats';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  DOWNLINK_RESULT_CONSUMER,
  DOWNLINK_RESULT_FILTER,
  DownlinkResult,
  downlinkSubject,
} from '../contracts/downlink';
import { REPLICATION_STREAM } from '../contracts/replication';
import type { Logger } from '../log';
import { type DownlinkStore, commandOf } from './downlink-store';

const sc = StringCodec();
const REPUBLISH_MS = 2_000;

/** The durable consumer of the cells' answers, created when missing. */
export async function ensureDownlinkConsumer(nc: NatsConnection): Promise<void> {
  const jsm = await nc.jetstreamManager();
  if ((await jsm.consumers.info(REPLICATION_STREAM, DOWNLINK_RESULT_CONSUMER).catch(() => null)) !== null) return;
  await jsm.consumers.add(REPLICATION_STREAM, {
    durable_name: DOWNLINK_RESULT_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    filter_subject: DOWNLINK_RESULT_FILTER,
  });
}

/**
 * Publishes every pending command, oldest first per compound; a compound whose publish fails stops there (a later
 * command never overtakes an earlier one) and is tried again within REPUBLISH_MS. One flush at a time.
 */
export function downlinkOutbox(js: JetStreamClient, store: DownlinkStore, log: Logger, metrics?: DownlinkMetrics) {
  let running: Promise<void> | null = null;
  let again = false;
  let timer: ReturnType<typeof setInterval> | null = null;

  async function flushOnce(): Promise<void> {
    const blocked = new Set<string>();
    for (const row of await store.pending()) {
      if (blocked.has(row.compound)) continue;
      const cmd = commandOf(row);
      try {
        await js.publish(downlinkSubject(cmd.compound, cmd.kind), sc.encode(JSON.stringify(cmd)), { msgID: cmd.id });
        await store.markSent(cmd.id, new Date());
        metrics?.published.inc();
      } catch (err) {
        metrics?.publishErrors.inc();
        blocked.add(row.compound);
        log.warn({ err, compound: row.compound, seq: row.seq }, 'hub: downlink publish failed; will publish again');
      }
    }
  }

  /** Runs a flush now (or right after the one running); resolves when it is done. */
  function flush(): Promise<void> {
    if (running !== null) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await flushOnce().catch((err: unknown) => log.warn({ err }, 'hub: downlink outbox could not be read'));
      } while (again);
    })().finally(() => {
      running = null;
    });
    return running;
  }

  return {
    flush,
    start() {
      timer = setInterval(() => void flush(), REPUBLISH_MS);
      void flush();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
export type DownlinkOutbox = ReturnType<typeof downlinkOutbox>;

/** Stores each answer on its command row, then acks; an answer the hub cannot read is logged and terminated. */
async function answer(m: JsMsg, store: DownlinkStore, log: Logger, metrics?: DownlinkMetrics): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(sc.decode(m.data));
  } catch {
    json = undefined;
  }
  const r = DownlinkResult.safeParse(json);
  if (!r.success || m.subject !== `linli.down-result.${r.data.compound}.${r.data.kind}`) {
    log.error({ subject: m.subject, issues: r.success ? 'subject does not match' : r.error.issues }, 'hub: downlink answer rejected');
    m.term();
    return;
  }
  const stored = await store.answer(r.data);
  if (stored) metrics?.answers.inc({ outcome: r.data.outcome });
  log.info({ commandId: r.data.commandId, compound: r.data.compound, outcome: r.data.outcome, stored }, 'hub: downlink command answered');
  m.ack();
}

export function downlinkResults(js: JetStreamClient, store: DownlinkStore, log: Logger, metrics?: DownlinkMetrics) {
  let running = false;
  let loop: Promise<void> | null = null;
  return {
    start() {
      running = true;
      loop = (async () => {
        while (running) {
          try {
            const consumer = await js.consumers.get(REPLICATION_STREAM, DOWNLINK_RESULT_CONSUMER);
            for await (const m of await consumer.fetch({ max_messages: 100, expires: 1_000 })) {
              await answer(m, store, log, metrics).catch((err: unknown) => {
                log.warn({ err }, 'hub: could not store a downlink answer; redelivered');
                m.nak(2_000);
              });
            }
          } catch (err) {
            log.warn({ err }, 'hub: fetching downlink answers failed; retrying');
            await new Promise((r) => setTimeout(r, 1_000));
          }
        }
      })();
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** The downlink on the hub's /metrics: publishes, answers, and the commands still waiting (read at scrape time). */
export function downlinkMetrics(registry: Registry, unanswered: () => Promise<{ pending: number; sent: number }>) {
  const r = [registry];
  new Gauge({ name: 'linli_hub_downlink_unanswered', help: 'Downlink commands without an answer from their cell: pending (not yet in JetStream) or sent', labelNames: ['status'], registers: r,
    async collect() {
      const n = await unanswered();
      this.set({ status: 'pending' }, n.pending);
      this.set({ status: 'sent' }, n.sent);
    } });
  return {
    published: new Counter({ name: 'linli_hub_downlink_published_total', help: 'Downlink commands JetStream accepted (republishes included)', registers: r }),
    publishErrors: new Counter({ name: 'linli_hub_downlink_publish_errors_total', help: 'Downlink publishes that failed (the command stays pending and is published again)', registers: r }),
    answers: new Counter({ name: 'linli_hub_downlink_answers_total', help: "Cells' answers stored on their commands", labelNames: ['outcome'], registers: r }),
  };
}
export type DownlinkMetrics = ReturnType<typeof downlinkMetrics>;
