import type pg from 'pg';
import type { RawDb } from './client';
import type { Store } from './pg-client';
import { pgTransaction } from './pg-tx';
import { isoStored } from './time';

/** Door openings looked at by the backfill: a forced entry older than this is history, not a guard's task. */
export const BACKFILL_DOOR_LOOKBACK_MS = 86_400_000;

// A stored time as a Julian day, whichever way it was written (ISO text by the raw writers, Unix ms by some
// Prisma adapters), so times compare as instants.
const jd = (col: string) => `(CASE typeof(${col}) WHEN 'integer' THEN ${col} / 86400000.0 + 2440587.5 ELSE julianday(${col}) END)`;
const SLACK_DAYS = 5 / 86_400;

/**
 * Data migration for a database from before the alert outbox (or from before door openings had their entries):
 * puts into the outbox what no alert counts yet, so the outbox sweep at start judges it like anything else.
 * - every alarm press, however old (a latched alarm that never reached a guard is still owed one), unless an alarm
 *   alert of its button spans its time (presses of a burst fold into one alert's count, firstAt..lastAt) or names
 *   it as the source of a change;
 * - door and barrier openings of the last day that the door did not explain itself (exit button, key, the booth's
 *   manual control) and that no forced-entry alert of the door spans (its time is the judgement's, a moment after
 *   the opening: 5 s of slack). Door monitoring judges them again from the stored reports and grants, so an
 *   opening after a grant stays quiet. Older openings were judged live by the release that stored them.
 * Entries go in event order (oldest first); an event already in the outbox is left as it is. Returns the entries added.
 */
export function backfillAlertOutbox(store: Store, now: Date = new Date()): Promise<number> {
  return store.kind === 'sqlite' ? Promise.resolve(backfillAlertOutboxSqlite(store.raw, now)) : backfillAlertOutboxPg(store.pool, now);
}

/** backfillAlertOutbox on SQLite's raw connection, synchronous (one transaction). */
export function backfillAlertOutboxSqlite(raw: RawDb, now: Date = new Date()): number {
  const at = isoStored(now);
  const presses = raw.prepare(
    `INSERT OR IGNORE INTO AlertOutbox (eventSeq, deviceId, priority, createdAt)
     SELECT e.seq, e.deviceId, 1, ? FROM DeviceEvent e
      WHERE e.channel = 'alarm/press'
        AND NOT EXISTS (SELECT 1 FROM Alert a WHERE a.dedupKey = 'alarm_press:' || e.deviceId
                          AND ${jd('a.firstAt')} <= ${jd('e.receivedAt')} AND ${jd('a.lastAt')} >= ${jd('e.receivedAt')})
        AND NOT EXISTS (SELECT 1 FROM AlertHistory h WHERE h.source = e.deviceId || ':' || e.eventId)
      ORDER BY e.seq`,
  );
  const openings = raw.prepare(
    `INSERT OR IGNORE INTO AlertOutbox (eventSeq, deviceId, priority, createdAt)
     SELECT e.seq, e.deviceId, 1, ? FROM DeviceEvent e
      WHERE e.channel IN ('door/state', 'barrier/state') AND e.receivedAt >= ?
        AND json_valid(e.payload) AND json_extract(e.payload, '$.state') IN ('open', 'raised')
        AND coalesce(json_extract(e.payload, '$.cause'), 'unknown') NOT IN ('exit_button', 'key', 'manual')
        AND NOT EXISTS (SELECT 1 FROM Alert a WHERE a.dedupKey = 'forced_entry:' || e.deviceId
                          AND ${jd('a.firstAt')} <= ${jd('e.receivedAt')} + ${SLACK_DAYS} AND ${jd('a.lastAt')} >= ${jd('e.receivedAt')})
      ORDER BY e.seq`,
  );
  return raw.transaction(() => presses.run(at).changes + openings.run(at, isoStored(new Date(now.getTime() - BACKFILL_DOOR_LOOKBACK_MS))).changes)();
}

/** Door causes that explain an opening: never a forced entry. */
const EXPLAINED = new Set(['exit_button', 'key', 'manual']);

/** Whether a stored door or barrier payload is an opening the door did not explain (SQLite does this in SQL with json_extract). */
function unexplainedOpening(payload: string): boolean {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return false;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const state: unknown = 'state' in json ? json.state : undefined;
  const cause: unknown = 'cause' in json ? (json.cause ?? 'unknown') : 'unknown';
  return (state === 'open' || state === 'raised') && !(typeof cause === 'string' && EXPLAINED.has(cause));
}

/**
 * backfillAlertOutbox on PostgreSQL, in one transaction: the presses in SQL; the openings' candidates in SQL (no
 * forced-entry alert spans them), their payloads read here (PostgreSQL 15 has no JSON test that cannot throw on a
 * malformed row), then inserted in event order with `unnest`.
 */
async function backfillAlertOutboxPg(pool: pg.Pool, now: Date): Promise<number> {
  const since = new Date(now.getTime() - BACKFILL_DOOR_LOOKBACK_MS);
  return pgTransaction(pool, async (c) => {
    const presses = await c.query(
      `INSERT INTO "AlertOutbox" ("eventSeq", "deviceId", "priority", "createdAt")
       SELECT e."seq", e."deviceId", 1, $1 FROM "DeviceEvent" e
        WHERE e."channel" = 'alarm/press'
          AND NOT EXISTS (SELECT 1 FROM "Alert" a WHERE a."dedupKey" = 'alarm_press:' || e."deviceId"
                            AND a."firstAt" <= e."receivedAt" AND a."lastAt" >= e."receivedAt")
          AND NOT EXISTS (SELECT 1 FROM "AlertHistory" h WHERE h."source" = e."deviceId" || ':' || e."eventId")
        ORDER BY e."seq"
       ON CONFLICT DO NOTHING`,
      [now],
    );
    const candidates = await c.query<{ seq: number; deviceId: string; payload: string }>(
      `SELECT e."seq", e."deviceId", e."payload" FROM "DeviceEvent" e
        WHERE e."channel" IN ('door/state', 'barrier/state') AND e."receivedAt" >= $1
          AND NOT EXISTS (SELECT 1 FROM "Alert" a WHERE a."dedupKey" = 'forced_entry:' || e."deviceId"
                            AND a."firstAt" <= e."receivedAt" + make_interval(secs => $2) AND a."lastAt" >= e."receivedAt")
        ORDER BY e."seq"`,
      [since, SLACK_DAYS * 86_400],
    );
    const openings = candidates.rows.filter((r) => unexplainedOpening(r.payload));
    const added = openings.length === 0 ? { rowCount: 0 } : await c.query(
      `INSERT INTO "AlertOutbox" ("eventSeq", "deviceId", "priority", "createdAt")
       SELECT o.seq, o."deviceId", 1, $3 FROM unnest($1::int[], $2::text[]) WITH ORDINALITY AS o(seq, "deviceId", n) ORDER BY o.n
       ON CONFLICT DO NOTHING`,
      [openings.map((o) => o.seq), openings.map((o) => o.deviceId), now],
    );
    return { commit: true, value: (presses.rowCount ?? 0) + (added.rowCount ?? 0) };
  });
}
