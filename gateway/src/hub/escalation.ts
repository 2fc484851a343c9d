// Escalation at the hub (docs/scale-out.md "Escalation at the hub"). One sweep every HUB_ESCALATION_CHECK_MS:
// - the hub's own 小区网关离线 is told to the chain's first level when raised, and moves up one level each time its
//   deadline (HUB_OFFLINE_ACK_SEC) passes without an acknowledgement at the hub, until the top;
// - a replicated alert whose cell deadline (nextDeadlineAt in its snapshot) passed more than HUB_ESCALATION_GRACE_SEC
//   ago, with no change from the cell since, still open, is escalated one level through the hub's chain — once per
//   such deadline (the cell could not: it is offline or its link is cut).
// Every step is a conditional write in PostgreSQL (a second hub writer, or a restarted one, cannot take it twice), in
// one transaction with its history row (hub_escalation_step) and its outbox rows (hub_notification, hub/notify.ts).
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { HubAlertNotification } from '../contracts/api/hub';
import type { Logger } from '../log';
import { type ResolvedChain, hubChains } from './chain';
import { every } from '../runtime/every';

export interface HubEscalationSettings {
  /** Seconds the hub's own alert waits at a level for an acknowledgement before it moves up. */
  offlineAckSec: number;
  /** Seconds after a replicated alert's deadline before the hub steps in. */
  graceSec: number;
  checkMs: number;
}

type Alert = HubAlertNotification['alert'];
interface Subject {
  compound: string;
  compoundName: string | null;
  source: 'hub' | 'cell';
  alert: Alert;
}
interface Step {
  action: 'raised' | 'escalated' | 'acknowledged';
  actor: string;
  level: number;
  code: string;
  detail: Record<string, unknown>;
}

/** The history row of a step, and the outbox row(s) owed to the level it reached (a row even without a channel). */
async function record(client: PoolClient, chain: ResolvedChain, s: Subject, step: Step, now: Date, tell: boolean, note: string | null = null): Promise<void> {
  await client.query(
    'INSERT INTO hub_escalation_step (compound, alert_id, source, at, action, actor, level, code, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
    [s.compound, s.alert.id, s.source, now, step.action, step.actor, step.level, step.code, JSON.stringify(step.detail)],
  );
  const level = chain.levels.find((l) => l.level === step.level);
  if (!tell || level === undefined) return;
  const deliveryId = randomUUID();
  const body = HubAlertNotification.parse({
    deliveryId,
    event: step.action === 'raised' ? 'alert.raised' : 'alert.escalated',
    level: level.level,
    levelName: level.name,
    reason: step.code,
    note,
    sentAt: now.toISOString(),
    source: s.source,
    compound: s.compound,
    compoundName: s.compoundName,
    alert: s.alert,
  });
  await client.query(
    `INSERT INTO hub_notification (id, compound, alert_id, level, level_name, target, body, status, next_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [deliveryId, s.compound, s.alert.id, level.level, level.name, level.url, JSON.stringify(body), level.url === null ? 'no_channel' : 'pending', level.url === null ? null : now, now],
  );
}

/** Runs `fn` in one transaction; its result, or null when it decided nothing was to be done (rolled back). */
async function inTx<T>(pool: Pool, fn: (c: PoolClient) => Promise<T | null>): Promise<T | null> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query(out === null ? 'ROLLBACK' : 'COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const Iso = z.union([z.date(), z.string()]).transform((v) => (v instanceof Date ? v : new Date(v)));
const OfflineRow = z.object({
  compound: z.string(),
  id: z.string(),
  type: z.string(),
  severity: z.string(),
  title: z.string(),
  raised_at: Iso,
  escalation_level: z.number().int(),
  next_deadline_at: Iso.nullable(),
  name: z.string().nullable(),
});
type OfflineRow = z.infer<typeof OfflineRow>;

const offlineSubject = (r: OfflineRow): Subject => ({
  compound: r.compound,
  compoundName: r.name,
  source: 'hub',
  alert: { id: r.id, type: r.type, severity: r.severity, status: 'open', title: r.title, place: null, firstAt: r.raised_at.toISOString(), cellLevel: null },
});

/** One step of the hub's own alert: told to level 1 when new, one level up when its deadline passed, or the top. */
async function stepOffline(pool: Pool, r: OfflineRow, s: HubEscalationSettings, now: Date, log: Logger): Promise<void> {
  const from = r.escalation_level;
  const done = await inTx(pool, async (client) => {
    const chain = await hubChains(client).resolve(r.compound);
    const top = chain.levels.at(-1)?.level ?? 0;
    const to = from + 1;
    const atTop = from > 0 && to > top;
    const next = atTop || top === 0 ? null : new Date(now.getTime() + s.offlineAckSec * 1000);
    const res = await client.query(
      `UPDATE hub_alert SET escalation_level = $4, next_deadline_at = $5
        WHERE compound = $1 AND id = $2 AND status = 'open' AND acked_at IS NULL AND escalation_level = $3
          AND next_deadline_at IS NOT DISTINCT FROM $6`,
      [r.compound, r.id, from, atTop ? from : to, next, r.next_deadline_at],
    );
    if ((res.rowCount ?? 0) === 0) return null;
    const target = chain.levels.find((l) => l.level === to)?.name ?? null;
    const waitedSec = r.next_deadline_at === null ? null : s.offlineAckSec;
    const step: Step = atTop
      ? { action: 'escalated', actor: 'hub', level: from, code: 'escalation_top', detail: { level: from, top: true } }
      : from === 0
        ? { action: 'raised', actor: 'hub', level: to, code: top === 0 ? 'no_chain' : 'raised', detail: { toLevel: to, target } }
        : { action: 'escalated', actor: 'hub', level: to, code: 'escalated_no_ack', detail: { fromLevel: from, toLevel: to, target, waitedSec } };
    await record(client, chain, offlineSubject(r), step, now, !atTop);
    return { step, chain };
  });
  if (done === null) return;
  const fields = { compound: r.compound, alertId: r.id, escalationLevel: done.step.level, code: done.step.code, chain: done.chain.source };
  if (done.step.code === 'raised') log.warn(fields, 'hub: 小区网关离线 told to the first level of the chain');
  else if (done.step.code === 'no_chain') log.error(fields, 'hub: 小区网关离线 raised but the compound has no chain at the hub; nobody is told (hub-cli chain)');
  else log.error(fields, done.step.code === 'escalation_top' ? 'hub: 小区网关离线 unanswered at the top of the chain' : 'hub: 小区网关离线 escalated, nobody acknowledged it');
}

async function sweepOffline(pool: Pool, s: HubEscalationSettings, now: Date, log: Logger): Promise<void> {
  const res = await pool.query(
    `SELECT h.compound, h.id, h.type, h.severity, h.title, h.raised_at, h.escalation_level, h.next_deadline_at, c.name
       FROM hub_alert h LEFT JOIN hub_compound c ON c.id = h.compound
      WHERE h.status = 'open' AND h.acked_at IS NULL
        AND (h.escalation_level = 0 OR (h.next_deadline_at IS NOT NULL AND h.next_deadline_at <= $1))
      ORDER BY h.raised_at LIMIT 200`,
    [now],
  );
  for (const raw of res.rows) await stepOffline(pool, OfflineRow.parse(raw), s, now, log);
}

const CellRow = z.object({
  compound: z.string(),
  id: z.string(),
  type: z.string(),
  severity: z.string(),
  status: z.string(),
  place: z.string().nullable(),
  first_at: Iso,
  cell_level: z.number().int(),
  deadline: Iso,
  kind: z.string().nullable(),
  name: z.string().nullable(),
});
type CellRow = z.infer<typeof CellRow>;

/** One hub step for a replicated alert whose cell deadline passed: at most once per deadline (the upsert's WHERE). */
async function stepCell(pool: Pool, r: CellRow, now: Date, log: Logger): Promise<void> {
  const done = await inTx(pool, async (client) => {
    const res = await client.query(
      `INSERT INTO hub_cell_escalation (compound, alert_id, level, cell_deadline_at, at) VALUES ($1, $2, 1, $3, $4)
       ON CONFLICT (compound, alert_id) DO UPDATE SET level = hub_cell_escalation.level + 1,
         cell_deadline_at = excluded.cell_deadline_at, at = excluded.at
       WHERE hub_cell_escalation.cell_deadline_at < excluded.cell_deadline_at
       RETURNING level`,
      [r.compound, r.id, r.deadline, now],
    );
    const level = z.object({ level: z.number().int() }).safeParse(res.rows[0]);
    if (!level.success) return null;
    const chain = await hubChains(client).resolve(r.compound);
    const to = level.data.level;
    const target = chain.levels.find((l) => l.level === to)?.name ?? null;
    const overdueSec = Math.round((now.getTime() - r.deadline.getTime()) / 1000);
    const detail = { toLevel: to, target, cellLevel: r.cell_level, waitedFor: r.kind, cellDeadlineAt: r.deadline.toISOString(), overdueSec };
    const step: Step = target === null
      ? { action: 'escalated', actor: 'hub', level: to, code: chain.levels.length === 0 ? 'no_chain' : 'escalation_top', detail }
      : { action: 'escalated', actor: 'hub', level: to, code: 'cell_deadline_passed', detail };
    const alert: Alert = { id: r.id, type: r.type, severity: r.severity, status: r.status, title: null, place: r.place, firstAt: r.first_at.toISOString(), cellLevel: r.cell_level };
    await record(client, chain, { compound: r.compound, compoundName: r.name, source: 'cell', alert }, step, now, target !== null);
    return step;
  });
  if (done !== null) log.error({ compound: r.compound, alertId: r.id, escalationLevel: done.level, code: done.code }, 'hub: a replicated alert passed its deadline with no word from its cell; escalated at the hub');
}

/** A timestamp the snapshot carries as ISO text; anything else (or none) is no deadline. */
const DEADLINE = `CASE WHEN a.snapshot->>'nextDeadlineAt' ~ '^\\d{4}-\\d\\d-\\d\\dT' THEN (a.snapshot->>'nextDeadlineAt')::timestamptz END`;

async function sweepCells(pool: Pool, s: HubEscalationSettings, now: Date, log: Logger): Promise<void> {
  const res = await pool.query(
    `SELECT x.* FROM (
       SELECT a.compound, a.id, a.type, a.severity, a.status, a.snapshot->'place'->>'label' AS place, a.first_at,
              a.escalation_level AS cell_level, ${DEADLINE} AS deadline, a.snapshot->>'deadlineKind' AS kind, c.name,
              a.changed_at, e.cell_deadline_at AS stepped_for
         FROM alert a LEFT JOIN hub_compound c ON c.id = a.compound
         LEFT JOIN hub_cell_escalation e ON e.compound = a.compound AND e.alert_id = a.id
        WHERE a.status <> 'cleared') x
      WHERE x.deadline IS NOT NULL AND x.deadline <= $1 AND x.changed_at < x.deadline
        AND (x.stepped_for IS NULL OR x.stepped_for < x.deadline)
      ORDER BY x.deadline LIMIT 200`,
    [new Date(now.getTime() - s.graceSec * 1000)],
  );
  for (const raw of res.rows) await stepCell(pool, CellRow.parse(raw), now, log);
}

export interface AckResult {
  outcome: 'acknowledged' | 'not_found' | 'not_open';
  ackedAt?: Date;
}

/** Acknowledges the hub's own open alert (in the caller's scope, checked by the caller): its escalation ends. */
export async function acknowledgeHubAlert(pool: Pool, a: { compound: string; id: string; user: string }, now = new Date()): Promise<AckResult> {
  const done = await inTx(pool, async (client) => {
    const res = await client.query(
      `UPDATE hub_alert SET acked_by = $3, acked_at = $4, next_deadline_at = NULL
        WHERE compound = $1 AND id = $2 AND status = 'open' AND acked_at IS NULL
        RETURNING escalation_level`,
      [a.compound, a.id, a.user, now],
    );
    const row = z.object({ escalation_level: z.number().int() }).safeParse(res.rows[0]);
    if (!row.success) return null;
    const step: Step = { action: 'acknowledged', actor: a.user, level: row.data.escalation_level, code: 'hub_ack', detail: { level: row.data.escalation_level } };
    const subject: Subject = { compound: a.compound, compoundName: null, source: 'hub', alert: { id: a.id, type: '', severity: '', status: 'open', title: null, place: null, firstAt: now.toISOString(), cellLevel: null } };
    await record(client, { source: null, levels: [] }, subject, step, now, false);
    return true;
  });
  if (done !== null) return { outcome: 'acknowledged', ackedAt: now };
  const exists = await pool.query('SELECT 1 FROM hub_alert WHERE compound = $1 AND id = $2', [a.compound, a.id]);
  return { outcome: (exists.rowCount ?? 0) > 0 ? 'not_open' : 'not_found' };
}

/** The hub level reached (escalated) or already held (at_top), with its name; or why nothing was done. */
export type ManualEscalation = { outcome: 'escalated' | 'at_top'; level: number; levelName: string } | { outcome: 'not_found' | 'cleared' | 'no_chain' };

const ManualRow = CellRow.omit({ deadline: true, kind: true });

/**
 * A hub user escalates a cell's alert by hand, one level up the compound's hub chain, with a reason: the level is told
 * (webhook, reason `hub_manual`, the reason as `note`), and the step and the reason (as a hub note) are recorded in
 * the same transaction. The level counter is the one the deadline sweep uses, so a later automatic step goes on from
 * there; the cell deadline the sweep steps for is left as it was (a hand-made step does not stand for the cell's
 * silence). Past the top of the chain, or without a chain, nothing is written. Acknowledging and clearing stay with
 * the compound's guards.
 */
export async function escalateCellAlert(pool: Pool, a: { compound: string; id: string; user: string; reason: string }, now = new Date()): Promise<ManualEscalation> {
  let refused: ManualEscalation = { outcome: 'not_found' };
  const done = await inTx(pool, async (client) => {
    const res = await client.query(
      `SELECT a.compound, a.id, a.type, a.severity, a.status, a.snapshot->'place'->>'label' AS place, a.first_at,
              a.escalation_level AS cell_level, c.name
         FROM alert a LEFT JOIN hub_compound c ON c.id = a.compound
        WHERE a.compound = $1 AND a.id = $2`,
      [a.compound, a.id],
    );
    if (res.rows[0] === undefined) return null;
    const r = ManualRow.parse(res.rows[0]);
    if (r.status === 'cleared') {
      refused = { outcome: 'cleared' };
      return null;
    }
    const up = await client.query(
      `INSERT INTO hub_cell_escalation (compound, alert_id, level, cell_deadline_at, at) VALUES ($1, $2, 1, '-infinity', $3)
       ON CONFLICT (compound, alert_id) DO UPDATE SET level = hub_cell_escalation.level + 1, at = excluded.at
       RETURNING level`,
      [a.compound, a.id, now],
    );
    const to = z.object({ level: z.number().int() }).parse(up.rows[0]).level;
    const chain = await hubChains(client).resolve(a.compound);
    const level = chain.levels.find((l) => l.level === to);
    if (level === undefined) {
      const top = chain.levels.at(-1);
      refused = top === undefined ? { outcome: 'no_chain' } : { outcome: 'at_top', level: top.level, levelName: top.name };
      return null;
    }
    const detail = { toLevel: to, target: level.name, cellLevel: r.cell_level, reason: a.reason };
    const step: Step = { action: 'escalated', actor: a.user, level: to, code: 'hub_manual', detail };
    const alert: Alert = { id: r.id, type: r.type, severity: r.severity, status: r.status, title: null, place: r.place, firstAt: r.first_at.toISOString(), cellLevel: r.cell_level };
    await record(client, chain, { compound: a.compound, compoundName: r.name, source: 'cell', alert }, step, now, true, a.reason);
    await client.query('INSERT INTO hub_alert_note (compound, alert_id, author, body, at) VALUES ($1, $2, $3, $4, $5)', [a.compound, a.id, a.user, a.reason, now]);
    return { outcome: 'escalated', level: to, levelName: level.name } as const;
  });
  return done ?? refused;
}

/** The sweep's loop; `sweep()` runs one pass now (also used by the tests). `stepped` is called after each pass. */
export function createHubEscalation(pool: Pool, settings: HubEscalationSettings, log: Logger, stepped: () => void = () => {}) {
  let loop: ReturnType<typeof every> | null = null;
  let failing = false;

  async function sweep(now = new Date()): Promise<void> {
    await sweepOffline(pool, settings, now, log);
    await sweepCells(pool, settings, now, log);
    stepped();
  }

  async function pass() {
    try {
      await sweep();
      failing = false;
    } catch (err) {
      if (!failing) log.warn({ err }, 'hub: escalation sweep failed; retrying');
      failing = true;
    }
  }

  return {
    sweep,
    start() {
      loop = every(settings.checkMs, pass);
    },
    async stop() {
      await loop?.stop();
    },
  };
}
