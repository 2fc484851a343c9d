// The hub's side of commands to cells (docs/scale-out.md "Commands"): a remote open is a NATS request on the cell's
// own subject with an id and an expiry, answered by the cell or not at all within HUB_COMMAND_TIMEOUT_MS. Every command
// is recorded in PostgreSQL (hub_command) before it leaves, with its outcome after: answered (the cell's outcome and
// the latency), timeout (no answer: whether the door opened is unknown), unreachable (no cell listened: nothing was
// delivered). Replies come to this process's own reply subjects under the compound (linli-re.<compound>.<token>.<id>:
// a cell's NATS user may publish there for its own compound only), so an answer arriving after the timeout is still
// recorded.
import { randomUUID } from 'node:crypto';
import { type Msg, type NatsConnection, StringCodec, type Subscription, nuid } from 'nats';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { HubUser } from '../contracts/api/hub';
import { type HubCommand, HubCommandStatus } from '../contracts/api/hub-commands';
import { type CellDoor, type CommandKind, DoorOpenAnswer, type DoorOpenCommand, DoorOpenOutcome, DoorsListAnswer, commandReplyFilter, commandReplySubject, commandSubject } from '../contracts/commands';
import type { Logger } from '../log';

const sc = StringCodec();

const CommandRow = z.object({
  id: z.string(),
  compound: z.string(),
  target: z.string(),
  reason: z.string(),
  username: z.string(),
  sent_at: z.date(),
  expires_at: z.date(),
  status: HubCommandStatus,
  outcome: DoorOpenOutcome.nullable(),
  detail: z.string().nullable(),
  answered_at: z.date().nullable(),
  latency_ms: z.number().int().nullable(),
  late: z.boolean(),
});
const SELECT = 'SELECT id::text, compound, target, reason, username, sent_at, expires_at, status, outcome, detail, answered_at, latency_ms, late FROM hub_command';

function toView(r: z.infer<typeof CommandRow>): HubCommand {
  return {
    id: r.id, compound: r.compound, kind: 'door.open', door: r.target, reason: r.reason, username: r.username,
    sentAt: r.sent_at.toISOString(), expiresAt: r.expires_at.toISOString(), status: r.status, outcome: r.outcome, detail: r.detail,
    answeredAt: r.answered_at?.toISOString() ?? null, latencyMs: r.latency_ms, late: r.late,
  };
}

/** What came back for one request: the cell's answer, nobody listening, or nothing in time. */
type Reply<T> = { kind: 'answer'; answer: T } | { kind: 'unreachable' } | { kind: 'timeout' };
/** What reaches a waiting request: a reply's body (still to be read), nobody listening, or the end of the wait. */
type Arrival = { kind: 'data'; data: Uint8Array } | { kind: 'unreachable' } | { kind: 'timeout' };

export type DoorsResult = { ok: true; doors: CellDoor[] } | { ok: false; status: 'timeout' | 'unreachable' | 'refused'; detail: string };

const scopeText = (u: HubUser) => (u.scope.kind === 'district' ? 'district' : `${u.scope.kind}:${u.scope.id}`);

/** A door list's request id: never a hub_command row, so a late list is dropped rather than recorded. */
const LIST_PREFIX = 'list-';

/** Every reply to this process: to its waiting request, or, when none waits any more, to `late`. */
async function takeReplies(sub: AsyncIterable<Msg>, pending: Map<string, (r: Arrival) => void>, late: (id: string, m: Msg) => unknown) {
  for await (const m of sub) {
    const id = m.subject.slice(m.subject.lastIndexOf('.') + 1);
    const waiter = pending.get(id);
    if (m.headers?.code === 503) waiter?.({ kind: 'unreachable' });
    else if (waiter !== undefined) waiter({ kind: 'data', data: m.data });
    else if (!id.startsWith(LIST_PREFIX)) late(id, m);
  }
}

/** An answer that came after its request gave up: logged, and written into the command's row (late). */
async function recordLate(pool: Pool, log: Logger, id: string, m: Msg) {
  const parsed = DoorOpenAnswer.safeParse(safeJson(m.data));
  if (!parsed.success || parsed.data.id !== id) return void log.warn({ commandId: id }, 'hub command: unreadable late reply');
  const a = parsed.data;
  await pool.query(
    `UPDATE hub_command SET outcome = $2, detail = $3, answered_at = now(), latency_ms = (extract(epoch FROM now() - sent_at) * 1000)::int, late = true
     WHERE id = $1 AND outcome IS NULL`,
    [id, a.outcome, a.detail],
  );
  log.warn({ commandId: id, outcome: a.outcome, detail: a.detail }, 'hub command: the cell answered after the timeout (recorded)');
}

/**
 * This process's requests to cells: each published on its compound's subject with a reply subject under that compound
 * and this process's token, waited for at most `timeoutMs`; a reply nobody waits for any more goes to `late`.
 */
function requester(nc: NatsConnection, timeoutMs: number, log: Logger, late: (id: string, m: Msg) => unknown) {
  // This process's token in the reply subjects: replies meant for another hub process are not taken here.
  const token = nuid.next();
  const pending = new Map<string, (r: Arrival) => void>();
  const subs = new Map<string, Subscription>();

  /** This process's replies from one compound, subscribed at its first command and kept (late answers come there). */
  function listen(compound: string) {
    if (subs.has(compound)) return;
    const sub = nc.subscribe(commandReplyFilter(compound, token));
    subs.set(compound, sub);
    void takeReplies(sub, pending, late);
  }

  return {
    /** Sends and waits for a reply that `read` accepts; one it cannot read is logged and the wait goes on. */
    send<T>(compound: string, kind: CommandKind, id: string, body: unknown, read: (raw: unknown) => T | null): Promise<Reply<T>> {
      return new Promise<Reply<T>>((resolve) => {
        const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
        const finish = (r: Reply<T>) => {
          clearTimeout(timer);
          pending.delete(id);
          resolve(r);
        };
        listen(compound);
        pending.set(id, (r) => {
          if (r.kind !== 'data') return finish(r);
          const answer = read(safeJson(r.data));
          if (answer === null) log.warn({ commandId: id }, 'hub command: unreadable reply ignored');
          else finish({ kind: 'answer', answer });
        });
        try {
          nc.publish(commandSubject(compound, kind), sc.encode(JSON.stringify(body)), { reply: commandReplySubject(compound, token, id) });
        } catch (err) {
          // The hub's own NATS connection is closed (a reconnecting one buffers instead): nothing left this process.
          log.error({ err, commandId: id }, 'hub command: could not publish');
          finish({ kind: 'unreachable' });
        }
      });
    },
    stop() {
      for (const sub of subs.values()) sub.unsubscribe();
      for (const done of pending.values()) done({ kind: 'timeout' });
    },
  };
}

export function createCommander(nc: NatsConnection, pool: Pool, settings: { timeoutMs: number }, log: Logger) {
  const select = async (where: string, params: unknown[]) => z.array(CommandRow).parse((await pool.query(`${SELECT} ${where}`, params)).rows).map(toView);
  const late = (id: string, m: Msg) => recordLate(pool, log, id, m).catch((err: unknown) => log.error({ err, commandId: id }, 'hub command: could not record a late reply'));
  const { send, stop } = requester(nc, settings.timeoutMs, log, late);

  return {
    /** Sends a remote open and waits for the answer (at most the timeout); the record is in hub_command either way. */
    async openDoor(user: HubUser, compound: string, door: string, reason: string): Promise<HubCommand> {
      const sentAt = new Date();
      const cmd: DoorOpenCommand = {
        v: 1, id: randomUUID(), compound, door, reason, by: { username: user.username, displayName: user.displayName, scope: scopeText(user) },
        issuedAt: sentAt.toISOString(), expiresAt: new Date(sentAt.getTime() + settings.timeoutMs).toISOString(),
      };
      await pool.query(
        `INSERT INTO hub_command (id, compound, kind, target, reason, user_id, username, sent_at, expires_at, status)
         VALUES ($1, $2, 'door.open', $3, $4, $5, $6, $7, $8, 'pending')`,
        [cmd.id, compound, door, reason, user.userId, user.username, sentAt, cmd.expiresAt],
      );
      const reply = await send(compound, 'door.open', cmd.id, cmd, (raw) => {
        const parsed = DoorOpenAnswer.safeParse(raw);
        return parsed.success && parsed.data.id === cmd.id ? parsed.data : null;
      });
      const latency = Date.now() - sentAt.getTime();
      if (reply.kind === 'answer') {
        await pool.query(
          "UPDATE hub_command SET status = 'answered', outcome = $2, detail = $3, answered_at = now(), latency_ms = $4 WHERE id = $1",
          [cmd.id, reply.answer.outcome, reply.answer.detail, latency],
        );
      } else {
        // A late answer may already have been written between the timer and here: keep it (outcome stays).
        await pool.query('UPDATE hub_command SET status = $2 WHERE id = $1', [cmd.id, reply.kind]);
      }
      log.info({ commandId: cmd.id, compound, door, by: user.username, status: reply.kind, latencyMs: latency }, 'hub command: door open');
      const [view] = await select('WHERE id = $1', [cmd.id]);
      return view!;
    },

    /** The doors of a compound as its cell lists them, or why not. */
    async doors(compound: string): Promise<DoorsResult> {
      const reply = await send(compound, 'doors.list', `${LIST_PREFIX}${nuid.next()}`, { v: 1, compound }, (raw) => DoorsListAnswer.safeParse(raw).data ?? null);
      if (reply.kind === 'unreachable') return { ok: false, status: 'unreachable', detail: 'no cell is listening for this compound' };
      if (reply.kind === 'timeout') return { ok: false, status: 'timeout', detail: `no answer within ${settings.timeoutMs} ms` };
      const a = reply.answer;
      return a.ok ? { ok: true, doors: a.doors } : { ok: false, status: 'refused', detail: a.detail ?? 'refused' };
    },

    /** The compound's latest commands, newest first. */
    recent: (compound: string, limit = 50) => select('WHERE compound = $1 ORDER BY sent_at DESC LIMIT $2', [compound, limit]),

    async mayOpenDoors(userId: string): Promise<boolean> {
      const res = await pool.query('SELECT may_open_doors FROM hub_user WHERE id = $1', [userId]);
      return z.object({ may_open_doors: z.boolean() }).safeParse(res.rows[0]).data?.may_open_doors ?? false;
    },

    stop,
  };
}
export type Commander = ReturnType<typeof createCommander>;

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(sc.decode(data));
  } catch {
    return null;
  }
}

/** Grants or withdraws a hub user's remote opening (hub-cli doors <user> on|off); false when there is no such user. */
export async function setMayOpenDoors(pool: Pool, username: string, on: boolean): Promise<boolean> {
  const res = await pool.query('UPDATE hub_user SET may_open_doors = $2 WHERE username = $1', [username.toLowerCase(), on]);
  return (res.rowCount ?? 0) > 0;
}
