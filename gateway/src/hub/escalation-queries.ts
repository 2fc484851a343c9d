// What the hub API shows of the escalation at the hub (docs/scale-out.md "Escalation at the hub"): per alert the hub
// chain level it reached, its next deadline (the hub's own alert), who was told at each level (delivered, failed,
// sending, no channel) and the hub's steps as history beside the cell's changes.
import type { Pool } from 'pg';
import { z } from 'zod';
import type { HubAlertChange, HubEscalation, HubToldOutcome } from '../contracts/api/hub';

const key = (compound: string, id: string) => `${compound}\u0000${id}`;
const IsoOut = z.union([z.date(), z.string()]).transform((v) => (v instanceof Date ? v : new Date(v)).toISOString());

const StateRow = z.object({ compound: z.string(), id: z.string(), level: z.number().int(), next_deadline_at: IsoOut.nullable() });
const ToldRow = z.object({ compound: z.string(), alert_id: z.string(), level: z.number().int(), level_name: z.string(), status: z.string() });
const StepRow = z.object({ alert_id: z.string(), at: IsoOut, action: z.string(), actor: z.string(), code: z.string(), level: z.number().int() });

const OUTCOME: Record<string, HubToldOutcome> = { delivered: 'delivered', failed: 'failed', pending: 'sending', no_channel: 'no_channel' };

/** Per alert (keyed by compound and id): its escalation at the hub; alerts the hub never stepped for get level 0. */
export async function hubEscalations(pool: Pool, rows: { compound: string; id: string }[]): Promise<(compound: string, id: string) => HubEscalation> {
  const compounds = rows.map((r) => r.compound);
  const ids = rows.map((r) => r.id);
  const state = new Map<string, z.infer<typeof StateRow>>();
  const told = new Map<string, HubEscalation['told']>();
  const names = new Map<string, string>();
  if (rows.length > 0) {
    const s = await pool.query(
      `SELECT k.compound, k.id, coalesce(h.escalation_level, e.level, 0) AS level, h.next_deadline_at
         FROM unnest($1::text[], $2::text[]) AS k(compound, id)
         LEFT JOIN hub_alert h ON h.compound = k.compound AND h.id = k.id
         LEFT JOIN hub_cell_escalation e ON e.compound = k.compound AND e.alert_id = k.id`,
      [compounds, ids],
    );
    for (const raw of s.rows) {
      const r = StateRow.parse(raw);
      state.set(key(r.compound, r.id), r);
    }
    const t = await pool.query(
      `SELECT n.compound, n.alert_id, n.level, n.level_name, n.status FROM hub_notification n
         JOIN unnest($1::text[], $2::text[]) AS k(compound, id) ON k.compound = n.compound AND k.id = n.alert_id
        ORDER BY n.level, n.created_at`,
      [compounds, ids],
    );
    for (const raw of t.rows) {
      const r = ToldRow.parse(raw);
      const k = key(r.compound, r.alert_id);
      told.set(k, [...(told.get(k) ?? []), { level: r.level, levelName: r.level_name, outcome: OUTCOME[r.status] ?? 'sending' }]);
      names.set(`${k}\u0000${r.level}`, r.level_name);
    }
  }
  return (compound, id) => {
    const k = key(compound, id);
    const s = state.get(k);
    const level = s?.level ?? 0;
    const list = told.get(k) ?? [];
    // Past the top of the chain nobody new is told: the name is the highest level's that was.
    const levelName = names.get(`${k}\u0000${level}`) ?? list.at(-1)?.levelName ?? null;
    return { level, levelName, nextDeadlineAt: s?.next_deadline_at ?? null, told: list };
  };
}

/** The hub's steps for a compound's alerts, as changes (actor: hub or the user who acknowledged; note: the code). */
export async function hubSteps(pool: Pool, compound: string, ids: string[]): Promise<Map<string, HubAlertChange[]>> {
  const out = new Map<string, HubAlertChange[]>();
  if (ids.length === 0) return out;
  const res = await pool.query(
    'SELECT alert_id, at, action, actor, code, level FROM hub_escalation_step WHERE compound = $1 AND alert_id = ANY($2::text[]) ORDER BY at, id',
    [compound, ids],
  );
  for (const raw of res.rows) {
    const r = StepRow.parse(raw);
    const change: HubAlertChange = { at: r.at, action: `hub_${r.action}`, actor: r.actor, note: r.code };
    out.set(r.alert_id, [...(out.get(r.alert_id) ?? []), change]);
  }
  return out;
}
