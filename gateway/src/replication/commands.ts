// Commands from the district hub (docs/scale-out.md "Commands"): NATS request/reply on this compound's own subjects
// only. A remote open goes through the cell's own access service — the same path as the guard station's remote open:
// the door terminal's MQTT command, the audit record (actor hub:<username>, the reason), the access event — and the
// reply says what happened. A command carries an id and an expiry: an expired one, or an id this cell has seen before
// (HubCommand ledger in SQLite, claimed before acting), is refused, so a replayed request never opens a door twice.
import { type NatsConnection, type Subscription, StringCodec } from 'nats';
import type { Bus } from '../bus';
import {
  type CellDoor,
  type DoorOpenAnswer,
  DoorOpenCommand,
  type DoorOpenOutcome,
  type DoorsListAnswer,
  DoorsListRequest,
  commandSubject,
} from '../contracts/commands';
import type { CompoundId } from '../contracts/replication';
import type { HubCommandRepo } from '../db/hub-commands';
import { AppError } from '../errors';
import type { Logger } from '../log';

const sc = StringCodec();

/** What the cell's access feature offers the hub's commands (access/doors.ts, wired in app.ts). */
export interface CellDoorPort {
  list(): Promise<CellDoor[]>;
  remoteOpenFor(by: { actor: string; username: string }, deviceId: string, reason: string, opts: { commandId: string; detail: Record<string, string> }): Promise<unknown>;
}

export interface CommandSettings {
  compound: CompoundId;
  /** How long the cell waits for the door terminal's commands/ack before answering `sent` (within the command's expiry). */
  ackWaitMs: number;
}

type Result = { outcome: DoorOpenOutcome; detail: string | null };

/** Waits for door terminals' commands/ack by command id (they arrive on the bus as committed device events). */
function ackWaiters(bus: Bus) {
  const waiting = new Map<string, (r: Result) => void>();
  bus.subscriber('hub-commands').on('device-event', (e) => {
    if (e.name !== 'commandAck') return;
    const done = waiting.get(e.payload.commandId);
    if (done === undefined) return;
    const detail = e.payload.detail ?? null;
    done(e.payload.result === 'done' ? { outcome: 'opened', detail } : { outcome: 'failed', detail: `${e.payload.result}${detail === null ? '' : `: ${detail}`}` });
  });
  return {
    /** Registered before the command leaves: the terminal's ack may come back before publishTo resolves. */
    expect(commandId: string, ms: number): { result: Promise<Result>; cancel(): void } {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const result = new Promise<Result>((resolve) => {
        const finish = (r: Result) => {
          clearTimeout(timer);
          waiting.delete(commandId);
          resolve(r);
        };
        waiting.set(commandId, finish);
        timer = setTimeout(() => finish({ outcome: 'sent', detail: `the door took the command but did not confirm it within ${ms} ms` }), ms);
      });
      return { result, cancel: () => waiting.get(commandId)?.({ outcome: 'sent', detail: null }) };
    },
    close: () => bus.release('hub-commands'),
  };
}

/** Handles one remote open: refusals first (nothing sent), then the door, then the terminal's answer. */
async function openDoor(raw: unknown, settings: CommandSettings, deps: { doors: CellDoorPort; ledger: HubCommandRepo; acks: ReturnType<typeof ackWaiters> }, now: () => Date): Promise<DoorOpenAnswer> {
  const answer = (id: string | null, r: Result): DoorOpenAnswer => ({ v: 1, id, compound: settings.compound, ...r, answeredAt: now().toISOString() });
  const parsed = DoorOpenCommand.safeParse(raw);
  if (!parsed.success) return answer(null, { outcome: 'invalid', detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 300) });
  const cmd = parsed.data;
  if (cmd.compound !== settings.compound) return answer(cmd.id, { outcome: 'wrong_compound', detail: `this cell is ${settings.compound}, the command is for ${cmd.compound}` });
  const expiresAt = new Date(cmd.expiresAt);
  const left = expiresAt.getTime() - now().getTime();
  if (left <= 0) return answer(cmd.id, { outcome: 'expired', detail: `expired at ${cmd.expiresAt}` });
  const actor = `hub:${cmd.by.username}`;
  if (!deps.ledger.claim({ id: cmd.id, kind: 'door.open', target: cmd.door, actor, reason: cmd.reason, receivedAt: now(), expiresAt })) {
    const first = deps.ledger.first(cmd.id);
    return answer(cmd.id, { outcome: 'duplicate', detail: `command ${cmd.id} was handled before${first?.outcome ? ` (${first.outcome})` : ''}; not acted on again` });
  }
  const commandId = `hub-${cmd.id}`;
  const ack = deps.acks.expect(commandId, Math.max(0, Math.min(settings.ackWaitMs, left - 200)));
  let result: Result;
  try {
    await deps.doors.remoteOpenFor({ actor, username: cmd.by.username }, cmd.door, cmd.reason, {
      commandId,
      detail: { via: 'hub', hubUser: cmd.by.displayName, hubScope: cmd.by.scope, hubCommandId: cmd.id },
    });
    result = await ack.result;
  } catch (err) {
    ack.cancel();
    result = refusal(err);
  }
  deps.ledger.settle(cmd.id, result.outcome, result.detail, now());
  return answer(cmd.id, result);
}

function refusal(err: unknown): Result {
  if (err instanceof AppError && err.code === 'NOT_FOUND') return { outcome: 'unknown_door', detail: 'no such door in this compound' };
  if (err instanceof AppError && err.code === 'CONFLICT') return { outcome: 'door_offline', detail: err.message };
  return { outcome: 'error', detail: err instanceof Error ? err.message.slice(0, 300) : 'the cell could not act' };
}

async function listDoors(raw: unknown, compound: CompoundId, doors: CellDoorPort): Promise<DoorsListAnswer> {
  const parsed = DoorsListRequest.safeParse(raw);
  if (!parsed.success || parsed.data.compound !== compound) return { v: 1, compound, ok: false, doors: [], detail: 'not a door list request for this compound' };
  return { v: 1, compound, ok: true, doors: await doors.list(), detail: null };
}

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(sc.decode(data));
  } catch {
    return null;
  }
}

/**
 * Subscribes to this compound's command subjects (and no other compound's). The NATS client re-subscribes by itself
 * after a reconnect; a request that reached nobody meanwhile is the hub's timeout, never a late surprise here.
 */
export function startCommands(
  nc: NatsConnection,
  settings: CommandSettings,
  deps: { doors: CellDoorPort; ledger: HubCommandRepo; bus: Bus; log: Logger; now?: () => Date },
): { stop(): Promise<void> } {
  const now = deps.now ?? (() => new Date());
  const acks = ackWaiters(deps.bus);
  const subs: Subscription[] = [];
  const serve = (subject: string, handle: (raw: unknown) => Promise<unknown>) => {
    const sub = nc.subscribe(subject);
    subs.push(sub);
    void (async () => {
      for await (const m of sub) {
        void handle(parseJson(m.data)).then(
          (reply) => m.respond(sc.encode(JSON.stringify(reply))),
          (err: unknown) => deps.log.error({ err, subject }, 'hub command: could not handle'),
        );
      }
    })();
  };
  serve(commandSubject(settings.compound, 'door.open'), async (raw) => {
    const a = await openDoor(raw, settings, { doors: deps.doors, ledger: deps.ledger, acks }, now);
    deps.log[a.outcome === 'opened' || a.outcome === 'sent' ? 'info' : 'warn']({ commandId: a.id, outcome: a.outcome, detail: a.detail }, 'hub command: door open');
    return a;
  });
  serve(commandSubject(settings.compound, 'doors.list'), (raw) => listDoors(raw, settings.compound, deps.doors));
  return {
    async stop() {
      acks.close();
      for (const s of subs) s.unsubscribe();
    },
  };
}
