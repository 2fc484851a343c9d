// The cell's side of the downlink (docs/scale-out.md "The downlink"): a durable pull consumer at the hub, through
// this cell's leaf node, on its own compound's commands (linli.down.<compound>.*), one at a time in the hub's order.
// Each command is applied through the cell's own services (the same calls its HTTP API makes: audit, validation,
// the door directory and door sync behave as for a local change), its outcome recorded in SQLite, answered on
// linli.down-result.<compound>.<kind>, and only then acked. A redelivered command is answered again, never applied
// twice: the outcome row, or else the audit row its change committed with (the actor names the command id).
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JsMsg, type NatsConnection, StringCodec, connect, nanos } from 'nats';
import { Counter, type Registry } from 'prom-client';
import type { Principal } from '../contracts/api/auth';
import type { CompoundId } from '../contracts/replication';
import {
  DownlinkCommand,
  DownlinkKind,
  type DownlinkResult,
  type DownlinkSecret,
  downlinkConsumer,
  downlinkFilter,
  downlinkResultMsgId,
  downlinkResultSubject,
} from '../contracts/downlink';
import { REPLICATION_STREAM, cellInboxPrefix } from '../contracts/replication';
import type { Config } from '../config';
import type { Store } from '../db/store';
import { type DownlinkOutcome, type DownlinkRepo, downlinkRepo } from '../db/downlink';
import { replicationRepo } from '../db/replication';
import { AppError } from '../errors';
import type { Logger } from '../log';
import type { Lifecycle } from '../runtime/lifecycle';
import { z } from 'zod';
import { ReplicationConfigError, resolveCompound } from './index';

const sc = StringCodec();
/** Deliveries of a command that failed with an unexpected error (not a service's refusal) before it is refused. */
const MAX_FAILED_DELIVERIES = 5;

/** What applying a command made: the record's id, and what the service handed back once (a pass code, a PIN). */
export interface DownlinkEffect {
  entityId: string | null;
  secret: DownlinkSecret | null;
}

/** Applies one command through the cell's services as `p`; a refusal is the service's AppError (app.ts wires it). */
export type DownlinkApply = (cmd: DownlinkCommand, p: Principal) => Promise<DownlinkEffect>;

/** The property office acting from the hub: an admin principal whose name carries the hub user and the command. */
export function downlinkPrincipal(cmd: Pick<DownlinkCommand, 'id' | 'createdBy'>): Principal {
  const username = `hub/${cmd.createdBy}/${cmd.id}`;
  return { userId: `hub:${cmd.createdBy}`, username, role: 'admin', displayName: `hub ${cmd.createdBy}`, residentId: null, householdId: null, mustChangePassword: false, communityId: null };
}
/** The audit actor of that principal (api/auth.ts actorOf: role:username). */
export const downlinkActor = (cmd: Pick<DownlinkCommand, 'id' | 'createdBy'>) => `admin:${downlinkPrincipal(cmd).username}`;

const Envelope = z.object({ id: z.uuid(), compound: z.string(), seq: z.number().int().positive(), kind: DownlinkKind, createdBy: z.string().min(1) });

function resultOf(o: DownlinkOutcome, compound: CompoundId, kind: DownlinkKind, secret: DownlinkSecret | null): DownlinkResult {
  const base = { v: 1 as const, commandId: o.commandId, compound, kind, at: o.at.toISOString() };
  return o.outcome === 'applied'
    ? { ...base, outcome: 'applied', entityId: o.entityId, secret }
    : { ...base, outcome: 'refused', error: { code: o.errorCode ?? 'INTERNAL', message: o.error ?? '' } };
}

interface Core {
  compound: CompoundId;
  js: JetStreamClient;
  repo: DownlinkRepo;
  apply: DownlinkApply;
  log: Logger;
  running: () => boolean;
  /** A command handled: applied, refused, or answered again from its record (repeat). */
  counted: (outcome: 'applied' | 'refused' | 'repeat') => void;
}

/** Publishes the answer, again every second while the link is down (the ack waits for it); false if stopped first. */
async function answer(core: Core, m: JsMsg, r: DownlinkResult): Promise<boolean> {
  for (let failing = false; core.running(); failing = true) {
    try {
      await core.js.publish(downlinkResultSubject(core.compound, r.kind), sc.encode(JSON.stringify(r)), { msgID: downlinkResultMsgId(r.commandId) });
      return true;
    } catch (err) {
      if (!failing) core.log.warn({ err, commandId: r.commandId }, 'downlink: cannot answer the hub yet; retrying');
      m.working();
      await new Promise((res) => setTimeout(res, 1_000));
    }
  }
  return false;
}

/** Applies a command the cell has not handled yet; null: an unexpected failure, to be delivered again. */
async function applyNew(core: Core, m: JsMsg, cmd: DownlinkCommand): Promise<{ o: DownlinkOutcome; secret: DownlinkSecret | null } | null> {
  const at = new Date();
  const base = { commandId: cmd.id, seq: cmd.seq, kind: cmd.kind, at };
  // Killed after the change committed but before its outcome was recorded: the audit row says it is done.
  const committed = await core.repo.committedBy(downlinkActor(cmd));
  if (committed !== null) return { o: { ...base, outcome: 'applied', entityId: committed.entityId, errorCode: null, error: null }, secret: null };
  try {
    const effect = await core.apply(cmd, downlinkPrincipal(cmd));
    return { o: { ...base, outcome: 'applied', entityId: effect.entityId, errorCode: null, error: null }, secret: effect.secret };
  } catch (err) {
    if (err instanceof AppError) return { o: { ...base, outcome: 'refused', entityId: null, errorCode: err.code, error: err.message }, secret: null };
    if (m.info.redeliveryCount < MAX_FAILED_DELIVERIES) {
      core.log.error({ err, commandId: cmd.id, delivery: m.info.redeliveryCount }, 'downlink: applying a command failed; it is delivered again');
      return null;
    }
    return { o: { ...base, outcome: 'refused', entityId: null, errorCode: 'INTERNAL', error: `failed ${MAX_FAILED_DELIVERIES} times: ${err instanceof Error ? err.message : String(err)}` }, secret: null };
  }
}

/** A command the cell cannot read (a hub newer than the cell, a bad body): refused with VALIDATION, never retried. */
function unreadable(core: Core, m: JsMsg, json: unknown, issues: unknown): { o: DownlinkOutcome; kind: DownlinkKind } | null {
  const env = Envelope.safeParse(json);
  core.log.error({ subject: m.subject, issues }, 'downlink: command refused: this cell cannot read it');
  if (!env.success || env.data.compound !== core.compound) return null;
  const message = `this cell cannot read the command: ${JSON.stringify(issues).slice(0, 500)}`;
  return { kind: env.data.kind, o: { commandId: env.data.id, seq: env.data.seq, kind: env.data.kind, outcome: 'refused', entityId: null, errorCode: 'VALIDATION', error: message, at: new Date() } };
}

async function handle(core: Core, m: JsMsg): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(sc.decode(m.data));
  } catch {
    json = undefined;
  }
  const parsed = DownlinkCommand.safeParse(json);
  if (!parsed.success || parsed.data.compound !== core.compound) {
    const bad = unreadable(core, m, json, parsed.success ? 'another compound' : parsed.error.issues);
    if (bad === null) return void m.term();
    const known = await core.repo.handled(bad.o.commandId);
    if (known === null) {
      await core.repo.record(bad.o);
      core.counted('refused');
    }
    if (await answer(core, m, resultOf(known ?? bad.o, core.compound, bad.kind, null))) m.ack();
    return;
  }
  const cmd = parsed.data;
  const known = await core.repo.handled(cmd.id);
  let done: { o: DownlinkOutcome; secret: DownlinkSecret | null } | null = known === null ? null : { o: known, secret: null };
  if (done === null) {
    done = await applyNew(core, m, cmd);
    if (done === null) return void m.nak(5_000);
    await core.repo.record(done.o);
    core.counted(done.o.outcome);
    core.log.info({ commandId: cmd.id, seq: cmd.seq, kind: cmd.kind, outcome: done.o.outcome, errorCode: done.o.errorCode }, 'downlink: command handled');
  } else {
    core.counted('repeat');
    core.log.info({ commandId: cmd.id, seq: cmd.seq }, 'downlink: command delivered again; answered from its record');
  }
  if (await answer(core, m, resultOf(done.o, core.compound, cmd.kind, done.secret))) m.ack();
}

/** The durable consumer of this compound's commands, created at the hub through the leaf node when missing. */
async function ensureConsumer(nc: NatsConnection, compound: CompoundId, domain: string): Promise<void> {
  const jsm = await nc.jetstreamManager(domain !== '' ? { domain } : {});
  const name = downlinkConsumer(compound);
  if ((await jsm.consumers.info(REPLICATION_STREAM, name).catch(() => null)) !== null) return;
  await jsm.consumers.add(REPLICATION_STREAM, {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    // One at a time: a command is acked before the next is delivered, so they apply in the hub's order.
    max_ack_pending: 1,
    ack_wait: nanos(30_000),
    filter_subject: downlinkFilter(compound),
  });
}

export interface DownlinkSettings {
  natsUrl: string[];
  compound: CompoundId;
  domain: string;
}

/** The downlink at the cell (off when HUB_NATS_URL is empty): connects on its own, waits for the hub, then consumes. */
export function createDownlink(settings: DownlinkSettings, repo: DownlinkRepo, apply: DownlinkApply, baseLog: Logger, registry?: Registry): Lifecycle {
  const log = baseLog.child({ module: 'downlink' });
  const commands = new Counter({ name: 'linli_downlink_commands_total', help: "The hub's downlink commands handled: applied, refused, or answered again (repeat)", labelNames: ['outcome'], registers: registry ? [registry] : [] });
  let running = false;
  let nc: NatsConnection | null = null;
  let loop: Promise<void> | null = null;

  async function consume(conn: NatsConnection): Promise<void> {
    const js = conn.jetstream({ timeout: 5_000, ...(settings.domain !== '' ? { domain: settings.domain } : {}) });
    const core: Core = { compound: settings.compound, js, repo, apply, log, running: () => running, counted: (outcome) => commands.inc({ outcome }) };
    let ready = false;
    while (running) {
      try {
        if (!ready) await ensureConsumer(conn, settings.compound, settings.domain);
        if (!ready) log.info({ compound: settings.compound }, 'downlink: consuming the hub\'s commands');
        ready = true;
        const consumer = await js.consumers.get(REPLICATION_STREAM, downlinkConsumer(settings.compound));
        for await (const m of await consumer.fetch({ max_messages: 1, expires: 2_000 })) await handle(core, m);
      } catch (err) {
        log.debug({ err }, 'downlink: fetching commands failed (hub unreachable?); retrying');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  return {
    async start() {
      if (settings.natsUrl.length === 0) return;
      running = true;
      const connecting = connect({ servers: settings.natsUrl, name: `linli-cell-down-${settings.compound}`, inboxPrefix: cellInboxPrefix(settings.compound), waitOnFirstConnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 1_000 });
      loop = connecting.then((conn) => {
        if (!running) return void conn.close();
        nc = conn;
        return consume(conn);
      }, (err: unknown) => log.error({ err }, 'downlink: cannot connect to the hub'));
    },
    async stop() {
      // A connection still being attempted (hub unreachable since start) is closed when it comes; never waited on.
      running = false;
      if (nc === null) return;
      // The command in hand finishes (applied, recorded, answered, acked) before the connection goes; the fetch it
      // waits in ends within its 2 s expiry.
      await loop;
      await nc.drain().catch(() => {});
    },
  };
}

/** The downlink of a cell built from its configuration: off (nothing connects) when HUB_NATS_URL is not set. */
export function createDownlinkFeature(deps: { config: Config; db: Store; log: Logger; apply: DownlinkApply; registry: Registry }): Lifecycle {
  const { config, db } = deps;
  if (config.HUB_NATS_URL.length === 0) return { start: async () => {}, stop: async () => {} };
  if (db.kind !== 'sqlite') throw new ReplicationConfigError('the hub downlink runs on a SQLite cell only in this version (docs/storage.md)');
  const compound = resolveCompound(config, replicationRepo(db).activeCompounds());
  return createDownlink({ natsUrl: config.HUB_NATS_URL, compound, domain: config.HUB_JS_DOMAIN }, downlinkRepo(db.prisma), deps.apply, deps.log, deps.registry);
}
