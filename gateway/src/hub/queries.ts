// What the hub's API reads from PostgreSQL (docs/scale-out.md "The hub's API and UI"): compounds with their state,
// open alerts across compounds, one compound's alert history, response times per compound, and the hub's notes.
// Every query takes the caller's compounds (`null`: the district, everything) and filters by them in SQL.
import type { Pool } from 'pg';
import { z } from 'zod';
import type {
  HubAlert,
  HubAlertChange,
  HubAlertQuery,
  HubAlertWithHistory,
  HubCompound,
  HubCompoundStats,
  HubNote,
} from '../contracts/api/hub';
import { OFFLINE_TYPE, type CellState } from './cells';
import { hubEscalations, hubSteps } from './escalation-queries';

/** Rows from pg: timestamptz arrives as a Date, jsonb text as a string; both become ISO 8601. */
const IsoOut = z.union([z.date(), z.string()]).transform((v) => (v instanceof Date ? v : new Date(v)).toISOString());
const Count = z.union([z.string(), z.number()]).transform((v) => Number(v));
const Num = z.union([z.string(), z.number()]).nullable().transform((v) => (v === null ? null : Math.round(Number(v))));

const CompoundRow = z.object({
  compound: z.string(),
  name: z.string().nullable(),
  street_id: z.string().nullable(),
  street_name: z.string().nullable(),
  last_replicated_at: IsoOut.nullable(),
  open_alerts: Count,
  open_critical: Count,
  offline: z.boolean(),
});

/** The alert's latest replicated state, or the hub's own alert, in one shape. */
const ALERTS = `
  SELECT a.compound, a.id, 'cell' AS source, a.type, a.severity, a.status, a.snapshot->'place'->>'label' AS place,
         a.first_at, a.last_at, a.snapshot->>'ackedBy' AS acked_by, (a.snapshot->>'ackedAt')::timestamptz AS acked_at,
         (a.snapshot->>'clearedAt')::timestamptz AS cleared_at, a.escalation_level
    FROM alert a
  UNION ALL
  SELECT h.compound, h.id, 'hub', h.type, h.severity,
         CASE WHEN h.status = 'open' AND h.acked_at IS NOT NULL THEN 'acknowledged' ELSE h.status END, NULL, h.raised_at, coalesce(h.cleared_at, h.raised_at), h.acked_by,
         h.acked_at, h.cleared_at, 0
    FROM hub_alert h`;

const AlertRow = z.object({
  compound: z.string(),
  name: z.string().nullable(),
  id: z.string(),
  source: z.enum(['cell', 'hub']),
  type: z.string(),
  severity: z.string(),
  status: z.string(),
  place: z.string().nullable(),
  first_at: IsoOut,
  last_at: IsoOut,
  acked_by: z.string().nullable(),
  acked_at: IsoOut.nullable(),
  cleared_at: IsoOut.nullable(),
  escalation_level: z.number().int(),
});
type AlertRow = z.infer<typeof AlertRow>;

const NoteRow = z.object({ id: Count, compound: z.string(), alert_id: z.string(), author: z.string(), body: z.string(), at: IsoOut });
const ChangeRow = z.object({ alert_id: z.string(), at: IsoOut, action: z.string(), actor: z.string(), note: z.string().nullable() });

const SEVERITY_RANK = `CASE x.severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 WHEN 'minor' THEN 2 ELSE 3 END`;

const noteKey = (compound: string, alertId: string) => `${compound}\u0000${alertId}`;

type EscalationOf = Awaited<ReturnType<typeof hubEscalations>>;

function toAlert(r: AlertRow, notes: Map<string, HubNote[]>, esc: EscalationOf): HubAlert {
  return {
    compound: r.compound,
    compoundName: r.name,
    id: r.id,
    source: r.source,
    type: r.type,
    severity: r.severity,
    status: r.status,
    place: r.place,
    firstAt: r.first_at,
    lastAt: r.last_at,
    ackedBy: r.acked_by,
    ackedAt: r.acked_at,
    clearedAt: r.cleared_at,
    escalationLevel: r.escalation_level,
    notes: notes.get(noteKey(r.compound, r.id)) ?? [],
    hubEscalation: esc(r.compound, r.id),
  };
}

async function notesFor(pool: Pool, rows: { compound: string; id: string }[]): Promise<Map<string, HubNote[]>> {
  const out = new Map<string, HubNote[]>();
  if (rows.length === 0) return out;
  const res = await pool.query(
    `SELECT n.id, n.compound, n.alert_id, n.author, n.body, n.at FROM hub_alert_note n
      JOIN unnest($1::text[], $2::text[]) AS k(compound, alert_id) ON k.compound = n.compound AND k.alert_id = n.alert_id
      ORDER BY n.at, n.id`,
    [rows.map((r) => r.compound), rows.map((r) => r.id)],
  );
  for (const raw of res.rows) {
    const n = NoteRow.parse(raw);
    const key = noteKey(n.compound, n.alert_id);
    out.set(key, [...(out.get(key) ?? []), { id: String(n.id), author: n.author, body: n.body, at: n.at }]);
  }
  return out;
}

async function compounds(pool: Pool, cells: () => CellState[], scope: string[] | null): Promise<HubCompound[]> {
  const watched = cells();
  const res = await pool.query(
    `WITH ids AS (
       SELECT id AS compound FROM hub_compound
       UNION SELECT compound FROM cell_watermark
       UNION SELECT compound FROM alert
       UNION SELECT compound FROM hub_alert
       UNION SELECT unnest($2::text[])
       UNION SELECT unnest(coalesce($1::text[], '{}'))
     )
     SELECT i.compound, c.name, s.id AS street_id, s.name AS street_name,
       (SELECT max(w.committed_at) FROM cell_watermark w WHERE w.compound = i.compound AND w.generation <> '') AS last_replicated_at,
       (SELECT count(*) FROM alert a WHERE a.compound = i.compound AND a.status <> 'cleared')
         + (SELECT count(*) FROM hub_alert h WHERE h.compound = i.compound AND h.status = 'open') AS open_alerts,
       (SELECT count(*) FROM alert a WHERE a.compound = i.compound AND a.status <> 'cleared' AND a.severity = 'critical')
         + (SELECT count(*) FROM hub_alert h WHERE h.compound = i.compound AND h.status = 'open' AND h.severity = 'critical') AS open_critical,
       EXISTS (SELECT 1 FROM hub_alert h WHERE h.compound = i.compound AND h.type = $3 AND h.status = 'open') AS offline
     FROM ids i
     LEFT JOIN hub_compound c ON c.id = i.compound
     LEFT JOIN hub_street s ON s.id = c.street_id
     WHERE $1::text[] IS NULL OR i.compound = ANY($1::text[])`,
    [scope, watched.map((c) => c.compound), OFFLINE_TYPE],
  );
  const byId = new Map(watched.map((c) => [c.compound, c]));
  const list = res.rows.map((raw): HubCompound => {
    const r = CompoundRow.parse(raw);
    const w = byId.get(r.compound);
    const state = r.offline || w?.online === false ? 'offline' : w?.online === true ? 'online' : 'unknown';
    return {
      id: r.compound,
      name: r.name,
      street: r.street_id !== null && r.street_name !== null ? { id: r.street_id, name: r.street_name } : null,
      state,
      lastSeenAt: w ? w.lastSeen.toISOString() : null,
      lagSeconds: w?.beat ? w.beat.lagSeconds : null,
      backlogRows: w?.beat ? w.beat.backlogRows : null,
      lastReplicatedAt: r.last_replicated_at,
      openAlerts: r.open_alerts,
      openCritical: r.open_critical,
    };
  });
  // Trouble first: offline cells, then the most critical open alerts, then by id.
  const rank = (c: HubCompound) => (c.state === 'offline' ? 0 : 1);
  return list.sort((a, b) => rank(a) - rank(b) || b.openCritical - a.openCritical || b.openAlerts - a.openAlerts || a.id.localeCompare(b.id));
}

async function openAlerts(pool: Pool, scope: string[] | null, q: HubAlertQuery, now = new Date()): Promise<HubAlert[]> {
  const olderThan = q.minAgeMinutes === undefined ? null : new Date(now.getTime() - q.minAgeMinutes * 60_000);
  const res = await pool.query(
    `SELECT x.*, c.name FROM (${ALERTS}) x LEFT JOIN hub_compound c ON c.id = x.compound
      WHERE x.status NOT IN ('cleared')
        AND ($1::text[] IS NULL OR x.compound = ANY($1::text[]))
        AND ($2::text IS NULL OR x.compound = $2) AND ($3::text IS NULL OR x.severity = $3) AND ($4::text IS NULL OR x.type = $4)
        AND ($5::timestamptz IS NULL OR x.first_at <= $5)
      ORDER BY ${SEVERITY_RANK}, x.first_at LIMIT 500`,
    [scope, q.compound ?? null, q.severity ?? null, q.type ?? null, olderThan],
  );
  const rows = res.rows.map((r) => AlertRow.parse(r));
  const notes = await notesFor(pool, rows);
  const esc = await hubEscalations(pool, rows);
  return rows.map((r) => toAlert(r, notes, esc));
}

/** One compound's latest alerts (open and cleared, newest first), each with its changes; null: outside the scope. */
async function history(pool: Pool, cells: () => CellState[], scope: string[] | null, compound: string, limit = 50): Promise<{ compound: HubCompound; alerts: HubAlertWithHistory[] } | null> {
  if (scope !== null && !scope.includes(compound)) return null;
  const found = (await compounds(pool, cells, [compound])).find((c) => c.id === compound);
  if (found === undefined) return null;
  const res = await pool.query(
    `SELECT x.*, c.name FROM (${ALERTS}) x LEFT JOIN hub_compound c ON c.id = x.compound
      WHERE x.compound = $1 ORDER BY x.first_at DESC LIMIT $2`,
    [compound, limit],
  );
  const rows = res.rows.map((r) => AlertRow.parse(r));
  // An id nobody has ever heard of (not registered, nothing replicated, no alert): not a compound.
  if (rows.length === 0 && found.name === null && found.lastReplicatedAt === null && found.state === 'unknown') return null;
  const notes = await notesFor(pool, rows);
  const changes = new Map<string, HubAlertChange[]>();
  const ch = await pool.query(
    'SELECT alert_id, at, action, actor, note FROM alert_change WHERE compound = $1 AND alert_id = ANY($2::text[]) ORDER BY at, generation, seq',
    [compound, rows.filter((r) => r.source === 'cell').map((r) => r.id)],
  );
  for (const raw of ch.rows) {
    const c = ChangeRow.parse(raw);
    changes.set(c.alert_id, [...(changes.get(c.alert_id) ?? []), { at: c.at, action: c.action, actor: c.actor, note: c.note }]);
  }
  const esc = await hubEscalations(pool, rows);
  // The hub's own steps (told, escalated, acknowledged at the hub) beside the cell's changes, in time order.
  const steps = await hubSteps(pool, compound, rows.map((r) => r.id));
  const alerts = rows.map((r) => {
    const own = r.source === 'cell' ? (changes.get(r.id) ?? []) : hubChanges(r);
    const merged = [...own, ...(steps.get(r.id) ?? [])].sort((a, b) => a.at.localeCompare(b.at));
    return { ...toAlert(r, notes, esc), changes: merged };
  });
  return { compound: found, alerts };
}

export function hubQueries(pool: Pool, cells: () => CellState[]) {
  return {
    compounds: (scope: string[] | null) => compounds(pool, cells, scope),
    openAlerts: (scope: string[] | null, q: HubAlertQuery) => openAlerts(pool, scope, q),
    history: (scope: string[] | null, compound: string) => history(pool, cells, scope, compound),
    stats: (scope: string[] | null, since: Date) => stats(pool, scope, since),
    addNote: (scope: string[] | null, n: NewNote) => addNote(pool, scope, n),
  };
}
export type HubQueries = ReturnType<typeof hubQueries>;

/** The hub's own alert has no replicated changes: raised by the hub, cleared by the cell's return. */
function hubChanges(r: AlertRow): HubAlertChange[] {
  const raised: HubAlertChange = { at: r.first_at, action: 'raised', actor: 'hub', note: null };
  return r.cleared_at === null ? [raised] : [raised, { at: r.cleared_at, action: 'cleared', actor: 'hub', note: null }];
}

const StatsRow = z.object({
  compound: z.string(),
  name: z.string().nullable(),
  raised: Count,
  acknowledged: Count,
  cleared: Count,
  unanswered: Count,
  median_ack: Num,
  p90_ack: Num,
  median_close: Num,
});

/**
 * 件件有回音 per compound over the cells' alerts raised since `since`: time from raise to the first acknowledgement
 * and to clearing (the alert's own ackedAt and clearedAt), as median and 90th percentile in seconds.
 */
async function stats(pool: Pool, scope: string[] | null, since: Date): Promise<HubCompoundStats[]> {
  const res = await pool.query(
    `WITH t AS (
       SELECT a.compound, a.status, a.first_at,
              (a.snapshot->>'ackedAt')::timestamptz AS acked_at, (a.snapshot->>'clearedAt')::timestamptz AS cleared_at
         FROM alert a WHERE a.first_at >= $2 AND ($1::text[] IS NULL OR a.compound = ANY($1::text[])))
     SELECT t.compound, c.name, count(*) AS raised,
       count(*) FILTER (WHERE t.acked_at IS NOT NULL) AS acknowledged,
       count(*) FILTER (WHERE t.status = 'cleared') AS cleared,
       count(*) FILTER (WHERE t.acked_at IS NULL AND t.status <> 'cleared') AS unanswered,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.acked_at - t.first_at)) AS median_ack,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM t.acked_at - t.first_at)) AS p90_ack,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.cleared_at - t.first_at)) AS median_close
     FROM t LEFT JOIN hub_compound c ON c.id = t.compound
     GROUP BY t.compound, c.name ORDER BY t.compound`,
    [scope, since],
  );
  return res.rows.map((raw) => {
    const r = StatsRow.parse(raw);
    return {
      compound: r.compound,
      compoundName: r.name,
      raised: r.raised,
      acknowledged: r.acknowledged,
      cleared: r.cleared,
      unanswered: r.unanswered,
      medianAckSeconds: r.median_ack,
      p90AckSeconds: r.p90_ack,
      medianCloseSeconds: r.median_close,
    };
  });
}

export interface NewNote {
  compound: string;
  alertId: string;
  author: string;
  body: string;
}

/** Stores a note on an alert the caller's scope covers; null when there is no such alert there. */
async function addNote(pool: Pool, scope: string[] | null, n: NewNote): Promise<HubNote | null> {
  if (scope !== null && !scope.includes(n.compound)) return null;
  const res = await pool.query(
    `INSERT INTO hub_alert_note (compound, alert_id, author, body)
     SELECT $1::text, $2::text, $3::text, $4::text WHERE EXISTS (SELECT 1 FROM alert WHERE compound = $1 AND id = $2)
                              OR EXISTS (SELECT 1 FROM hub_alert WHERE compound = $1 AND id = $2)
     RETURNING id, compound, alert_id, author, body, at`,
    [n.compound, n.alertId, n.author, n.body],
  );
  if (res.rows[0] === undefined) return null;
  const r = NoteRow.parse(res.rows[0]);
  return { id: String(r.id), author: r.author, body: r.body, at: r.at };
}
